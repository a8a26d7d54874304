package pipeline_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkclient "go.temporal.io/sdk/client"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/llmsim/simrules"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/ocr"
	"github.com/dataforge/dataforge/parsers/templates"
	"github.com/dataforge/dataforge/samples"
	"github.com/dataforge/dataforge/worker/pipeline"
	"github.com/dataforge/dataforge/worker/pipeline/pipelinetest"
	"github.com/dataforge/dataforge/workflows"
)

type testBundle struct {
	ctx    context.Context
	st     *store.Store
	client sdkclient.Client
	sub    *client.Submitter
}

// setup starts the pipeline on a real Temporal server and a fresh Postgres
// database. Options adjust the activities (LLM tiers).
func setup(t *testing.T, opts ...func(*activities.Activities)) *testBundle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	env := pipelinetest.Start(t, opts...)
	require.NoError(t, pipeline.EnsureSearchAttributes(ctx, env.Client, env.Namespace), "registering twice is fine")
	return &testBundle{ctx: ctx, st: env.Store, client: env.Client,
		sub: &client.Submitter{Store: env.Store, Temporal: env.Client, TaskQueue: pipelinetest.TaskQueue, MaxBytes: parsers.DefaultLimits().MaxBytes}}
}

func (b *testBundle) submitAndWait(t *testing.T, paths []string, opts client.Options) []*client.Item {
	t.Helper()
	items, err := b.sub.Submit(b.ctx, paths, opts)
	require.NoError(t, err)
	require.NoError(t, b.sub.Wait(b.ctx, items, nil))
	return items
}

// ocrEngine returns Tesseract, which scans need.
func ocrEngine(t *testing.T) *ocr.Engine {
	engine, err := ocr.Detect(context.Background(), ocr.DefaultLanguages)
	require.NoError(t, err, "this test needs Tesseract with eng, deu, fra and nld (.ci/run installs them)")
	return engine
}

// TestSamplesEndToEnd runs every sample through a worker that reads scans
// with Tesseract: each ends as expected.json says.
func TestSamplesEndToEnd(t *testing.T) {
	t.Parallel()
	engine := ocrEngine(t)
	b := setup(t, func(a *activities.Activities) { a.Limits.OCR = engine.Parse })
	expected, err := samples.Load()
	require.NoError(t, err)
	var paths []string
	for _, e := range expected {
		paths = append(paths, filepath.Join(samples.Dir(), e.File))
	}
	items := b.submitAndWait(t, paths, client.Options{})

	for i, e := range expected {
		it := items[i]
		require.NoError(t, it.Err, e.File)
		doc, err := b.st.Document(b.ctx, it.DocumentID)
		require.NoError(t, err)
		switch {
		case e.WantParseError(true) != "":
			require.Equal(t, dftype.StatusReview, doc.Status, e.File)
			require.Equal(t, "parse: "+e.WantParseError(true), doc.Reason, e.File)
		case e.Outcome == samples.OutcomeRules:
			require.Equal(t, dftype.StatusCompleted, doc.Status, "%s: %s", e.File, doc.Reason)
			require.Equal(t, string(e.Type), doc.DocType, e.File)
			res, err := b.st.Result(b.ctx, it.DocumentID)
			require.NoError(t, err)
			require.Equal(t, "rules", res.Tier)
			require.Equal(t, 1, res.Attempts)
			var got schema.Fields
			require.NoError(t, json.Unmarshal(res.Fields, &got))
			require.Equal(t, *e.Fields, got, e.File)
		case e.Outcome == samples.OutcomeEInvoice:
			require.Equal(t, dftype.StatusCompleted, doc.Status, "%s: %s", e.File, doc.Reason)
			res, err := b.st.Result(b.ctx, it.DocumentID)
			require.NoError(t, err)
			require.Equal(t, "einvoice", res.Tier, e.File)
			var got schema.Fields
			require.NoError(t, json.Unmarshal(res.Fields, &got))
			require.Equal(t, *e.Fields, got, e.File)
		default:
			require.Equal(t, dftype.StatusReview, doc.Status, e.File)
		}
	}

	// Every settled document is in exactly one state; none is left behind.
	var unsettled int
	require.NoError(t, b.st.Pool().QueryRow(b.ctx,
		`SELECT count(*) FROM documents WHERE status NOT IN ('completed', 'review', 'rejected')`).Scan(&unsettled))
	require.Zero(t, unsettled)

	// Submitting the same content again processes nothing twice.
	var attemptsBefore int
	require.NoError(t, b.st.Pool().QueryRow(b.ctx, `SELECT count(*) FROM attempts`).Scan(&attemptsBefore))
	again := b.submitAndWait(t, paths, client.Options{})
	for i, it := range again {
		require.Equal(t, items[i].DocumentID, it.DocumentID)
		doc, err := b.st.Document(b.ctx, it.DocumentID)
		require.NoError(t, err)
		require.Equal(t, doc.Status == dftype.StatusCompleted, it.Existing, it.Name)
	}
	var attemptsAfter int
	require.NoError(t, b.st.Pool().QueryRow(b.ctx, `SELECT count(*) FROM attempts`).Scan(&attemptsAfter))
	require.Equal(t, attemptsBefore, attemptsAfter)
}

func TestReviewerCompletesDocument(t *testing.T) {
	t.Parallel()
	b := setup(t)
	items := b.submitAndWait(t, []string{filepath.Join(samples.Dir(), "invoice-messy.pdf")}, client.Options{})
	id := items[0].DocumentID
	doc, err := b.st.Document(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, dftype.StatusReview, doc.Status)

	total := 42.5
	decision := workflows.ReviewDecision{Reviewer: "ann", Fields: &schema.Fields{
		InvoiceNumber: "M-1", IssueDate: "2024-02-01", Issuer: "Cafe Lux", Total: &total, Currency: "EUR"}}
	handle, err := b.client.UpdateWorkflow(b.ctx, sdkclient.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(id), UpdateName: workflows.UpdateReview,
		Args:         []any{workflows.ReviewDecision{Reviewer: "ann", Fields: &schema.Fields{Currency: "XXX1"}}},
		WaitForStage: sdkclient.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(b.ctx, nil)
	}
	require.ErrorContains(t, err, "currency", "invalid fields are refused")

	handle, err = b.client.UpdateWorkflow(b.ctx, sdkclient.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(id), UpdateName: workflows.UpdateReview,
		Args: []any{decision}, WaitForStage: sdkclient.WorkflowUpdateStageCompleted,
	})
	require.NoError(t, err)
	var res workflows.Result
	require.NoError(t, handle.Get(b.ctx, &res))
	require.Equal(t, dftype.StatusCompleted, res.Status)

	var final workflows.Result
	require.NoError(t, b.client.GetWorkflow(b.ctx, workflows.WorkflowID(id), "").Get(b.ctx, &final))
	require.Equal(t, "manual", final.Tier)
	stored, err := b.st.Result(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, "ann", stored.Reviewer)
	require.JSONEq(t, `{"invoice_number":"M-1","issue_date":"2024-02-01","due_date":"","issuer":"Cafe Lux","issuer_tax_id":"","iban":"",
		"currency":"EUR","subtotal":null,"tax":null,"total":42.5,"line_items":null}`, string(stored.Fields))
}

func TestBadInputIsRefusedAtSubmit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pdf")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	image := filepath.Join(dir, "photo.gif")
	require.NoError(t, os.WriteFile(image, []byte("GIF89a\x01\x00\x01\x000000"), 0o644))
	order := filepath.Join(dir, "order.xml")
	require.NoError(t, os.WriteFile(order, []byte(`<?xml version="1.0"?><order><id>7</id></order>`), 0o644))
	items, err := b.sub.Submit(b.ctx, []string{empty, image, filepath.Join(dir, "missing.pdf"), order}, client.Options{})
	require.NoError(t, err)
	require.ErrorContains(t, items[0].Err, "empty.pdf: empty file")
	require.ErrorContains(t, items[1].Err, "photo.gif: unsupported type image/gif")
	require.ErrorContains(t, items[2].Err, "missing.pdf: cannot read: no such file or directory")
	require.ErrorContains(t, items[3].Err, "order.xml: XML that is not an e-invoice")
	var n int
	require.NoError(t, b.st.Pool().QueryRow(b.ctx, `SELECT count(*) FROM documents`).Scan(&n))
	require.Zero(t, n, "nothing is stored for refused files")
}

// TestIssuerTemplateReadsWhatTheRulesCannot: an issuer with wording of its
// own goes to review on the generic rules, and completes on the rules tier
// once its template is loaded.
func TestIssuerTemplateReadsWhatTheRulesCannot(t *testing.T) {
	t.Parallel()
	doc := filepath.Join(samples.LabelledDir(), "51-nl-eur-acme-cloud.pdf")
	plain := setup(t)
	items := plain.submitAndWait(t, []string{doc}, client.Options{})
	d, err := plain.st.Document(plain.ctx, items[0].DocumentID)
	require.NoError(t, err)
	require.Equal(t, dftype.StatusReview, d.Status, "an invoice the rules cannot place is not passed as other")
	require.Equal(t, "other", d.DocType)

	set, err := templates.LoadDir(filepath.Join(samples.Dir(), "templates"))
	require.NoError(t, err)
	withTemplates := setup(t, func(a *activities.Activities) { a.Templates = set })
	items = withTemplates.submitAndWait(t, []string{doc}, client.Options{})
	res, err := withTemplates.st.Result(withTemplates.ctx, items[0].DocumentID)
	require.NoError(t, err)
	require.Equal(t, "rules", res.Tier)
	require.Equal(t, "template acme-cloud", res.Model)
	require.Equal(t, "invoice", res.DocType)
}

// TestScansCompleteThroughOCR: a scanned invoice, as a PNG and as an
// image-only PDF, is read by Tesseract in the parse step and completed by the
// rules tier with the values the generator wrote; the parse records where
// the text came from.
func TestScansCompleteThroughOCR(t *testing.T) {
	t.Parallel()
	engine := ocrEngine(t)
	b := setup(t, func(a *activities.Activities) { a.Limits.OCR = engine.Parse })
	dir := filepath.Join(samples.Dir(), "scans")
	items := b.submitAndWait(t, []string{filepath.Join(dir, "05-fr-eur-text-scan.png"), filepath.Join(dir, "05-fr-eur-text-scan-jpeg.pdf")}, client.Options{})
	for _, it := range items {
		require.NoError(t, it.Err)
		r, err := b.sub.Report(b.ctx, it.DocumentID)
		require.NoError(t, err)
		require.Equal(t, "completed", r.Status, "%s: %s", it.Name, r.Reason)
		require.Equal(t, "rules", r.Tier)
		require.Equal(t, "N-12314", r.Fields.InvoiceNumber, it.Name)
		require.NotNil(t, r.Fields.Total)
		require.InDelta(t, 6694.38, *r.Fields.Total, 0.001, it.Name)
		require.Equal(t, "ocr", r.TextSource, "the result says where the text came from")
		require.GreaterOrEqual(t, r.OCRConfidence, activities.RulesOCRBelow, it.Name)
		require.Contains(t, r.TextOrigin(), "OCR (mean word confidence")
	}
	var source string
	require.NoError(t, b.st.Pool().QueryRow(b.ctx, `SELECT media_type FROM documents WHERE id = $1`, items[0].DocumentID).Scan(&source))
	require.Equal(t, "image/png", source, "stored as the image it is")
}

// TestScanWithoutOCRReadByVision: a worker without OCR but with a vision
// model does not refuse the scanned invoice at parse: the model classifies
// it and reads its fields from the page image alone (the simulator reads
// the image with Tesseract, as a vision model would), and the result says
// so.
func TestScanWithoutOCRReadByVision(t *testing.T) {
	t.Parallel()
	engine := ocrEngine(t)
	sim := llmsim.New(llmsim.Options{Models: llmsim.FastModels(), Answer: simrules.Answer, Seed: 1,
		ReadImage: func(img []byte) (string, error) { return engine.Text(context.Background(), img) }})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	b := setup(t, withLLM(srv.URL+"/v1"), func(a *activities.Activities) {
		a.Vision = activities.Vision{Models: map[string]bool{"gpt-4o": true, "gpt-4o-mini": true}, Below: 80}
	})
	items := b.submitAndWait(t, []string{filepath.Join(samples.Dir(), "invoice-scanned.pdf")}, client.Options{})
	r, err := b.sub.Report(b.ctx, items[0].DocumentID)
	require.NoError(t, err)
	require.Equal(t, "completed", r.Status, r.Reason)
	require.Equal(t, "vision", r.TextSource)
	require.Positive(t, r.PageImages, "the winning model read the page image")
	require.Equal(t, "TT-3307", r.Fields.InvoiceNumber)
	require.NotNil(t, r.Fields.Total)
	require.InDelta(t, 280.15, *r.Fields.Total, 0.001)
	require.Positive(t, sim.Stats()["gpt-4o"].Images+sim.Stats()["gpt-4o-mini"].Images)
}
