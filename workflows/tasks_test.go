package workflows

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/schema"
)

func onTask(task schema.Task, tier string) any {
	return mock.MatchedBy(func(in activities.TaskInput) bool { return in.Task == task && in.Tier.Name == tier })
}

func TestUnsureClassificationAsksTheModel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.parses("invoice")
	b.env.OnActivity(a.Route, mock.Anything, mock.Anything).Return(router.Plan{Classify: true, Tiers: llmChain()}, nil).Once()
	b.env.OnActivity(a.RunTask, mock.Anything, onTask(schema.TaskClassify, "primary")).
		Return(&activities.TaskOutput{Output: json.RawMessage(`{"category":"receipt","confidence":0.9}`), Model: "gpt-4o"}, nil).Once()
	b.env.OnActivity(a.ExtractLLM, mock.Anything, mock.MatchedBy(func(in activities.ExtractInput) bool {
		return in.Tier.Name == "primary" && in.DocType == "receipt"
	})).Return(&activities.ExtractOutput{Valid: true, Overall: 1}, nil).Once()
	b.completes("receipt", "primary")

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	res := b.result(t)
	require.Equal(t, "receipt", res.DocType, "the model's classification replaces the unsure one")
	require.Empty(t, res.Fallbacks)
}

func TestSummaryFallsBackWhenOptedIn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.parses("invoice")
	b.routes(llmChain()...)
	filtered := temporal.NewNonRetryableApplicationError("filtered", llm.ErrTypeContentFilter, nil)
	b.env.OnActivity(a.RunTask, mock.Anything, mock.Anything).Return(nil, filtered).Twice()
	b.env.OnActivity(a.SaveFallback, mock.Anything, onTask(schema.TaskSummarize, "")).
		Return(&activities.TaskOutput{Output: json.RawMessage(`{"summary":"","language":""}`), Fallback: true}, nil).Once()
	b.env.OnActivity(a.ExtractLLM, mock.Anything, onTier("primary")).Return(&activities.ExtractOutput{Valid: true, Overall: 1}, nil).Once()
	b.env.OnActivity(a.Complete, mock.Anything, mock.Anything).Return(nil).Once()

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf", Summarize: true,
		Fallbacks: []schema.Task{schema.TaskSummarize}})

	res := b.result(t)
	require.Equal(t, dftype.StatusCompleted, res.Status)
	require.Equal(t, []string{"summarize"}, res.Fallbacks, "the result says it holds a fallback")
	require.Equal(t, []string{"summarize/primary:ContentFiltered", "summarize/fallback:ContentFiltered"}, dftype.ReasonCodes(res.Reasons))
}

func TestSummaryWithoutFallbackGoesToReview(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.parses("invoice")
	b.routes(rulesTier, manualTier)
	var reasons []dftype.Reason
	b.env.OnActivity(a.EnqueueReview, mock.Anything, mock.Anything).
		Run(func(args mock.Arguments) { reasons = args.Get(1).(activities.ReviewInput).Reasons }).Return(int64(4), nil).Once()
	b.env.OnActivity(a.ResolveReview, mock.Anything, mock.Anything).Return(nil).Once()
	b.env.RegisterDelayedCallback(func() {
		b.update(t, UpdateReview, ReviewDecision{Reviewer: "ann", Fields: validFields()}, nil)
	}, time.Minute)

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf", Summarize: true})

	require.Equal(t, []dftype.Reason{{Tier: "summarize", Code: "no_llm", Detail: "no LLM tier is configured"}}, reasons)
	require.Equal(t, dftype.StatusCompleted, b.result(t).Status)
}
