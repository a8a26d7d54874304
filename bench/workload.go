package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/dataforge/dataforge/internal/llmsim/simrules"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/accuracy"
)

// workload is the labelled documents the benchmarks submit, as copies that
// differ in their bytes (so each is a new document) but not in their text.
type workload struct {
	dir    string
	labels []accuracy.Label
	data   [][]byte
	byText map[string]int // normalised text → label
	misses atomic.Int64   // model requests the oracle did not recognise
}

// copyMark is the line a text copy ends with; PDF copies carry it as a
// comment after the end of the file, which no reader shows.
var copyMark = regexp.MustCompile(`(?m)^-- bench copy \S+ --$`)

// loadWorkload reads a labelled directory (expected.json beside the
// documents) and parses each document once to know its text.
func loadWorkload(ctx context.Context, dir string) (*workload, error) {
	labels, err := accuracy.Load(dir)
	if err != nil {
		return nil, err
	}
	w := &workload{dir: dir, labels: labels, byText: map[string]int{}}
	for i, l := range labels {
		data, err := os.ReadFile(filepath.Join(dir, l.File))
		if err != nil {
			return nil, err
		}
		doc, err := parsers.Parse(ctx, data, parsers.DetectMediaType(l.File, data), parsers.DefaultLimits())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.File, err)
		}
		w.data = append(w.data, data)
		w.byText[normalise(doc.Text)] = i
	}
	if len(w.labels) == 0 {
		return nil, fmt.Errorf("%s: no labelled documents", dir)
	}
	return w, nil
}

func normalise(text string) string {
	return strings.Join(strings.Fields(copyMark.ReplaceAllString(text, "")), " ")
}

// batch is n copies written to dir, tagged so that no two runs share one.
type batch struct {
	paths  []string
	labels []int // index in workload.labels of each path
}

// write writes n copies of the workload's documents, round robin, to a new
// directory under root.
func (w *workload) write(root, tag string, n int) (*batch, error) {
	dir, err := os.MkdirTemp(root, tag+"-")
	if err != nil {
		return nil, err
	}
	b := &batch{}
	for i := range n {
		k := i % len(w.labels)
		name := w.labels[k].File
		mark := fmt.Sprintf("-- bench copy %s-%d --", tag, i)
		data := w.data[k]
		if strings.HasSuffix(name, ".pdf") {
			data = append(append(append([]byte{}, data...), "\n%"...), mark+"\n"...)
		} else {
			data = append(append(append([]byte{}, data...), "\n"...), mark+"\n"...)
		}
		path := filepath.Join(dir, fmt.Sprintf("%05d-%s", i, name))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return nil, err
		}
		b.paths = append(b.paths, path)
		b.labels = append(b.labels, k)
	}
	return b, nil
}

// answer is what a capable model says of a document: its true fields and
// type. The benchmarks measure the chain, not a model's reading, so the
// simulated models read every document they recognise right; others (none
// are expected) get the rule-based answer and are counted.
func (w *workload) answer(name, text string) (json.RawMessage, error) {
	k, ok := w.byText[normalise(text)]
	if !ok {
		w.misses.Add(1)
		return simrules.Answer(name, text)
	}
	l := w.labels[k]
	switch name {
	case schema.TaskClassify.Name(""):
		return json.Marshal(schema.Classification{Category: l.Type, Confidence: 0.95})
	case schema.TaskSummarize.Name(""):
		return simrules.Answer(name, text)
	}
	return json.Marshal(l.Fields)
}
