package llmsim

import (
	"encoding/json"
	"strings"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers"
)

// RulesAnswer answers extraction requests with the rule-based extractor, so
// the simulator replies with fields taken from the document it was sent.
// Unknown schema names are answered as "other".
func RulesAnswer(docType, text string) (json.RawMessage, error) {
	t, err := schema.ParseDocType(strings.TrimSpace(docType))
	if err != nil {
		t = schema.Other
	}
	return json.Marshal(parsers.ExtractRules(text, t).Fields)
}

// FastModels are DefaultModels with latencies cut to tens of milliseconds,
// for demos and tests.
func FastModels() map[string]ModelConfig {
	models := DefaultModels()
	for name, m := range models {
		m.LatencyMean, m.LatencyJitter = m.LatencyMean/40, m.LatencyJitter/40
		models[name] = m
	}
	return models
}
