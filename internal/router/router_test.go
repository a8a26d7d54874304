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

func TestLoadAware(t *testing.T) {
	t.Parallel()
	cfg := Config{PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini", Capability: true,
		Breaker: DefaultBreaker, Load: &DefaultLoad}
	healthy := Health{Attempts: 10, Latency: time.Second}
	waiting := Health{Attempts: 10, Waits: 4, Latency: time.Second}   // 40 % waited for the rate limit
	erring := Health{Attempts: 10, Failures: 3, Latency: time.Second} // 30 % failed, breaker closed
	slow := Health{Attempts: 10, Latency: 4 * time.Second}            // 4 × the healthy one
	bitSlow := Health{Attempts: 10, Latency: 2 * time.Second}         // 2 ×: not enough
	few := Health{Attempts: 3, Waits: 3}                              // too few to judge
	for _, tc := range []struct {
		name       string
		complexity float64
		health     map[string]Health
		want       []string
		reason     string
	}{
		{"standard: primary rate-limited, smaller starts", 0.4, map[string]Health{"gpt-4o": waiting, "gpt-4o-mini": healthy},
			[]string{"fallback", "primary", "rules", "manual"}, "load: 40 % of gpt-4o's 10 recent attempts failed or waited for the rate limit, 0 % of gpt-4o-mini's 10"},
		{"standard: primary failing below the breaker", 0.4, map[string]Health{"gpt-4o": erring, "gpt-4o-mini": healthy},
			[]string{"fallback", "primary", "rules", "manual"}, "load: 30 % of gpt-4o's 10 recent attempts failed or waited for the rate limit, 0 % of gpt-4o-mini's 10"},
		{"standard: primary slow", 0.4, map[string]Health{"gpt-4o": slow, "gpt-4o-mini": healthy},
			[]string{"fallback", "primary", "rules", "manual"}, "load: gpt-4o answers in 4s (median), gpt-4o-mini in 1s"},
		{"standard: primary a little slower", 0.4, map[string]Health{"gpt-4o": bitSlow, "gpt-4o-mini": healthy},
			[]string{"primary", "fallback", "rules", "manual"}, ""},
		{"simple: the smaller model slow, primary starts", 0.1, map[string]Health{"gpt-4o": healthy, "gpt-4o-mini": slow},
			[]string{"primary", "fallback", "rules", "manual"}, "load: gpt-4o-mini answers in 4s (median), gpt-4o in 1s"},
		{"complex stays on the primary", 0.8, map[string]Health{"gpt-4o": waiting, "gpt-4o-mini": healthy},
			[]string{"primary", "fallback", "rules", "manual"}, ""},
		{"the other struggles too", 0.4, map[string]Health{"gpt-4o": waiting, "gpt-4o-mini": erring},
			[]string{"primary", "fallback", "rules", "manual"}, ""},
		{"too few attempts to judge", 0.4, map[string]Health{"gpt-4o": few, "gpt-4o-mini": healthy},
			[]string{"primary", "fallback", "rules", "manual"}, ""},
		{"the other unknown", 0.4, map[string]Health{"gpt-4o": waiting},
			[]string{"primary", "fallback", "rules", "manual"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := Route(cfg, Input{Complexity: tc.complexity}, tc.health)
			require.Equal(t, tc.want, names(p.Tiers))
			require.Equal(t, tc.reason, p.Reason)
		})
	}
	off := cfg
	off.Load = nil
	p := Route(off, Input{Complexity: 0.4}, map[string]Health{"gpt-4o": waiting, "gpt-4o-mini": healthy})
	require.Equal(t, []string{"primary", "fallback", "rules", "manual"}, names(p.Tiers), "load-aware routing off")

	learned := cfg
	learned.Learned = &DefaultLearned
	p = RouteLearned(learned, Input{Complexity: 0.4, DocType: "invoice"}, map[string]Health{"gpt-4o": slow, "gpt-4o-mini": healthy}, nil)
	require.Equal(t, []string{"fallback", "primary", "rules", "manual"}, names(p.Tiers))
	require.Equal(t, "capability: no model proven on standard invoice; load: gpt-4o answers in 4s (median), gpt-4o-mini in 1s", p.Reason)
}

// BenchmarkRoute measures one routing decision with health for two models.
func BenchmarkRoute(b *testing.B) {
	cfg := Config{PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini", Capability: true,
		Breaker: Breaker{MinAttempts: 5, FailureRate: 0.5, Cooldown: 30 * time.Second}, Load: &DefaultLoad}
	health := map[string]Health{"gpt-4o": {Attempts: 10, Failures: 8, SinceLast: time.Second, LastFailed: true},
		"gpt-4o-mini": {Attempts: 10, Latency: time.Second}}
	for b.Loop() {
		Route(cfg, Input{Complexity: 0.4}, health)
	}
}
