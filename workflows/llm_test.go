package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/parsers"
)

func llmChain() []router.Tier {
	return router.Route(router.Config{PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini", LLMRetry: llm.RetryPolicy()},
		router.Input{DocType: "invoice"}, nil).Tiers
}

func onTier(name string) any {
	return mock.MatchedBy(func(in activities.ExtractInput) bool { return in.Tier.Name == name })
}

// TestErrorClassesThroughTheChain: what each class of primary-model failure
// does — retried ones are tried three times, the others once — before the
// fallback model completes the document.
func TestErrorClassesThroughTheChain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		class    string
		delay    time.Duration
		attempts int
	}{
		{llm.ErrTypeRateLimited, 20 * time.Second, 3},
		{llm.ErrTypeServer, 0, 3},
		{llm.ErrTypeQuotaExceeded, 0, 1},
		{llm.ErrTypeBadRequest, 0, 1},
		{llm.ErrTypeAuth, 0, 1},
		{llm.ErrTypeModelNotFound, 0, 1},
		{llm.ErrTypeContextLength, 0, 1},
		{llm.ErrTypeContentFilter, 0, 1},
		{llm.ErrTypeTruncated, 0, 1},
		{llm.ErrTypeInvalidOutput, 0, 1},
	} {
		t.Run(tc.class, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.parses("invoice")
			b.routes(llmChain()...)
			err := temporal.NewApplicationErrorWithOptions("provider said no", tc.class, temporal.ApplicationErrorOptions{
				NonRetryable: !llm.Retryable(temporal.NewApplicationError("", tc.class)), NextRetryDelay: tc.delay,
			})
			var starts []time.Time
			b.env.OnActivity(a.ExtractLLM, mock.Anything, onTier("primary")).
				Run(func(mock.Arguments) { starts = append(starts, b.env.Now()) }).Return(nil, err).Times(tc.attempts)
			b.env.OnActivity(a.ExtractLLM, mock.Anything, onTier("fallback")).
				Return(&activities.ExtractOutput{Valid: true, Overall: 1, Model: "gpt-4o-mini-2024-07-18"}, nil).Once()
			b.completes("invoice", "fallback")

			b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

			res := b.result(t)
			require.Equal(t, dftype.StatusCompleted, res.Status)
			require.Equal(t, "fallback", res.Tier)
			require.Equal(t, "gpt-4o-mini-2024-07-18", res.Model)
			require.Equal(t, []dftype.Reason{{Tier: "primary", Code: tc.class, Detail: "provider said no"}}, res.Reasons)
			if tc.delay > 0 {
				for i := 1; i < len(starts); i++ {
					require.GreaterOrEqual(t, starts[i].Sub(starts[i-1]), tc.delay, "NextRetryDelay is honoured")
				}
			}
		})
	}
}

// TestRedriveAfterOutage: every tier fails while the provider is down, the
// document waits in review; re-driven after the outage, it completes on the
// primary model.
func TestRedriveAfterOutage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.parses("invoice")
	b.env.OnActivity(a.Route, mock.Anything, mock.Anything).Return(router.Plan{Tiers: llmChain()}, nil).Twice()
	healthy := false
	b.env.OnActivity(a.ExtractLLM, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ExtractInput) (*activities.ExtractOutput, error) {
			if !healthy {
				return nil, temporal.NewApplicationError("503", llm.ErrTypeServer)
			}
			return &activities.ExtractOutput{Valid: true, Overall: 1, Model: in.Tier.Model}, nil
		})
	b.env.OnActivity(a.ExtractRules, mock.Anything, mock.Anything).
		Return(&activities.ExtractOutput{Code: string(parsers.CodeLowConfidence), Detail: "confidence 0.30"}, nil).Once()
	var reasons []dftype.Reason
	b.env.OnActivity(a.EnqueueReview, mock.Anything, mock.Anything).
		Run(func(args mock.Arguments) { reasons = args.Get(1).(activities.ReviewInput).Reasons }).Return(int64(5), nil).Once()
	b.env.OnActivity(a.Redrive, mock.Anything, activities.RedriveInput{DocumentID: docID, Actor: "ops"}).Return(nil).Once()
	b.completes("invoice", "primary")
	var rejected []error
	b.env.RegisterDelayedCallback(func() {
		healthy = true
		b.update(t, UpdateRedrive, "", func(err error) { rejected = append(rejected, err) })
		b.update(t, UpdateRedrive, "ops", nil)
	}, time.Hour)

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	res := b.result(t)
	require.Equal(t, []string{"primary:ProviderUnavailable", "fallback:ProviderUnavailable", "rules:low_confidence"},
		dftype.ReasonCodes(reasons))
	require.Len(t, rejected, 1)
	require.ErrorContains(t, rejected[0], "actor identity is required")
	require.Equal(t, dftype.StatusCompleted, res.Status)
	require.Equal(t, "primary", res.Tier)
}

func TestUnreadableDocumentCannotBeRedriven(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.OnActivity(a.Parse, mock.Anything, mock.Anything).Return(nil,
		temporal.NewNonRetryableApplicationError("corrupt", activities.ErrTypeParse, nil, "corrupt")).Once()
	b.env.OnActivity(a.EnqueueReview, mock.Anything, mock.Anything).Return(int64(2), nil).Once()
	b.env.OnActivity(a.ResolveReview, mock.Anything, mock.Anything).Return(nil).Once()
	var rejected error
	b.env.RegisterDelayedCallback(func() {
		b.update(t, UpdateRedrive, "ops", func(err error) { rejected = err })
		b.update(t, UpdateReview, ReviewDecision{Reviewer: "ann", Reject: true, Reason: "unreadable"}, nil)
	}, time.Minute)

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	require.ErrorContains(t, rejected, "cannot be read")
	require.Equal(t, dftype.StatusRejected, b.result(t).Status)
}
