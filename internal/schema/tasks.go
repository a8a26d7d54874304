package schema

import (
	"encoding/json"
	"fmt"
)

// Task is what a model is asked to do with a document.
type Task string

// Tasks. Extract fills Fields; Classify and Summarize are the optional steps
// whose callers may opt in to a predefined fallback result.
const (
	TaskExtract   Task = "extract"
	TaskClassify  Task = "classify"
	TaskSummarize Task = "summarize"
)

// ParseTask returns the task named s, or an error.
func ParseTask(s string) (Task, error) {
	switch t := Task(s); t {
	case TaskExtract, TaskClassify, TaskSummarize:
		return t, nil
	}
	return "", fmt.Errorf("unknown task %q (want extract, classify or summarize)", s)
}

// Classification is the output of the classify task.
type Classification struct {
	Category   DocType `json:"category"`
	Confidence float64 `json:"confidence"`
}

// Summary is the output of the summarize task.
type Summary struct {
	Summary  string `json:"summary"`
	Language string `json:"language"`
}

// Name is the JSON schema's name in requests (the response_format name):
// the document type for extraction, else the output's name.
func (t Task) Name(docType DocType) string {
	switch t {
	case TaskClassify:
		return "classification"
	case TaskSummarize:
		return "summary"
	}
	return string(docType)
}

// TaskJSON returns the strict JSON Schema of a task's output (for extraction,
// of docType's fields).
func TaskJSON(t Task, docType DocType) (json.RawMessage, error) {
	if t == TaskExtract {
		return JSON(docType)
	}
	b, err := files.ReadFile(t.Name(docType) + ".schema.json")
	if err != nil {
		return nil, fmt.Errorf("no schema for task %q", t)
	}
	return b, nil
}

// ValidateTask checks a task's output against its schema (and, for
// extraction, the business checks), returning *ValidationError on failure.
func ValidateTask(t Task, docType DocType, raw []byte) error {
	if t == TaskExtract {
		_, err := Validate(docType, raw)
		return err
	}
	return validateAgainst(t.Name(docType), raw)
}

// Fallback is the predefined result of a task whose caller opted in to one
// instead of review: an unknown category with confidence 0, or an empty
// summary. Results built from it are marked as fallbacks.
func Fallback(t Task) (json.RawMessage, error) {
	switch t {
	case TaskClassify:
		return json.Marshal(Classification{Category: Other, Confidence: 0})
	case TaskSummarize:
		return json.Marshal(Summary{})
	}
	return nil, fmt.Errorf("task %q has no fallback result: it goes to review", t)
}
