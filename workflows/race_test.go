package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/parsers"
)

// outcome collects what happened to one update.
type outcome struct {
	rejected error
	result   any
	err      error
	done     bool
}

func (b *testBundle) send(name string, arg any) *outcome {
	o := &outcome{}
	b.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) { o.rejected, o.done = err, true },
		OnComplete: func(res any, err error) {
			o.result, o.err, o.done = res, err, true
		},
	}, arg)
	return o
}

// inReview routes a document to review because the rules were unsure.
func (b *testBundle) inReview() {
	b.parses("invoice")
	b.routes(rulesTier, manualTier)
	b.env.OnActivity(a.ExtractRules, mock.Anything, mock.Anything).
		Return(&activities.ExtractOutput{Code: string(parsers.CodeLowConfidence), Detail: "confidence 0.40"}, nil).Once()
	b.env.OnActivity(a.EnqueueReview, mock.Anything, mock.Anything).Return(int64(7), nil).Once()
}

// TestConcurrentReviewerActions: two reviewer actions that arrive together
// (in one workflow task) — the second is refused while the first is being
// recorded, and only the first reaches Postgres.
func TestConcurrentReviewerActions(t *testing.T) {
	t.Parallel()
	submit := ReviewDecision{Reviewer: "ann", Fields: validFields()}
	for _, tc := range []struct {
		name         string
		second       string
		arg          any
		wantRejected string
	}{
		{"two submits", UpdateReview, ReviewDecision{Reviewer: "bob", Fields: validFields()}, "another decision is being recorded (review by ann)"},
		{"submit and reject", UpdateReview, ReviewDecision{Reviewer: "bob", Reject: true, Reason: "dup"}, "another decision is being recorded"},
		{"submit and redrive", UpdateRedrive, "ops", "another decision is being recorded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.inReview()
			var resolved []activities.ResolveInput
			b.env.OnActivity(a.ResolveReview, mock.Anything, mock.Anything).
				Run(func(args mock.Arguments) { resolved = append(resolved, args.Get(1).(activities.ResolveInput)) }).
				Return(nil).Once()
			var first, second *outcome
			b.env.RegisterDelayedCallback(func() {
				first = b.send(UpdateReview, submit)
				second = b.send(tc.second, tc.arg)
			}, time.Hour)

			b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

			res := b.result(t)
			require.True(t, first.done && second.done)
			require.NoError(t, first.rejected)
			require.NoError(t, first.err)
			require.ErrorContains(t, second.rejected, tc.wantRejected)
			require.Len(t, resolved, 1, "one decision reaches Postgres")
			require.Equal(t, "ann", resolved[0].Decision.Reviewer)
			require.Equal(t, dftype.StatusCompleted, res.Status)
			require.Equal(t, "ann", res.Reviewer)
		})
	}
}

// TestRedriveThenSubmitIsRefused: the re-drive arrives first; a submit in
// the same task is refused, and the document goes through the tiers again.
func TestRedriveThenSubmitIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.parses("invoice")
	b.env.OnActivity(a.Route, mock.Anything, mock.Anything).Return(routesTo(rulesTier, manualTier), nil).Twice()
	b.env.OnActivity(a.ExtractRules, mock.Anything, mock.Anything).
		Return(&activities.ExtractOutput{Code: string(parsers.CodeLowConfidence), Detail: "confidence 0.40"}, nil).Once()
	b.env.OnActivity(a.ExtractRules, mock.Anything, mock.Anything).Return(&activities.ExtractOutput{Valid: true, Overall: 1}, nil).Once()
	b.env.OnActivity(a.EnqueueReview, mock.Anything, mock.Anything).Return(int64(7), nil).Once()
	b.env.OnActivity(a.Redrive, mock.Anything, mock.Anything).Return(nil).Once()
	b.completes("invoice", "rules")
	var redrive, submit *outcome
	b.env.RegisterDelayedCallback(func() {
		redrive = b.send(UpdateRedrive, "ops")
		submit = b.send(UpdateReview, ReviewDecision{Reviewer: "ann", Fields: validFields()})
	}, time.Hour)

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	res := b.result(t)
	require.NoError(t, redrive.rejected)
	require.ErrorContains(t, submit.rejected, "another decision is being recorded (re-drive by ops)")
	require.Equal(t, "rules", res.Tier)
}

// TestFailedDecisionCanBeRetried: a decision whose recording fails (the item
// is held by another reviewer) frees the document for the next one.
func TestFailedDecisionCanBeRetried(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.inReview()
	b.env.OnActivity(a.ResolveReview, mock.Anything, mock.MatchedBy(func(in activities.ResolveInput) bool { return in.Decision.Reviewer == "ann" })).
		Return(conflict()).Once()
	b.env.OnActivity(a.ResolveReview, mock.Anything, mock.MatchedBy(func(in activities.ResolveInput) bool { return in.Decision.Reviewer == "zed" })).
		Return(nil).Once()
	var ann, zed *outcome
	b.env.RegisterDelayedCallback(func() { ann = b.send(UpdateReview, ReviewDecision{Reviewer: "ann", Fields: validFields()}) }, time.Hour)
	b.env.RegisterDelayedCallback(func() { zed = b.send(UpdateReview, ReviewDecision{Reviewer: "zed", Fields: validFields()}) }, 2*time.Hour)

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	res := b.result(t)
	require.ErrorContains(t, ann.err, "held by zed")
	require.NoError(t, zed.rejected)
	require.Equal(t, "zed", res.Reviewer)
}

// TestSubmitRacingEscalation: the SLA passes and the escalation is running
// when the reviewer submits: the decision wins, the escalation changes
// nothing of it, and the workflow ends with the decision.
func TestSubmitRacingEscalation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.inReview()
	b.env.OnActivity(a.Escalate, mock.Anything, docID, time.Hour).After(10*time.Minute).Return(false, nil).Once()
	b.env.OnActivity(a.ResolveReview, mock.Anything, mock.Anything).Return(nil).Once()
	var sub *outcome
	b.env.RegisterDelayedCallback(func() {
		sub = b.send(UpdateReview, ReviewDecision{Reviewer: "ann", Fields: validFields()})
	}, time.Hour+time.Minute)

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf", ReviewSLA: time.Hour})

	res := b.result(t)
	require.NoError(t, sub.rejected)
	require.NoError(t, sub.err)
	require.Equal(t, dftype.StatusCompleted, res.Status)
	require.Equal(t, "ann", res.Reviewer)
}

func routesTo(chain ...router.Tier) router.Plan { return router.Plan{Tiers: chain} }

func conflict() error {
	return temporal.NewNonRetryableApplicationError("review item is not claimed by this reviewer (held by zed)",
		activities.ErrTypeReviewConflict, nil)
}

// TestDecisionBeforeEnqueueReturns: a reviewer may claim the item as soon as
// EnqueueReview has written it, before the workflow hears that the activity
// returned. The decision then waits for the item instead of being refused.
func TestDecisionBeforeEnqueueReturns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.parses("invoice")
	b.routes(rulesTier, manualTier)
	b.env.OnActivity(a.ExtractRules, mock.Anything, mock.Anything).
		Return(&activities.ExtractOutput{Code: string(parsers.CodeLowConfidence), Detail: "confidence 0.40"}, nil).Once()
	var early *outcome
	b.env.OnActivity(a.EnqueueReview, mock.Anything, mock.Anything).
		Run(func(mock.Arguments) {
			early = b.send(UpdateReview, ReviewDecision{Reviewer: "ann", Fields: validFields()})
		}).
		Return(int64(7), nil).Once()
	b.env.OnActivity(a.ResolveReview, mock.Anything, mock.Anything).Return(nil).Once()

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	require.NotNil(t, early)
	require.True(t, early.done)
	require.NoError(t, early.rejected)
	require.NoError(t, early.err)
	res := b.result(t)
	require.Equal(t, dftype.StatusCompleted, res.Status)
	require.Equal(t, "ann", res.Reviewer)
}
