// Package simrules answers the LLM simulator's requests with DataForge's own
// rule-based parsers, so that demos and tests without a model get answers
// that depend on the document. The simulator takes it from its caller
// (llmsim.Options.Answer) and does not import the parsers itself.
package simrules

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers"
)

// Answer answers requests from the document they carry, with the
// rule-based parsers: classification requests with the classifier, summary
// requests with the document's first lines, extraction requests (schema name
// = the document type; unknown names count as other) with the extractor.
func Answer(name, text string) (json.RawMessage, error) {
	switch name {
	case schema.TaskClassify.Name(""):
		c := parsers.Classify(text)
		return json.Marshal(schema.Classification{Category: c.Type, Confidence: c.Confidence})
	case schema.TaskSummarize.Name(""):
		return json.Marshal(schema.Summary{Summary: firstLines(text, 3, 300), Language: "en"})
	}
	t, err := schema.ParseDocType(strings.TrimSpace(name))
	if err != nil {
		t = schema.Other
	}
	return json.Marshal(parsers.ExtractRules(text, t).Fields)
}

// firstLines joins the first n non-empty lines of text, cut to max bytes
// at a rune boundary.
func firstLines(text string, n, max int) string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
			if len(lines) == n {
				break
			}
		}
	}
	s := strings.Join(lines, ". ")
	for len(s) > max {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	if s == "" {
		s = "(empty document)"
	}
	return s
}
