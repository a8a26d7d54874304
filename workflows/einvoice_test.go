package workflows

import (
	"context"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/router"
)

// einvoiceSetup runs the real router with both LLM tiers configured and
// asking to classify unsure documents, and counts every LLM call.
func einvoiceSetup(t *testing.T) (*testBundle, *int) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(ProcessDocument)
	env.RegisterActivity(&activities.Activities{Router: router.Config{
		PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini", ClassifyBelow: 0.6,
	}})
	t.Cleanup(func() { env.AssertExpectations(t) })
	b := &testBundle{env: env}
	llmCalls := new(int)
	env.OnActivity(a.ExtractLLM, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ExtractInput) (*activities.ExtractOutput, error) {
			*llmCalls++
			return &activities.ExtractOutput{Valid: true, Overall: 1}, nil
		}).Maybe()
	env.OnActivity(a.RunTask, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.TaskInput) (*activities.TaskOutput, error) {
			*llmCalls++
			return nil, temporal.NewNonRetryableApplicationError("no", "Unavailable", nil)
		}).Maybe()
	// An e-invoice whose visible text the classifier is unsure of.
	env.OnActivity(a.Parse, mock.Anything, activities.ParseInput{DocumentID: docID}).Return(&activities.ParseOutput{
		Name: "a.pdf", DocType: "invoice", Confidence: 0.3, Pages: 1, EInvoice: true, EInvoiceProfile: "CII EN16931",
	}, nil).Once()
	return b, llmCalls
}

func onKind(k router.Kind) any {
	return mock.MatchedBy(func(in activities.ExtractInput) bool { return in.Tier.Kind == k })
}

func TestEInvoiceCompletesFirst(t *testing.T) {
	t.Parallel()
	b, llmCalls := einvoiceSetup(t)
	b.env.OnActivity(a.ExtractEInvoice, mock.Anything, onKind(router.KindEInvoice)).
		Return(&activities.ExtractOutput{Valid: true, Overall: 1, Model: "CII EN16931", Issuer: "Acme BV"}, nil).Once()
	b.completes("invoice", "einvoice")
	var tiers []string
	b.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if v, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(AttrTier); ok {
			tiers = append(tiers, v)
		}
	}).Return()
	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})
	res := b.result(t)
	require.Equal(t, dftype.StatusCompleted, res.Status)
	require.Equal(t, "einvoice", res.Tier)
	require.Equal(t, "CII EN16931", res.Model)
	require.Empty(t, res.Reasons)
	require.Zero(t, *llmCalls, "no model is asked, not even to classify")
	require.Equal(t, []string{"einvoice"}, tiers, "the Tier search attribute")
}

func TestBrokenEInvoiceFallsThrough(t *testing.T) {
	t.Parallel()
	b, llmCalls := einvoiceSetup(t)
	b.env.OnActivity(a.ExtractEInvoice, mock.Anything, onKind(router.KindEInvoice)).
		Return(&activities.ExtractOutput{Code: "arithmetic", Detail: "tax basis 10.00 + tax 1.90 ≠ grand total 12.00"}, nil).Once()
	b.completes("invoice", "primary")
	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})
	res := b.result(t)
	require.Equal(t, "primary", res.Tier)
	require.Equal(t, []dftype.Reason{{Tier: "einvoice", Code: "arithmetic", Detail: "tax basis 10.00 + tax 1.90 ≠ grand total 12.00"}}, res.Reasons)
	require.Equal(t, 1, *llmCalls, "the LLM tiers take over; still no classify call")
}
