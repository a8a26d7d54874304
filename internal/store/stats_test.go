package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/store"
)

// TestStats: four documents, one completed by the primary model after a
// rate-limited attempt, one by the rules, one by a reviewer, one waiting in
// review; the figures follow from the rows.
func TestStats(t *testing.T) {
	t.Parallel()
	b := setup(t)
	since := time.Now().Add(-time.Hour)
	primary, rules, manual, waiting := b.document(t, "a"), b.document(t, "b"), b.document(t, "c"), b.document(t, "d")
	attempt := func(doc, tier, model, outcome, class string, ms int64, cost float64) {
		require.NoError(t, b.st.RecordAttempt(b.ctx, &store.Attempt{DocumentID: doc, Task: "extract", Tier: tier, Model: model,
			Attempt: 1, Outcome: outcome, ErrorClass: class, Latency: time.Duration(ms) * time.Millisecond,
			PromptTokens: 100, CompletionTokens: 20, CostUSD: cost}))
	}
	attempt(primary, "primary", "gpt-4o", store.OutcomeError, "RateLimited", 50, 0)
	attempt(primary, "primary", "gpt-4o", store.OutcomeSuccess, "", 150, 0.01)
	attempt(rules, "primary", "gpt-4o", store.OutcomeError, "RateLimited", 40, 0)
	attempt(rules, "rules", "", store.OutcomeSuccess, "", 5, 0)
	attempt(manual, "rules", "", store.OutcomeLowConfidence, "", 5, 0)
	attempt(waiting, "rules", "", store.OutcomeLowConfidence, "", 7, 0)
	complete := func(doc, tier string) {
		require.NoError(t, b.st.Complete(b.ctx, &store.Result{DocumentID: doc, DocType: "invoice", Fields: json.RawMessage(`{}`), Tier: tier}))
	}
	complete(primary, "primary")
	complete(rules, "rules")
	for _, doc := range []string{manual, waiting} {
		_, err := b.st.EnqueueReview(b.ctx, &store.ReviewItem{DocumentID: doc, DocumentName: "doc.txt", WorkflowID: "doc-" + doc,
			DocType: "invoice", Priority: 100, Reasons: []dftype.Reason{{Tier: "rules", Code: "low_confidence"}},
			DueAt: time.Now().Add(-time.Minute)})
		require.NoError(t, err)
	}
	require.NoError(t, b.st.ResolveReview(b.ctx, manual, &dftype.Decision{Reviewer: "ann", Fields: json.RawMessage(`{"total": 1}`)}))

	st, err := b.st.Stats(b.ctx, since, 5)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"completed": 3, "review": 1}, st.Documents)
	require.Equal(t, 4, st.Settled)
	require.Equal(t, map[string]int{"primary": 1, "rules": 1, "manual": 1}, st.CompletedByTier)
	require.InDelta(t, 0.5, st.AutomatedRate, 1e-9, "primary and rules of four")
	require.InDelta(t, 0.5, st.ManualRate, 1e-9, "two of four went to a person")
	require.InDelta(t, 0.01, st.CostUSD, 1e-9)
	require.Equal(t, []store.TopReason{{Reason: "rules:low_confidence", Count: 2}}, st.TopReasons)
	require.Equal(t, store.ErrorCount{Tier: "primary", ErrorClass: "RateLimited", Count: 2}, st.TopErrors[0])
	var gpt store.TierStats
	for _, ts := range st.Tiers {
		if ts.Tier == "primary" {
			gpt = ts
		}
	}
	require.Equal(t, 3, gpt.Attempts)
	require.Equal(t, 1, gpt.Successes)
	require.InDelta(t, 50, gpt.LatencyP50MS, 1e-9)
	require.EqualValues(t, 300, gpt.PromptTokens)
	require.Equal(t, store.QueueStats{Pending: 1, Overdue: 1, OldestPendingSec: st.Queue.OldestPendingSec}, st.Queue)
	require.Greater(t, st.Queue.OldestPendingSec, 0.0)

	later, err := b.st.Stats(b.ctx, time.Now().Add(time.Minute), 5)
	require.NoError(t, err)
	require.Zero(t, later.Settled, "documents before the window are not counted")
	require.Zero(t, later.AutomatedRate)
	require.Equal(t, 1, later.Queue.Pending, "the queue is now, not a window")
}

func TestStatsWithAReviewItemWithoutReasons(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := b.document(t, "a")
	_, err := b.st.EnqueueReview(b.ctx, &store.ReviewItem{DocumentID: doc, DocumentName: "doc.txt", WorkflowID: "doc-" + doc,
		DocType: "invoice", Priority: 100, DueAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	st, err := b.st.Stats(b.ctx, time.Now().Add(-time.Hour), 5)
	require.NoError(t, err)
	require.Empty(t, st.TopReasons)
	require.Equal(t, map[string]int{"review": 1}, st.Documents)
}

// TestModelHealth: per model over the window, the attempts, those that
// failed for the given classes, those that waited for the rate limit, the
// last one's outcome and the median latency of the successes; attempts
// before the window and without a model do not count.
func TestModelHealth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := b.document(t, "health")
	now := time.Now()
	record := func(model, outcome, class string, latency time.Duration, ago time.Duration) {
		require.NoError(t, b.st.RecordAttempt(b.ctx, &store.Attempt{DocumentID: doc, Tier: "primary", Model: model, Attempt: 1,
			Outcome: outcome, ErrorClass: class, Latency: latency, StartedAt: now.Add(-ago)}))
	}
	record("a", store.OutcomeSuccess, "", time.Second, 50*time.Second)
	record("a", store.OutcomeSuccess, "", 3*time.Second, 40*time.Second)
	record("a", store.OutcomeSuccess, "", 9*time.Second, 30*time.Second)
	record("a", store.OutcomeError, "RateLimitWait", 0, 20*time.Second)
	record("a", store.OutcomeError, "ServerError", 0, 10*time.Second)
	record("a", store.OutcomeSuccess, "", time.Hour, 2*time.Hour) // before the window
	record("b", store.OutcomeInvalid, "", 2*time.Second, 5*time.Second)
	record("", store.OutcomeSuccess, "", time.Second, time.Second) // rules: no model

	h, err := b.st.ModelHealth(b.ctx, 5*time.Minute, []string{"ServerError"}, "RateLimitWait")
	require.NoError(t, err)
	require.Len(t, h, 2)
	a := h["a"]
	require.Equal(t, 5, a.Attempts)
	require.Equal(t, 1, a.Failures)
	require.Equal(t, 1, a.Waits)
	require.True(t, a.LastFailed)
	require.Equal(t, 3*time.Second, a.Latency, "the median of 1, 3 and 9 s")
	require.InDelta(t, 10*time.Second, a.SinceLast, float64(5*time.Second))
	require.Equal(t, store.ModelHealth{Attempts: 1, SinceLast: h["b"].SinceLast}, h["b"], "no success: no latency")
}

// TestBusiestMinute: attempts count from when they ended (one that waited
// long for room counts where it was sent), in the minute after any
// attempt's end (a minute later is out of it), for one model only.
func TestBusiestMinute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := b.document(t, "busiest")
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	record := func(model string, start, latency time.Duration, tokens int) {
		require.NoError(t, b.st.RecordAttempt(b.ctx, &store.Attempt{DocumentID: doc, Tier: "primary", Model: model, Attempt: 1,
			Outcome: store.OutcomeSuccess, Latency: latency, StartedAt: t0.Add(start), PromptTokens: tokens}))
	}
	record("m", 0, 0, 100)
	record("m", -100*time.Second, 110*time.Second, 1000) // ends at 10 s
	record("m", 30*time.Second, 0, 200)
	record("m", 59*time.Second, 0, 300)
	record("m", 61*time.Second, 0, 400)
	record("m", 70*time.Second, 0, 800)      // a minute after 10 s: out of its minute
	record("m", 75*time.Second, 0, 0)        // no usage
	record("other", 20*time.Second, 0, 5000) // another model

	busiest, err := b.st.BusiestMinute(b.ctx, "m")
	require.NoError(t, err)
	require.EqualValues(t, 1000+200+300+400, busiest, "the minute from 10 s")
	none, err := b.st.BusiestMinute(b.ctx, "unused")
	require.NoError(t, err)
	require.Zero(t, none)
}
