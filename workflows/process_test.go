package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers"
)

const docID = "5f2b6c1e9a0d4b7c8e3f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"

type testBundle struct {
	env *testsuite.TestWorkflowEnvironment
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(ProcessDocument)
	env.RegisterActivity(&activities.Activities{})
	t.Cleanup(func() { env.AssertExpectations(t) })
	return &testBundle{env: env}
}

func (b *testBundle) parses(docType string) {
	b.env.OnActivity(a.Parse, mock.Anything, activities.ParseInput{DocumentID: docID}).
		Return(&activities.ParseOutput{Name: "a.pdf", DocType: docType, Confidence: 0.9, Complexity: 0.2, Pages: 1}, nil).Once()
}

func (b *testBundle) routes(chain ...router.Tier) {
	b.env.OnActivity(a.Route, mock.Anything, mock.Anything).Return(router.Plan{Tiers: chain}, nil).Once()
}

var (
	rulesTier  = router.Tier{Name: "rules", Kind: router.KindRules, StartToClose: time.Minute}
	manualTier = router.Tier{Name: "manual", Kind: router.KindManual, StartToClose: time.Minute}
)

// completes expects the workflow to persist the result of tier.
func (b *testBundle) completes(docType, tier string) {
	b.env.OnActivity(a.Complete, mock.Anything, activities.CompleteInput{DocumentID: docID, DocType: docType, Tier: tier}).
		Return(nil).Once()
}

// update sends an update; a rejection is passed to onReject, which defaults
// to failing the test.
func (b *testBundle) update(t *testing.T, name string, arg any, onReject func(error)) {
	if onReject == nil {
		onReject = func(err error) { t.Errorf("%s rejected: %v", name, err) }
	}
	b.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept: func() {}, OnReject: onReject, OnComplete: func(any, error) {},
	}, arg)
}

func (b *testBundle) result(t *testing.T) *Result {
	t.Helper()
	require.True(t, b.env.IsWorkflowCompleted())
	require.NoError(t, b.env.GetWorkflowError())
	var res Result
	require.NoError(t, b.env.GetWorkflowResult(&res))
	return &res
}

func total(v float64) *float64 { return &v }

func validFields() *schema.Fields {
	return &schema.Fields{InvoiceNumber: "INV-1", IssueDate: "2024-03-05", Issuer: "Acme BV", Total: total(121), Currency: "EUR"}
}

func TestRulesTierCompletes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.parses("invoice")
	b.routes(rulesTier, manualTier)
	b.env.OnActivity(a.ExtractRules, mock.Anything, activities.ExtractInput{DocumentID: docID, DocType: "invoice", TypeConfidence: 0.9, Tier: rulesTier}).
		Return(&activities.ExtractOutput{Valid: true, Overall: 0.95, Issuer: "Acme BV"}, nil).Once()
	b.completes("invoice", "rules")

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	res := b.result(t)
	require.Equal(t, dftype.StatusCompleted, res.Status)
	require.Equal(t, "rules", res.Tier)
	require.Equal(t, "invoice", res.DocType)
	require.Empty(t, res.Reasons)
}

// TestResultSaysHowItWasRouted: the plan's class and the reason for its
// order are in the result (and the state query).
func TestResultSaysHowItWasRouted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.parses("invoice")
	b.env.OnActivity(a.Route, mock.Anything, mock.Anything).Return(router.Plan{Tiers: []router.Tier{rulesTier, manualTier},
		Class: "standard", Reason: "load: gpt-4o answers in 9s (median), gpt-4o-mini in 1s"}, nil).Once()
	b.env.OnActivity(a.ExtractRules, mock.Anything, mock.Anything).Return(&activities.ExtractOutput{Valid: true, Overall: 0.95}, nil).Once()
	b.completes("invoice", "rules")

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	require.Equal(t, "standard; load: gpt-4o answers in 9s (median), gpt-4o-mini in 1s", b.result(t).Route)
}

func TestLowConfidenceGoesToReviewAndReviewerCompletes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.parses("invoice")
	b.routes(rulesTier, manualTier)
	b.env.OnActivity(a.ExtractRules, mock.Anything, mock.Anything).
		Return(&activities.ExtractOutput{Valid: false, Overall: 0.4, Code: string(parsers.CodeLowConfidence), Detail: "confidence 0.40"}, nil).Once()
	b.env.OnActivity(a.EnqueueReview, mock.Anything, activities.ReviewInput{
		DocumentID: docID, WorkflowID: "default-test-workflow-id", DocType: "invoice",
		Reasons: []dftype.Reason{{Tier: "rules", Code: string(parsers.CodeLowConfidence), Detail: "confidence 0.40"}},
		SLA:     DefaultReviewSLA,
	}).Return(int64(7), nil).Once()
	var resolved activities.ResolveInput
	b.env.OnActivity(a.ResolveReview, mock.Anything, mock.Anything).
		Run(func(args mock.Arguments) { resolved = args.Get(1).(activities.ResolveInput) }).Return(nil).Once()

	var rejected, accepted []error
	send := func(d ReviewDecision) {
		b.env.UpdateWorkflow(UpdateReview, "", &testsuite.TestUpdateCallback{
			OnAccept:   func() { accepted = append(accepted, nil) },
			OnReject:   func(err error) { rejected = append(rejected, err) },
			OnComplete: func(any, error) {},
		}, d)
	}
	b.env.RegisterDelayedCallback(func() {
		// Invalid fields are refused by the validator and change nothing.
		send(ReviewDecision{Reviewer: "ann", Fields: &schema.Fields{Issuer: "Acme BV", Currency: "EURO"}})
		send(ReviewDecision{Fields: validFields()})
		send(ReviewDecision{Reviewer: "ann", Fields: validFields()})
	}, time.Hour)

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	res := b.result(t)
	require.Len(t, rejected, 2)
	require.ErrorContains(t, rejected[0], "/currency: 'EURO' does not match pattern")
	require.ErrorContains(t, rejected[1], "reviewer identity is required")
	require.Len(t, accepted, 1)
	require.Equal(t, dftype.StatusCompleted, res.Status)
	require.Equal(t, "manual", res.Tier)
	require.Equal(t, "ann", res.Reviewer)
	require.Equal(t, "ann", resolved.Decision.Reviewer)
	require.JSONEq(t, `{"invoice_number":"INV-1","issue_date":"2024-03-05","due_date":"","issuer":"Acme BV",
		"issuer_tax_id":"","iban":"","currency":"EUR","subtotal":null,"tax":null,"total":121,"line_items":null}`,
		string(resolved.Decision.Fields))
}

func TestUnreadableDocumentGoesToReviewAndIsRejected(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.OnActivity(a.Parse, mock.Anything, mock.Anything).Return(nil,
		temporal.NewNonRetryableApplicationError("a.pdf: encrypted", activities.ErrTypeParse, nil, "encrypted")).Once()
	b.env.OnActivity(a.EnqueueReview, mock.Anything, mock.MatchedBy(func(in activities.ReviewInput) bool {
		return in.DocType == "other" && len(in.Reasons) == 1 && in.Reasons[0].Tier == "parse" && in.Reasons[0].Code == "encrypted"
	})).Return(int64(3), nil).Once()
	b.env.OnActivity(a.ResolveReview, mock.Anything, mock.MatchedBy(func(in activities.ResolveInput) bool {
		return in.Decision.Fields == nil && in.Decision.Reason == "password protected"
	})).Return(nil).Once()
	b.env.RegisterDelayedCallback(func() {
		b.update(t, UpdateReview, ReviewDecision{Reviewer: "bob", Reject: true, Reason: "password protected"}, nil)
	}, time.Minute)

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	res := b.result(t)
	require.Equal(t, dftype.StatusRejected, res.Status)
	require.Equal(t, "bob", res.Reviewer)
	require.Equal(t, []dftype.Reason{{Tier: "parse", Code: "encrypted", Detail: "a.pdf: encrypted"}}, res.Reasons)
}

func TestOverdueReviewIsEscalated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.parses("receipt")
	b.routes(rulesTier, manualTier)
	b.env.OnActivity(a.ExtractRules, mock.Anything, mock.Anything).
		Return(nil, temporal.NewNonRetryableApplicationError("db gone", "Boom", nil)).Once()
	b.env.OnActivity(a.EnqueueReview, mock.Anything, mock.MatchedBy(func(in activities.ReviewInput) bool { return in.SLA == time.Hour })).
		Return(int64(1), nil).Once()
	b.env.OnActivity(a.Escalate, mock.Anything, docID, time.Hour).Return(true, nil).Twice()
	b.env.OnActivity(a.ResolveReview, mock.Anything, mock.Anything).Return(nil).Once()
	b.env.RegisterDelayedCallback(func() {
		b.update(t, UpdateReview, ReviewDecision{Reviewer: "cy", Reject: true, Reason: "duplicate"}, nil)
	}, 150*time.Minute)

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "r.pdf", ReviewSLA: time.Hour})

	res := b.result(t)
	require.Equal(t, dftype.StatusRejected, res.Status)
	require.Equal(t, []dftype.Reason{{Tier: "rules", Code: "Boom", Detail: "db gone"}}, res.Reasons)
}

func TestStateQueryDuringReview(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.parses("invoice")
	b.routes(rulesTier, manualTier)
	b.env.OnActivity(a.ExtractRules, mock.Anything, mock.Anything).
		Return(&activities.ExtractOutput{Code: string(parsers.CodeInvalidFields), Detail: "total: required"}, nil).Once()
	b.env.OnActivity(a.EnqueueReview, mock.Anything, mock.Anything).Return(int64(9), nil).Once()
	b.env.OnActivity(a.ResolveReview, mock.Anything, mock.Anything).Return(nil).Once()
	var state State
	b.env.RegisterDelayedCallback(func() {
		v, err := b.env.QueryWorkflow(QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&state))
		b.update(t, UpdateReview, ReviewDecision{Reviewer: "dee", Fields: validFields()}, nil)
	}, time.Minute)

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	b.result(t)
	require.Equal(t, "review", state.Step)
	require.Equal(t, int64(9), state.ReviewItem)
	require.Equal(t, "rules: invalid_fields", state.LastFailure)
	require.Equal(t, 1, state.TiersTried)
}

func TestMissingDocumentFailsTheWorkflow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.OnActivity(a.Parse, mock.Anything, mock.Anything).
		Return(nil, temporal.NewNonRetryableApplicationError("missing", activities.ErrTypeNotFound, errors.New("missing"))).Once()

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	require.True(t, b.env.IsWorkflowCompleted())
	require.ErrorContains(t, b.env.GetWorkflowError(), "missing")
}

func TestReviewerCorrectsTheType(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.OnActivity(a.Parse, mock.Anything, mock.Anything).Return(nil,
		temporal.NewNonRetryableApplicationError("scan", activities.ErrTypeParse, nil, "no_text_layer")).Once()
	b.env.OnActivity(a.EnqueueReview, mock.Anything, mock.Anything).Return(int64(8), nil).Once()
	var resolved activities.ResolveInput
	b.env.OnActivity(a.ResolveReview, mock.Anything, mock.Anything).
		Run(func(args mock.Arguments) { resolved = args.Get(1).(activities.ResolveInput) }).Return(nil).Once()
	var rejected error
	b.env.RegisterDelayedCallback(func() {
		// Typed as an invoice, the fields must be an invoice's.
		b.update(t, UpdateReview, ReviewDecision{Reviewer: "ann", DocType: "invoice", Fields: &schema.Fields{Issuer: "X"}},
			func(err error) { rejected = err })
		b.update(t, UpdateReview, ReviewDecision{Reviewer: "ann", DocType: "invoice", Fields: validFields()}, nil)
	}, time.Minute)

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "scan.pdf"})

	require.ErrorContains(t, rejected, "invoice_number: required")
	res := b.result(t)
	require.Equal(t, "invoice", res.DocType)
	require.Equal(t, "invoice", resolved.Decision.DocType)
}

func TestSkippedTiersAreReviewReasons(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.parses("invoice")
	b.env.OnActivity(a.Route, mock.Anything, mock.Anything).Return(router.Plan{Tiers: []router.Tier{manualTier},
		Skipped: []router.Skip{{Tier: "primary", Model: "gpt-4o", Reason: "circuit_open"}}}, nil).Once()
	b.env.OnActivity(a.EnqueueReview, mock.Anything, activities.ReviewInput{
		DocumentID: docID, WorkflowID: "default-test-workflow-id", DocType: "invoice",
		Reasons: []dftype.Reason{{Tier: "primary", Code: "circuit_open", Detail: "gpt-4o not tried"}},
		SLA:     DefaultReviewSLA,
	}).Return(int64(7), nil).Once()
	b.env.OnActivity(a.ResolveReview, mock.Anything, mock.Anything).Return(nil).Once()
	b.env.RegisterDelayedCallback(func() {
		b.update(t, UpdateReview, ReviewDecision{Reviewer: "ann", Fields: validFields()}, nil)
	}, time.Hour)

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	res := b.result(t)
	require.Equal(t, "manual", res.Tier)
	require.Equal(t, []dftype.Reason{{Tier: "primary", Code: "circuit_open", Detail: "gpt-4o not tried"}}, res.Reasons)
}

func TestAFailedStepSendsTheDocumentToReview(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.parses("invoice")
	b.routes(rulesTier, manualTier)
	b.env.OnActivity(a.ExtractRules, mock.Anything, mock.Anything).Return(&activities.ExtractOutput{Valid: true, Overall: 0.9}, nil).Once()
	b.env.OnActivity(a.Complete, mock.Anything, mock.Anything).
		Return(temporal.NewNonRetryableApplicationError("tier rules has no valid result", "BadInput", nil)).Once()
	var reasons []dftype.Reason
	b.env.OnActivity(a.EnqueueReview, mock.Anything, mock.Anything).
		Run(func(args mock.Arguments) { reasons = args.Get(1).(activities.ReviewInput).Reasons }).Return(int64(3), nil).Once()
	b.env.OnActivity(a.ResolveReview, mock.Anything, mock.Anything).Return(nil).Once()
	b.env.RegisterDelayedCallback(func() {
		b.update(t, UpdateReview, ReviewDecision{Reviewer: "ann", Fields: validFields()}, nil)
	}, time.Minute)

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	require.Equal(t, []dftype.Reason{{Tier: "workflow", Code: "BadInput", Detail: "tier rules has no valid result"}}, reasons)
	require.Equal(t, dftype.StatusCompleted, b.result(t).Status)
}

// TestTextNote: the tiers' activity summaries say when the text is OCR's,
// and with what confidence.
func TestTextNote(t *testing.T) {
	t.Parallel()
	require.Equal(t, " (read by OCR, confidence 94)", textNote(activities.ParseOutput{TextSource: "ocr", OCRConfidence: 93.6}))
	require.Empty(t, textNote(activities.ParseOutput{TextSource: "text_layer"}))
	require.Empty(t, textNote(activities.ParseOutput{}))
}
