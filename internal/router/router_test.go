package router

import (
	"testing"

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
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			chain := Route(tc.cfg, tc.in).Tiers
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
	require.True(t, Route(cfg, Input{TypeConfidence: 0.3}).Classify)
	require.False(t, Route(cfg, Input{TypeConfidence: 0.9}).Classify)
	require.False(t, Route(Config{ClassifyBelow: 0.5}, Input{TypeConfidence: 0.3}).Classify, "no LLM tiers, nobody to ask")
	require.Len(t, Route(cfg, Input{}).LLMTiers(), 1)
	require.False(t, Route(cfg, Input{TypeConfidence: 0.3, EInvoice: true}).Classify, "an e-invoice's type is in its XML")
	require.Len(t, Route(cfg, Input{EInvoice: true}).LLMTiers(), 1, "the einvoice tier runs no optional tasks")
}
