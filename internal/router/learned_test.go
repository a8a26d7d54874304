package router

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLearnedOrder: the cheapest model proven on a kind of document starts
// its chain; where nothing is proven, or a maybe cheaper model is not yet
// known, capability routing's order stands.
func TestLearnedOrder(t *testing.T) {
	t.Parallel()
	learned := Learned{Threshold: 0.9, MinDocuments: 10, PriorSuccesses: 1, PriorFailures: 1}
	cfg := Config{PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini", Capability: true, Learned: &learned,
		Breaker: DefaultBreaker}
	good := func(n int, each float64) Record {
		return Record{Documents: n, Successes: n, CostUSD: float64(n) * each}
	}
	bad := func(n int, each float64) Record {
		return Record{Documents: n, Successes: n / 4, CostUSD: float64(n) * each}
	}
	failing := Health{Attempts: 10, Failures: 8, SinceLast: time.Second, LastFailed: true}
	for _, tc := range []struct {
		name       string
		in         Input
		ev         Evidence
		health     map[string]Health
		want       []string
		reasonHead string
	}{
		{"no evidence: capability, simple on the smaller model", Input{DocType: "invoice", Complexity: 0.1}, nil, nil,
			[]string{"fallback", "primary", "rules", "manual"}, "capability: no model proven on simple invoice"},
		{"no evidence: capability, complex on the primary", Input{DocType: "invoice", Complexity: 0.8}, nil, nil,
			[]string{"primary", "fallback", "rules", "manual"}, "capability: no model proven"},
		{"the smaller model proven on standard invoices starts them", Input{DocType: "invoice", Complexity: 0.4},
			Evidence{{"gpt-4o-mini", ClassStandard, "invoice"}: good(30, 0.001), {"gpt-4o", ClassComplex, "invoice"}: good(30, 0.01)}, nil,
			[]string{"fallback", "primary", "rules", "manual"}, "learned: gpt-4o-mini read 30 of 30 standard invoice"},
		{"the smaller model failing on simple receipts: the proven primary starts", Input{DocType: "receipt", Complexity: 0.1},
			Evidence{{"gpt-4o-mini", ClassSimple, "receipt"}: bad(20, 0.001), {"gpt-4o", ClassSimple, "receipt"}: good(20, 0.01)}, nil,
			[]string{"primary", "fallback", "rules", "manual"}, "learned: gpt-4o read 20 of 20 simple receipt"},
		{"both proven: the cheaper starts", Input{DocType: "invoice", Complexity: 0.8},
			Evidence{{"gpt-4o-mini", ClassComplex, "invoice"}: good(20, 0.001), {"gpt-4o", ClassComplex, "invoice"}: good(20, 0.01)}, nil,
			[]string{"fallback", "primary", "rules", "manual"}, "learned: gpt-4o-mini"},
		{"too few documents: not proven", Input{DocType: "invoice", Complexity: 0.8},
			Evidence{{"gpt-4o-mini", ClassComplex, "invoice"}: good(9, 0.001), {"gpt-4o", ClassComplex, "invoice"}: good(9, 0.01)}, nil,
			[]string{"primary", "fallback", "rules", "manual"}, "capability: no model proven"},
		{"below the threshold: not proven", Input{DocType: "invoice", Complexity: 0.4},
			Evidence{{"gpt-4o-mini", ClassStandard, "invoice"}: {Documents: 40, Successes: 35, CostUSD: 0.04}}, nil,
			[]string{"primary", "fallback", "rules", "manual"}, "capability: no model proven"},
		{"the primary proven, the cheaper model not yet known on the kind: capability explores it",
			Input{DocType: "invoice", Complexity: 0.1},
			Evidence{{"gpt-4o", ClassSimple, "invoice"}: good(30, 0.01), {"gpt-4o-mini", ClassComplex, "invoice"}: bad(4, 0.001)}, nil,
			[]string{"fallback", "primary", "rules", "manual"}, "capability: gpt-4o-mini, maybe cheaper, not yet known"},
		{"the cheaper model never tried anywhere: capability", Input{DocType: "invoice", Complexity: 0.4},
			Evidence{{"gpt-4o", ClassStandard, "invoice"}: good(30, 0.01)}, nil,
			[]string{"primary", "fallback", "rules", "manual"}, "capability: gpt-4o-mini, maybe cheaper"},
		{"an open breaker still skips the learned choice", Input{DocType: "invoice", Complexity: 0.4},
			Evidence{{"gpt-4o-mini", ClassStandard, "invoice"}: good(30, 0.001), {"gpt-4o", ClassComplex, "invoice"}: good(30, 0.01)},
			map[string]Health{"gpt-4o-mini": failing},
			[]string{"primary", "rules", "manual"}, "learned: gpt-4o-mini"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := RouteLearned(cfg, tc.in, tc.health, tc.ev)
			require.Equal(t, tc.want, names(p.Tiers))
			require.Contains(t, p.Reason, tc.reasonHead)
			for _, tier := range p.LLMTiers() {
				require.Equal(t, map[string]string{"primary": "gpt-4o", "fallback": "gpt-4o-mini"}[tier.Name], tier.Model,
					"a tier keeps its model and name, only its place changes")
			}
		})
	}
	require.Empty(t, Route(Config{PrimaryModel: "gpt-4o", Capability: true}, Input{}, nil).Reason, "learned routing off: no reason")
}

func TestLearnedChance(t *testing.T) {
	t.Parallel()
	require.InDelta(t, 0.5, DefaultLearned.Chance(Record{}), 1e-9, "the prior alone")
	require.InDelta(t, 21.0/22, DefaultLearned.Chance(Record{Documents: 20, Successes: 20}), 1e-9)
	require.InDelta(t, 0.5, Learned{}.Chance(Record{}), 1e-9, "zero values take the defaults")
	require.Equal(t, 7*24*time.Hour, Learned{}.WindowOrDefault())
}

// TestReplayPolicies: documents tried on both models; the smaller model
// reads simple ones only. Fixed routing pays the primary on all; learned
// routing, once it has seen enough, pays the smaller model on simple ones
// and avoids it on simple receipts it fails; a document with an unknown
// tier on a policy's path is left out of every figure.
func TestReplayPolicies(t *testing.T) {
	t.Parallel()
	cfg := Config{PrimaryModel: "big", FallbackModel: "small"}
	learned := Learned{MinDocuments: 5}
	fixed, capability, learn := cfg, cfg, cfg
	capability.Capability = true
	learn.Capability, learn.Learned = true, &learned
	var docs []Recorded
	add := func(n int, docType string, complexity float64, small string) {
		for range n {
			docs = append(docs, Recorded{Input: Input{DocType: docType, Complexity: complexity}, Tiers: map[string]RecordedTier{
				"big": {Outcome: OutcomeSuccess, CostUSD: 0.01}, "small": {Outcome: small, CostUSD: 0.001}}})
		}
	}
	add(10, "invoice", 0.1, OutcomeSuccess)
	add(10, "receipt", 0.1, OutcomeFailure)
	add(10, "invoice", 0.8, OutcomeFailure)
	docs = append(docs, Recorded{Input: Input{DocType: "invoice", Complexity: 0.1},
		Tiers: map[string]RecordedTier{"small": {Outcome: OutcomeSuccess, CostUSD: 0.001}}})
	r := ReplayPolicies([]Policy{{"fixed", fixed}, {"capability", capability}, {"learned", learn}}, docs)
	require.Equal(t, 31, r.Documents)
	require.Equal(t, 30, r.Compared)
	byName := map[string]Replayed{}
	for _, p := range r.Policies {
		byName[p.Policy] = p
		require.Equal(t, 30, p.Completed, p.Policy)
	}
	require.Equal(t, 1, byName["fixed"].Unknown, "the primary was never tried on the last document")
	require.Zero(t, byName["capability"].Unknown)
	require.InDelta(t, 0.30, byName["fixed"].CostUSD, 1e-9)
	require.InDelta(t, 10*0.001+10*0.011+10*0.01, byName["capability"].CostUSD, 1e-9)
	// learned: the first 8 simple receipts as capability (small, then big),
	// until the primary's posterior (8+1)/(8+2) reaches 0.9; the other 2 on
	// the primary alone.
	require.InDelta(t, 10*0.001+8*0.011+2*0.01+10*0.01, byName["learned"].CostUSD, 1e-9)
	require.InDelta(t, 1, byName["learned"].SuccessRate, 1e-9)
}

// BenchmarkRouteLearned measures one learned routing decision over the
// evidence of two models on a dozen kinds of documents.
func BenchmarkRouteLearned(b *testing.B) {
	cfg := Config{PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini", Capability: true, Learned: &DefaultLearned, Breaker: DefaultBreaker}
	ev := Evidence{}
	for _, model := range []string{"gpt-4o", "gpt-4o-mini"} {
		for _, class := range Classes {
			for _, typ := range []string{"invoice", "receipt", "purchase_order", "other"} {
				ev[Key{model, class, typ}] = Record{Documents: 40, Successes: 39, CostUSD: 0.4}
			}
		}
	}
	health := map[string]Health{"gpt-4o": {Attempts: 10}, "gpt-4o-mini": {Attempts: 10}}
	for b.Loop() {
		RouteLearned(cfg, Input{DocType: "invoice", Complexity: 0.4}, health, ev)
	}
}
