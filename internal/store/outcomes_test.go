package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/store"
)

// TestOutcomes: a model's outcome on a document is known when it read it
// or failed for the document's reasons; the provider's failures and other
// tasks' attempts say nothing. Both readings agree on the rows.
func TestOutcomes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	since := time.Now().Add(-time.Hour)
	text := func(id, docType string, complexity float64) {
		require.NoError(t, b.st.SaveText(b.ctx, id, store.TextInfo{Text: "x", Pages: 1}, docType,
			map[string]any{"Type": docType, "Complexity": complexity}))
	}
	attempt := func(doc, tier, model, task, outcome, class string, cost float64) {
		require.NoError(t, b.st.RecordAttempt(b.ctx, &store.Attempt{DocumentID: doc, Task: task, Tier: tier, Model: model,
			Attempt: 1, Outcome: outcome, ErrorClass: class, CostUSD: cost, StartedAt: time.Now()}))
	}
	simple, complex, outage := b.document(t, "simple"), b.document(t, "complex"), b.document(t, "outage")
	text(simple, "invoice", 0.1)
	text(complex, "invoice", 0.7)
	text(outage, "receipt", 0.3)
	attempt(simple, "fallback", "mini", "extract", store.OutcomeError, "ProviderUnavailable", 0)
	attempt(simple, "fallback", "mini", "extract", store.OutcomeSuccess, "", 0.001)
	attempt(simple, "fallback", "mini", "classify", store.OutcomeSuccess, "", 0.5)
	attempt(complex, "fallback", "mini", "extract", store.OutcomeInvalid, "InvalidOutput", 0.002)
	attempt(complex, "primary", "big", "extract", store.OutcomeError, "ContextLengthExceeded", 0.003)
	attempt(complex, "primary", "big", "extract", store.OutcomeSuccess, "", 0.01)
	attempt(complex, "rules", "", "extract", store.OutcomeLowConfidence, "", 0)
	attempt(outage, "primary", "big", "extract", store.OutcomeError, "ProviderUnavailable", 0)
	failures := []string{"InvalidOutput", "ContextLengthExceeded"}

	rows, err := b.st.ModelOutcomes(b.ctx, time.Hour, []float64{0.25, 0.55}, failures)
	require.NoError(t, err)
	require.ElementsMatch(t, []store.ModelOutcome{
		{Model: "mini", DocType: "invoice", Band: 0, Documents: 1, Successes: 1, CostUSD: 0.001},
		{Model: "mini", DocType: "invoice", Band: 2, Documents: 1, Successes: 0, CostUSD: 0.002},
		{Model: "big", DocType: "invoice", Band: 2, Documents: 1, Successes: 1, CostUSD: 0.013},
	}, rows, "the rules have no model; the outage says nothing")

	docs, err := b.st.DocumentOutcomes(b.ctx, since, failures)
	require.NoError(t, err)
	require.Len(t, docs, 3)
	require.Equal(t, simple, docs[0].DocumentID, "oldest first attempt first")
	require.Equal(t, []store.TierOutcome{{Tier: "fallback", Model: "mini", Succeeded: true, CostUSD: 0.001}}, docs[0].Tiers)
	require.Equal(t, "invoice", docs[1].DocType)
	require.InDelta(t, 0.7, docs[1].Complexity, 1e-9)
	require.Equal(t, []store.TierOutcome{
		{Tier: "fallback", Model: "mini", Failed: true, CostUSD: 0.002},
		{Tier: "primary", Model: "big", Succeeded: true, Failed: true, CostUSD: 0.013},
		{Tier: "rules", Failed: true},
	}, docs[1].Tiers)
	require.Equal(t, []store.TierOutcome{{Tier: "primary", Model: "big"}}, docs[2].Tiers, "neither read nor failed: unknown")

	later, err := b.st.DocumentOutcomes(b.ctx, time.Now().Add(time.Minute), failures)
	require.NoError(t, err)
	require.Empty(t, later)
}
