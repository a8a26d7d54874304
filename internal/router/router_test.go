package router

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func names(chain []Tier) []string {
	var out []string
	for _, t := range chain {
		out = append(out, t.Name)
	}
	return out
}

func TestRoute(t *testing.T) {
	t.Parallel()
	llm := Config{PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini"}
	for _, tc := range []struct {
		name string
		cfg  Config
		in   Input
		want []string
	}{
		{"no LLM configured", Config{}, Input{DocType: "invoice"}, []string{"rules", "manual"}},
		{"both models", llm, Input{DocType: "invoice", Complexity: 0.5}, []string{"primary", "fallback", "rules", "manual"}},
		{"primary only", Config{PrimaryModel: "gpt-4o"}, Input{}, []string{"primary", "rules", "manual"}},
		{"simple document, rules first", Config{PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini", RulesFirstBelow: 0.3},
			Input{Complexity: 0.1}, []string{"rules", "primary", "fallback", "manual"}},
		{"complex document, rules after models", Config{PrimaryModel: "gpt-4o", RulesFirstBelow: 0.3},
			Input{Complexity: 0.6}, []string{"primary", "rules", "manual"}},
		{"e-invoice first", Config{PrimaryModel: "gpt-4o", RulesFirstBelow: 0.3},
			Input{Complexity: 0.1, EInvoice: true}, []string{"einvoice", "rules", "primary", "manual"}},
		{"e-invoice, no LLM", Config{}, Input{EInvoice: true}, []string{"einvoice", "rules", "manual"}},
		{"no rules", Config{PrimaryModel: "gpt-4o", NoRules: true, RulesFirstBelow: 0.3},
			Input{Complexity: 0.1}, []string{"primary", "manual"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			chain := Route(tc.cfg, tc.in, nil).Tiers
			require.Equal(t, tc.want, names(chain))
			require.Equal(t, KindManual, chain[len(chain)-1].Kind)
			for _, tier := range chain {
				if tier.Kind == KindLLM {
					require.NotEmpty(t, tier.Model)
					require.NotZero(t, tier.StartToClose)
				}
			}
		})
	}
}

func TestClassifyWhenUnsure(t *testing.T) {
	t.Parallel()
	cfg := Config{PrimaryModel: "gpt-4o", ClassifyBelow: 0.5}
	require.True(t, Route(cfg, Input{TypeConfidence: 0.3}, nil).Classify)
	require.False(t, Route(cfg, Input{TypeConfidence: 0.9}, nil).Classify)
	require.False(t, Route(Config{ClassifyBelow: 0.5}, Input{TypeConfidence: 0.3}, nil).Classify, "no LLM tiers, nobody to ask")
	require.Len(t, Route(cfg, Input{}, nil).LLMTiers(), 1)
	require.False(t, Route(cfg, Input{TypeConfidence: 0.3, EInvoice: true}, nil).Classify, "an e-invoice's type is in its XML")
	require.Len(t, Route(cfg, Input{EInvoice: true}, nil).LLMTiers(), 1, "the einvoice tier runs no optional tasks")
}

func TestCapabilityAndBreaker(t *testing.T) {
	t.Parallel()
	breaker := Breaker{MinAttempts: 5, FailureRate: 0.5, Cooldown: 30 * time.Second}
	cfg := Config{PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini", Capability: true, Breaker: breaker}
	failing := Health{Attempts: 10, Failures: 8, SinceLast: 2 * time.Second, LastFailed: true}
	for _, tc := range []struct {
		name       string
		complexity float64
		health     map[string]Health
		want       []string
		class      string
		skipped    []Skip
		probes     []string
	}{
		{"simple starts on the smaller model", 0.1, nil, []string{"fallback", "primary", "rules", "manual"}, ClassSimple, nil, nil},
		{"standard starts on the primary", 0.4, nil, []string{"primary", "fallback", "rules", "manual"}, ClassStandard, nil, nil},
		{"complex starts on the primary", 0.8, nil, []string{"primary", "fallback", "rules", "manual"}, ClassComplex, nil, nil},
		{"open breaker skips the model", 0.4, map[string]Health{"gpt-4o": failing},
			[]string{"fallback", "rules", "manual"}, ClassStandard, []Skip{{Tier: "primary", Model: "gpt-4o", Reason: "circuit_open"}}, nil},
		{"both open: rules, then people", 0.4, map[string]Health{"gpt-4o": failing, "gpt-4o-mini": failing},
			[]string{"rules", "manual"}, ClassStandard,
			[]Skip{{Tier: "primary", Model: "gpt-4o", Reason: "circuit_open"}, {Tier: "fallback", Model: "gpt-4o-mini", Reason: "circuit_open"}}, nil},
		{"half-open after the cooldown: probed", 0.4,
			map[string]Health{"gpt-4o": {Attempts: 10, Failures: 8, SinceLast: time.Minute, LastFailed: true}},
			[]string{"primary", "fallback", "rules", "manual"}, ClassStandard, nil, []string{"gpt-4o"}},
		{"a success after failures closes it", 0.4,
			map[string]Health{"gpt-4o": {Attempts: 10, Failures: 8, SinceLast: time.Second, LastFailed: false}},
			[]string{"primary", "fallback", "rules", "manual"}, ClassStandard, nil, nil},
		{"too few attempts to judge", 0.4, map[string]Health{"gpt-4o": {Attempts: 3, Failures: 3, SinceLast: time.Second, LastFailed: true}},
			[]string{"primary", "fallback", "rules", "manual"}, ClassStandard, nil, nil},
		{"below the failure rate", 0.4, map[string]Health{"gpt-4o": {Attempts: 10, Failures: 4, SinceLast: time.Second, LastFailed: true}},
			[]string{"primary", "fallback", "rules", "manual"}, ClassStandard, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := Route(cfg, Input{Complexity: tc.complexity}, tc.health)
			require.Equal(t, tc.want, names(p.Tiers))
			require.Equal(t, tc.class, p.Class)
			require.Equal(t, tc.skipped, p.Skipped)
			require.Equal(t, tc.probes, p.Probes)
		})
	}
	off := Route(Config{PrimaryModel: "gpt-4o"}, Input{}, map[string]Health{"gpt-4o": failing})
	require.Equal(t, []string{"primary", "rules", "manual"}, names(off.Tiers), "no breaker configured: nothing skipped")
}

// BenchmarkRoute measures one routing decision with health for two models.
func BenchmarkRoute(b *testing.B) {
	cfg := Config{PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini", Capability: true,
		Breaker: Breaker{MinAttempts: 5, FailureRate: 0.5, Cooldown: 30 * time.Second}}
	health := map[string]Health{"gpt-4o": {Attempts: 10, Failures: 8, SinceLast: time.Second, LastFailed: true}, "gpt-4o-mini": {Attempts: 10}}
	for b.Loop() {
		Route(cfg, Input{Complexity: 0.4}, health)
	}
}
