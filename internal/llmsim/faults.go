package llmsim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Fault is a failure the simulator injects into a chat completion.
type Fault string

// Faults the simulator can inject.
const (
	// FaultRateLimit answers 429 rate_limit_exceeded with Retry-After and
	// x-ratelimit-* headers advertising ModelConfig.RetryAfter.
	FaultRateLimit Fault = "rate_limit"
	// FaultQuota answers 429 insufficient_quota.
	FaultQuota Fault = "quota"
	// FaultServerError answers 500.
	FaultServerError Fault = "server_error"
	// FaultUnavailable answers 503.
	FaultUnavailable Fault = "unavailable"
	// FaultHang never answers: the handler waits until the client gives up.
	FaultHang Fault = "hang"
	// FaultMalformedJSON answers with content that is not JSON.
	FaultMalformedJSON Fault = "malformed_json"
	// FaultSchemaViolation answers with JSON that violates the schema.
	FaultSchemaViolation Fault = "schema_violation"
	// FaultTruncated answers with half the content and finish_reason "length".
	FaultTruncated Fault = "truncated"
	// FaultContentFilter answers with no content and finish_reason "content_filter".
	FaultContentFilter Fault = "content_filter"
	// FaultModelNotFound answers 404 model_not_found.
	FaultModelNotFound Fault = "model_not_found"
)

// allFaults lists every fault, in the order in which draws consider them.
var allFaults = []Fault{
	FaultRateLimit, FaultQuota, FaultServerError, FaultUnavailable, FaultHang,
	FaultMalformedJSON, FaultSchemaViolation, FaultTruncated, FaultContentFilter, FaultModelNotFound,
}

// draw picks at most one fault for a request from a uniform number u in
// [0, 1): each fault takes a slice of [0, 1) as wide as its probability.
func draw(probs map[Fault]float64, u float64) Fault {
	var acc float64
	for _, f := range allFaults {
		acc += probs[f]
		if u < acc {
			return f
		}
	}
	return ""
}

// ParseFaults parses fault probabilities such as
// "gpt-4o=unavailable:1.0,gpt-4o-mini=rate_limit:0.3+malformed_json:0.1"
// (the format of the DATAFORGE_SIM_FAULTS variable) and sets them on the named
// models, which must exist in models. A probability omitted after a fault
// name means 1. A model's probabilities must sum to at most 1. The empty
// string changes nothing.
func ParseFaults(s string, models map[string]ModelConfig) error {
	parsed := map[string]map[Fault]float64{}
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		model, spec, ok := strings.Cut(entry, "=")
		model = strings.TrimSpace(model)
		if !ok || model == "" || strings.TrimSpace(spec) == "" {
			return fmt.Errorf("faults: %q: want model=fault:probability[+fault:probability…]", entry)
		}
		if _, ok := models[model]; !ok {
			return fmt.Errorf("faults: unknown model %q", model)
		}
		probs := parsed[model]
		if probs == nil {
			probs = map[Fault]float64{}
			parsed[model] = probs
		}
		for item := range strings.SplitSeq(spec, "+") {
			name, p, hasP := strings.Cut(strings.TrimSpace(item), ":")
			f := Fault(strings.TrimSpace(name))
			if !slices.Contains(allFaults, f) {
				return fmt.Errorf("faults: %s: unknown fault %q (want one of %s)", model, f, faultNames())
			}
			prob := 1.0
			if hasP {
				v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
				if err != nil || !(v >= 0 && v <= 1) {
					return fmt.Errorf("faults: %s: %s: probability %q is not a number in [0, 1]", model, f, p)
				}
				prob = v
			}
			probs[f] = prob
		}
		var sum float64
		for _, v := range probs {
			sum += v
		}
		if sum > 1+1e-9 {
			return fmt.Errorf("faults: %s: probabilities sum to %.3g, more than 1", model, sum)
		}
	}
	for model, probs := range parsed {
		cfg := models[model]
		cfg.Faults = probs
		models[model] = cfg
	}
	return nil
}

func faultNames() string {
	names := make([]string, len(allFaults))
	for i, f := range allFaults {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}
