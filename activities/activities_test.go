package activities_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/llmsim/simrules"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/internal/store/storetest"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/ocr"
	"github.com/dataforge/dataforge/samples"
)

type testBundle struct {
	ctx  context.Context
	st   *store.Store
	acts *activities.Activities
	env  *testsuite.TestActivityEnvironment
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	st, _ := storetest.New(t)
	acts := &activities.Activities{Store: st, Limits: parsers.DefaultLimits(), ReviewSLA: time.Hour, CacheTTL: time.Hour}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	return &testBundle{ctx: context.Background(), st: st, acts: acts, env: env}
}

// put stores a sample document and returns its id.
func (b *testBundle) put(t *testing.T, name string) string {
	t.Helper()
	for _, e := range mustLoad(t) {
		if e.File != name {
			continue
		}
		content, err := e.Read()
		require.NoError(t, err)
		sum := sha256.Sum256(content)
		id := hex.EncodeToString(sum[:])
		_, err = b.st.PutDocument(b.ctx, &store.Document{ID: id, Name: name,
			MediaType: parsers.DetectMediaType(name, content), Content: content})
		require.NoError(t, err)
		return id
	}
	t.Fatalf("no sample %s", name)
	return ""
}

// simulated points the activities' LLM at a simulator over HTTP and returns it.
func (b *testBundle) simulated(t *testing.T, opts llmsim.Options) *llmsim.Server {
	t.Helper()
	if opts.Models == nil {
		opts.Models = llmsim.FastModels()
	}
	if opts.Answer == nil {
		opts.Answer = simrules.Answer
	}
	sim := llmsim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	b.acts.LLM = llm.New(llm.Config{APIKey: "sk-activity-test-0000", BaseURL: srv.URL + "/v1"})
	return sim
}

func mustLoad(t *testing.T) []samples.Expected {
	list, err := samples.Load()
	require.NoError(t, err)
	return list
}

// extractLLM runs the ExtractLLM activity, which must not fail.
func (b *testBundle) extractLLM(t *testing.T, in activities.ExtractInput) activities.ExtractOutput {
	t.Helper()
	v, err := b.env.ExecuteActivity(b.acts.ExtractLLM, in)
	require.NoError(t, err)
	var out activities.ExtractOutput
	require.NoError(t, v.Get(&out))
	return out
}

func (b *testBundle) parse(t *testing.T, id string) *activities.ParseOutput {
	t.Helper()
	v, err := b.env.ExecuteActivity(b.acts.Parse, activities.ParseInput{DocumentID: id})
	require.NoError(t, err)
	var out activities.ParseOutput
	require.NoError(t, v.Get(&out))
	return &out
}

func TestParseStoresTextAndClassification(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.put(t, "invoice-classic.pdf")
	out := b.parse(t, id)
	require.Equal(t, "invoice", out.DocType)
	require.Equal(t, 1, out.Pages)
	require.Equal(t, "invoice-classic.pdf", out.Name)
	text, err := b.st.Text(b.ctx, id)
	require.NoError(t, err)
	require.Len(t, text, out.Chars)
	doc, err := b.st.Document(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, dftype.StatusProcessing, doc.Status)
	require.Equal(t, "invoice", doc.DocType)
}

func TestParseFailuresAreTypedAndNotRetried(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for file, code := range map[string]string{
		"invoice-encrypted.pdf": "encrypted", "invoice-corrupt.pdf": "corrupt", "invoice-scanned.pdf": "no_text_layer",
	} {
		_, err := b.env.ExecuteActivity(b.acts.Parse, activities.ParseInput{DocumentID: b.put(t, file)})
		var appErr *temporal.ApplicationError
		require.True(t, errors.As(err, &appErr), file)
		require.Equal(t, activities.ErrTypeParse, appErr.Type())
		require.True(t, appErr.NonRetryable())
		var got string
		require.NoError(t, appErr.Details(&got))
		require.Equal(t, code, got, file)
		require.Contains(t, appErr.Message(), file)
	}
	_, err := b.env.ExecuteActivity(b.acts.Parse, activities.ParseInput{DocumentID: "00000000000000000000000000000000000000000000000000000000000000aa"})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	require.Equal(t, activities.ErrTypeNotFound, appErr.Type())
}

// TestParseUsesTheGivenParser: the activity parses with Activities.Parse (the
// worker's sandbox); the sandbox's verdicts are typed and final, its
// infrastructure failures are retried.
func TestParseUsesTheGivenParser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.put(t, "invoice-classic.pdf")
	var fail error
	b.acts.Parser = func(context.Context, []byte, string, parsers.Limits) (*parsers.Document, error) { return nil, fail }

	fail = &parsers.Error{Code: parsers.CodeTooLarge, Detail: "parsing needs more than 1024 MiB of memory"}
	_, err := b.env.ExecuteActivity(b.acts.Parse, activities.ParseInput{DocumentID: id})
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, activities.ErrTypeParse, appErr.Type())
	require.True(t, appErr.NonRetryable())

	fail = errors.New("parse sandbox: fork/exec /worker: resource temporarily unavailable")
	_, err = b.env.ExecuteActivity(b.acts.Parse, activities.ParseInput{DocumentID: id})
	require.ErrorContains(t, err, "resource temporarily unavailable")
	require.False(t, errors.As(err, &appErr) && appErr.NonRetryable(), "an infrastructure failure is retried")
}

func TestExtractRulesRecordsAndReuses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.put(t, "receipt-grocery.pdf")
	b.parse(t, id)
	in := activities.ExtractInput{DocumentID: id, DocType: "receipt", Tier: router.Tier{Name: "rules", Kind: router.KindRules}}
	run := func() *activities.ExtractOutput {
		v, err := b.env.ExecuteActivity(b.acts.ExtractRules, in)
		require.NoError(t, err)
		var out activities.ExtractOutput
		require.NoError(t, v.Get(&out))
		return &out
	}
	first := run()
	require.True(t, first.Valid)
	require.Equal(t, "Corner Market", first.Issuer)
	require.False(t, first.Reused)
	second := run()
	require.True(t, second.Reused, "a retried activity returns the stored result")
	attempts, err := b.st.Attempts(b.ctx, id)
	require.NoError(t, err)
	require.Len(t, attempts, 1)
	require.Equal(t, store.OutcomeSuccess, attempts[0].Outcome)

	messy := b.put(t, "invoice-messy.pdf")
	b.parse(t, messy)
	v, err := b.env.ExecuteActivity(b.acts.ExtractRules, activities.ExtractInput{DocumentID: messy, DocType: "invoice",
		Tier: router.Tier{Name: "rules", Kind: router.KindRules}})
	require.NoError(t, err)
	var out activities.ExtractOutput
	require.NoError(t, v.Get(&out))
	require.False(t, out.Valid)
	require.NotEmpty(t, out.Code)
	partial, err := b.st.BestExtraction(b.ctx, messy)
	require.NoError(t, err)
	require.False(t, partial.Valid, "the partial fields are kept for the reviewer")
}

func TestExtractLLMOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	models := llmsim.FastModels()
	require.NoError(t, llmsim.ParseFaults("gpt-4o-mini=quota", models))
	sim := b.simulated(t, llmsim.Options{Models: models})

	id := b.put(t, "invoice-table.pdf")
	b.parse(t, id)
	in := activities.ExtractInput{DocumentID: id, DocType: "invoice",
		Tier: router.Tier{Name: "primary", Kind: router.KindLLM, Model: "gpt-4o"}}
	out := b.extractLLM(t, in)
	require.True(t, out.Valid)
	require.Equal(t, "Contoso Office Supplies Ltd", out.Issuer)
	out = b.extractLLM(t, in)
	require.True(t, out.Reused, "a retried activity after a recorded success")
	require.Equal(t, 1, sim.Stats()["gpt-4o"].Requests, "does not call the model again")

	in.Tier = router.Tier{Name: "fallback", Kind: router.KindLLM, Model: "gpt-4o-mini"}
	_, err := b.env.ExecuteActivity(b.acts.ExtractLLM, in)
	require.Equal(t, llm.ErrTypeQuotaExceeded, llm.ErrorClass(err))
	require.NotContains(t, err.Error(), "sk-activity-test-0000")

	attempts, err := b.st.Attempts(b.ctx, id)
	require.NoError(t, err)
	require.Len(t, attempts, 2)
	require.Equal(t, store.OutcomeSuccess, attempts[0].Outcome)
	require.Positive(t, attempts[0].PromptTokens)
	require.Positive(t, attempts[0].CostUSD)
	require.Equal(t, store.OutcomeError, attempts[1].Outcome)
	require.Equal(t, llm.ErrTypeQuotaExceeded, attempts[1].ErrorClass)
	require.NotContains(t, attempts[1].ErrorMessage, "sk-activity-test-0000")

	// Reprocessing drops the stored candidates; the cache still answers.
	require.NoError(t, b.st.StartProcessing(b.ctx, id, true))
	in.Tier = router.Tier{Name: "primary", Kind: router.KindLLM, Model: "gpt-4o"}
	out = b.extractLLM(t, in)
	require.True(t, out.Reused)
	attempts, err = b.st.Attempts(b.ctx, id)
	require.NoError(t, err)
	require.Zero(t, attempts[2].CostUSD)
}

// TestBudgetSkipsCallsThatWouldPassIt: once a document's attempts cost what
// its budget allows, the next model call is not made: OverBudget, recorded,
// not retryable.
func TestBudgetSkipsCallsThatWouldPassIt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sim := b.simulated(t, llmsim.Options{})
	id := b.put(t, "invoice-table.pdf")
	b.parse(t, id)

	b.acts.Budget = activities.Budget{USD: 0.0001, Prices: llm.DefaultPrices()}
	in := activities.ExtractInput{DocumentID: id, DocType: "invoice",
		Tier: router.Tier{Name: "primary", Kind: router.KindLLM, Model: "gpt-4o"}}
	_, err := b.env.ExecuteActivity(b.acts.ExtractLLM, in)
	require.Equal(t, activities.ErrTypeOverBudget, llm.ErrorClass(err), "gpt-4o costs more than $0.0001 for any invoice")
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.True(t, appErr.NonRetryable())
	require.Zero(t, sim.Stats()["gpt-4o"].Requests, "no call was made")

	b.acts.Budget.USD = 1
	in.Tier = router.Tier{Name: "fallback", Kind: router.KindLLM, Model: "gpt-4o-mini"}
	v, err := b.env.ExecuteActivity(b.acts.ExtractLLM, in)
	require.NoError(t, err, "a generous budget lets the smaller model answer")
	var out activities.ExtractOutput
	require.NoError(t, v.Get(&out))
	require.True(t, out.Valid)
	attempts, err := b.st.Attempts(b.ctx, id)
	require.NoError(t, err)
	require.Len(t, attempts, 2)
	require.Equal(t, activities.ErrTypeOverBudget, attempts[0].ErrorClass)
	require.Zero(t, attempts[0].CostUSD)
}

// TestRouteOpensTheBreaker: after the primary model failed for the
// provider's reasons across documents, Route leaves it out of new plans.
func TestRouteOpensTheBreaker(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.acts.Router = router.Config{PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini",
		Breaker: router.Breaker{MinAttempts: 3, FailureRate: 0.5, Cooldown: time.Minute}}
	id := b.put(t, "invoice-table.pdf")
	route := func() router.Plan {
		v, err := b.env.ExecuteActivity(b.acts.Route, router.Input{DocType: "invoice", Complexity: 0.4})
		require.NoError(t, err)
		var p router.Plan
		require.NoError(t, v.Get(&p))
		return p
	}
	require.Empty(t, route().Skipped, "no attempts yet")
	for range 3 {
		require.NoError(t, b.st.RecordAttempt(b.ctx, &store.Attempt{DocumentID: id, Task: "extract", Tier: "primary", Model: "gpt-4o",
			Attempt: 1, Outcome: store.OutcomeError, ErrorClass: llm.ErrTypeServer, StartedAt: time.Now()}))
	}
	p := route()
	require.Equal(t, []router.Skip{{Tier: "primary", Model: "gpt-4o", Reason: "circuit_open"}}, p.Skipped)
	require.Equal(t, "fallback", p.Tiers[0].Name)
	breakers, err := activities.Breakers(b.ctx, b.st, b.acts.Router.Breaker)
	require.NoError(t, err)
	require.Equal(t, map[string]activities.BreakerStatus{"gpt-4o": {State: "open", Attempts: 3, Failures: 3}}, breakers,
		"what stats shows")
}

// TestRouteGivesWayUnderLoad: when the primary's recent attempts mostly
// waited for the shared rate limit and the smaller model answers, Route
// starts standard documents on the smaller one, complex ones still on the
// primary.
func TestRouteGivesWayUnderLoad(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.acts.Router = router.Config{PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini", Capability: true,
		Breaker: router.DefaultBreaker, Load: &router.DefaultLoad}
	id := b.put(t, "invoice-table.pdf")
	route := func(complexity float64) router.Plan {
		v, err := b.env.ExecuteActivity(b.acts.Route, router.Input{DocType: "invoice", Complexity: complexity})
		require.NoError(t, err)
		var p router.Plan
		require.NoError(t, v.Get(&p))
		return p
	}
	require.Equal(t, "primary", route(0.4).Tiers[0].Name, "no attempts yet")
	record := func(model, outcome, class string) {
		require.NoError(t, b.st.RecordAttempt(b.ctx, &store.Attempt{DocumentID: id, Task: "extract", Tier: "primary", Model: model,
			Attempt: 1, Outcome: outcome, ErrorClass: class, Latency: time.Second, StartedAt: time.Now()}))
	}
	for i := range 6 {
		record("gpt-4o-mini", store.OutcomeSuccess, "")
		if i%2 == 0 {
			record("gpt-4o", store.OutcomeError, llm.ErrTypeRateLimitWait)
		} else {
			record("gpt-4o", store.OutcomeSuccess, "")
		}
	}
	p := route(0.4)
	require.Equal(t, []string{"gpt-4o-mini", "gpt-4o"}, []string{p.Tiers[0].Model, p.Tiers[1].Model})
	require.Contains(t, p.Reason, "50 % of gpt-4o's 6 recent attempts failed or waited for the rate limit")
	require.Empty(t, p.Skipped, "waits open no breaker")
	require.Equal(t, "gpt-4o", route(0.8).Tiers[0].Model, "complex documents stay on the primary")
}

// TestDoubtfulScansGoToVision: a document read by OCR with a confidence
// below Vision.Below is sent to a vision model with its page image and the
// OCR text; the simulator reads the image (with Tesseract) and answers.
func TestDoubtfulScansGoToVision(t *testing.T) {
	t.Parallel()
	engine, err := ocr.Detect(context.Background(), ocr.DefaultLanguages)
	require.NoError(t, err, "this test needs Tesseract (.ci/run installs it)")
	b := setup(t)
	b.acts.Limits.OCR = engine.Parse
	sim := b.simulated(t, llmsim.Options{ReadImage: func(img []byte) (string, error) { return engine.Text(context.Background(), img) }})
	b.acts.Vision = activities.Vision{Models: map[string]bool{"gpt-4o": true}, Below: 101} // every scan is doubtful here

	content, err := os.ReadFile(filepath.Join(samples.Dir(), "scans", "05-fr-eur-text-scan.png"))
	require.NoError(t, err)
	sum := sha256.Sum256(content)
	id := hex.EncodeToString(sum[:])
	_, err = b.st.PutDocument(b.ctx, &store.Document{ID: id, Name: "scan.png", MediaType: parsers.MediaPNG, Content: content})
	require.NoError(t, err)
	b.parse(t, id)
	info, err := b.st.TextInfo(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, "ocr", info.Source, "the parse recorded where the text came from")
	require.Greater(t, info.OCRConfidence, 50.0)

	in := activities.ExtractInput{DocumentID: id, DocType: "invoice",
		Tier: router.Tier{Name: "primary", Kind: router.KindLLM, Model: "gpt-4o"}}
	v, err := b.env.ExecuteActivity(b.acts.ExtractLLM, in)
	require.NoError(t, err)
	var out activities.ExtractOutput
	require.NoError(t, v.Get(&out))
	require.True(t, out.Valid)
	require.Equal(t, 1, sim.Stats()["gpt-4o"].Images, "the page image went with the request")
	attempts, err := b.st.Attempts(b.ctx, id)
	require.NoError(t, err)
	require.Contains(t, attempts[0].ErrorMessage, "1 page image(s)")
	require.Equal(t, "ocr", attempts[0].TextSource, "the attempt log says what the model read")
	require.Equal(t, 1, attempts[0].PageImages)
	ex, err := b.st.Extraction(b.ctx, id, "primary")
	require.NoError(t, err)
	require.Contains(t, string(ex.Fields), "N-12314", "the invoice number read from the image")
}

// TestScansWithoutOCRGoToVision: without OCR, an image-only PDF is not
// refused at parse when a model sees images: it goes on with no text, a
// vision model reads its page image alone, and a model that cannot see
// images fails at once (NeedsVision) so the chain moves on.
func TestScansWithoutOCRGoToVision(t *testing.T) {
	t.Parallel()
	engine, err := ocr.Detect(context.Background(), ocr.DefaultLanguages)
	require.NoError(t, err, "the simulator reads images with Tesseract (.ci/run installs it)")
	b := setup(t) // no Limits.OCR: parsing finds no text
	sim := b.simulated(t, llmsim.Options{ReadImage: func(img []byte) (string, error) { return engine.Text(context.Background(), img) }})
	b.acts.Vision = activities.Vision{Models: map[string]bool{"gpt-4o": true}, Below: 80}

	id := b.put(t, "invoice-scanned.pdf")
	out := b.parse(t, id)
	require.Equal(t, "vision", out.TextSource)
	require.Equal(t, 1, out.Pages)
	require.Zero(t, out.Chars)

	in := activities.ExtractInput{DocumentID: id, DocType: "invoice",
		Tier: router.Tier{Name: "primary", Kind: router.KindLLM, Model: "gpt-4o"}}
	res := b.extractLLM(t, in)
	require.True(t, res.Valid, "%s: %s", res.Code, res.Detail)
	require.Equal(t, 1, sim.Stats()["gpt-4o"].Images)
	attempts, err := b.st.Attempts(b.ctx, id)
	require.NoError(t, err)
	require.Len(t, attempts, 1)
	require.Equal(t, "vision", attempts[0].TextSource)
	require.Equal(t, 1, attempts[0].PageImages)
	require.Contains(t, attempts[0].ErrorMessage, "alone")
	ex, err := b.st.Extraction(b.ctx, id, "primary")
	require.NoError(t, err)
	require.Contains(t, string(ex.Fields), "TT-3307", "the invoice number read from the image")

	in.Tier = router.Tier{Name: "fallback", Kind: router.KindLLM, Model: "gpt-4o-mini"} // no images for it here
	_, err = b.env.ExecuteActivity(b.acts.ExtractLLM, in)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%v", err)
	require.Equal(t, activities.ErrTypeNeedsVision, appErr.Type())
	require.True(t, appErr.NonRetryable())
}

// TestRouteLearned: on a history where the smaller model reads simple
// invoices only, learned routing starts simple invoices on it, and simple
// receipts and complex invoices on the primary, saying why in the plan;
// with learned routing off the plan has no reason.
func TestRouteLearned(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.acts.Router = router.Config{PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini", Capability: true}
	env := b.env
	route := func(in router.Input) router.Plan {
		v, err := env.ExecuteActivity(b.acts.Route, in)
		require.NoError(t, err)
		var p router.Plan
		require.NoError(t, v.Get(&p))
		return p
	}
	simpleInvoice := router.Input{DocType: "invoice", Complexity: 0.1}
	simpleReceipt := router.Input{DocType: "receipt", Complexity: 0.1}
	complexInvoice := router.Input{DocType: "invoice", Complexity: 0.7}
	require.Equal(t, "fallback", route(simpleReceipt).Tiers[0].Name, "capability: every simple document starts on the smaller model")

	b.acts.Router.Learned = &router.Learned{Threshold: 0.9, MinDocuments: 20}
	require.Equal(t, "capability: no model proven on simple receipt", route(simpleReceipt).Reason, "no history yet")
	storetest.SmallerReadsSimple(t, b.st, "gpt-4o", "gpt-4o-mini", 25)
	// Another worker: the first reuses its (empty) evidence for a few seconds.
	var s testsuite.WorkflowTestSuite
	env = s.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: b.st, Router: b.acts.Router})
	p := route(simpleInvoice)
	require.Equal(t, []string{"gpt-4o-mini", "gpt-4o"}, []string{p.Tiers[0].Model, p.Tiers[1].Model})
	require.Equal(t, "learned: gpt-4o-mini read 25 of 25 simple invoice ($0.0005 each)", p.Reason)
	p = route(simpleReceipt)
	require.Equal(t, []string{"gpt-4o", "gpt-4o-mini"}, []string{p.Tiers[0].Model, p.Tiers[1].Model})
	require.Equal(t, "learned: gpt-4o read 25 of 25 simple receipt ($0.0050 each)", p.Reason)
	p = route(complexInvoice)
	require.Equal(t, "gpt-4o", p.Tiers[0].Model)
	require.Equal(t, "complex", p.Class)
	require.Contains(t, p.Reason, "learned: gpt-4o read 25 of 25 complex invoice")
}
