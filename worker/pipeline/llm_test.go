package pipeline_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/llmsim/simrules"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/samples"
	"github.com/dataforge/dataforge/workflows"
)

// fastRetry keeps the LLM tiers' retry shape with short intervals.
func fastRetry() *temporal.RetryPolicy {
	p := llm.RetryPolicy()
	p.InitialInterval, p.MaximumInterval = 100*time.Millisecond, 400*time.Millisecond
	return p
}

// withSimulator points the LLM tiers at a simulator served over real HTTP.
func withSimulator(t *testing.T, models map[string]llmsim.ModelConfig) func(*activities.Activities) {
	sim := llmsim.New(llmsim.Options{Models: models, Answer: simrules.Answer, Seed: 1})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return withLLM(srv.URL + "/v1")
}

func withLLM(baseURL string) func(*activities.Activities) {
	return func(a *activities.Activities) {
		a.LLM = llm.New(llm.Config{APIKey: "sk-test-key-123456", BaseURL: baseURL, Timeout: 5 * time.Second})
		a.Router = router.Config{PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini", LLMRetry: fastRetry(), LLMTimeout: 15 * time.Second}
	}
}

func sample(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(samples.Dir(), name)
}

func attemptsOf(t *testing.T, b *testBundle, id string) []*store.Attempt {
	t.Helper()
	a, err := b.st.Attempts(b.ctx, id)
	require.NoError(t, err)
	return a
}

func TestPrimaryDownFallbackCompletes(t *testing.T) {
	t.Parallel()
	models := llmsim.FastModels()
	require.NoError(t, llmsim.ParseFaults("gpt-4o=unavailable:1", models))
	b := setup(t, withSimulator(t, models))

	items := b.submitAndWait(t, []string{sample(t, "invoice-classic.pdf")}, client.Options{})
	id := items[0].DocumentID
	res, err := b.st.Result(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, "fallback", res.Tier)
	require.Contains(t, res.Model, "gpt-4o-mini")
	require.Equal(t, 4, res.Attempts, "3 primary attempts, then the fallback")
	require.Greater(t, res.CostUSD, 0.0)

	a := attemptsOf(t, b, id)
	for i := 0; i < 3; i++ {
		require.Equal(t, "primary", a[i].Tier)
		require.Equal(t, llm.ErrTypeServer, a[i].ErrorClass)
		require.Equal(t, i+1, a[i].Attempt)
	}
	require.Equal(t, store.OutcomeSuccess, a[3].Outcome)
	require.Positive(t, a[3].PromptTokens)
}

func TestNonRetryableErrorSkipsToNextTierAtOnce(t *testing.T) {
	t.Parallel()
	models := llmsim.FastModels()
	require.NoError(t, llmsim.ParseFaults("gpt-4o=quota,gpt-4o-mini=content_filter", models))
	b := setup(t, withSimulator(t, models))

	items := b.submitAndWait(t, []string{sample(t, "invoice-table.pdf")}, client.Options{})
	a := attemptsOf(t, b, items[0].DocumentID)
	require.Len(t, a, 3, "one attempt each: quota and content filter are not retried")
	require.Equal(t, llm.ErrTypeQuotaExceeded, a[0].ErrorClass)
	require.Equal(t, llm.ErrTypeContentFilter, a[1].ErrorClass)
	require.Equal(t, "rules", a[2].Tier)
	res, err := b.st.Result(b.ctx, items[0].DocumentID)
	require.NoError(t, err)
	require.Equal(t, "rules", res.Tier)
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	models := llmsim.FastModels()
	m := models["gpt-4o"]
	m.Script, m.RetryAfter = []llmsim.Fault{llmsim.FaultRateLimit}, 2*time.Second
	models["gpt-4o"] = m
	b := setup(t, withSimulator(t, models))

	items := b.submitAndWait(t, []string{sample(t, "receipt-cafe.pdf")}, client.Options{})
	a := attemptsOf(t, b, items[0].DocumentID)
	require.Len(t, a, 2)
	require.Equal(t, llm.ErrTypeRateLimited, a[0].ErrorClass)
	require.Equal(t, store.OutcomeSuccess, a[1].Outcome)
	require.GreaterOrEqual(t, a[1].StartedAt.Sub(a[0].StartedAt), 2*time.Second,
		"the retry waits for Retry-After, not the 100 ms backoff")
}

func TestInvalidOutputIsRepairedOnce(t *testing.T) {
	t.Parallel()
	models := llmsim.FastModels()
	m := models["gpt-4o"]
	m.Script = []llmsim.Fault{llmsim.FaultSchemaViolation, llmsim.FaultSchemaViolation}
	models["gpt-4o"] = m
	b := setup(t, withSimulator(t, models))

	items := b.submitAndWait(t, []string{sample(t, "invoice-two-column.pdf")}, client.Options{})
	a := attemptsOf(t, b, items[0].DocumentID)
	require.Equal(t, llm.ErrTypeInvalidOutput, a[0].ErrorClass, "invalid after the repair: not retried")
	require.Equal(t, store.OutcomeInvalid, a[0].Outcome)
	require.Equal(t, "fallback", a[1].Tier)
	require.Equal(t, store.OutcomeSuccess, a[1].Outcome)
}

func TestReprocessUsesTheCache(t *testing.T) {
	t.Parallel()
	b := setup(t, withSimulator(t, llmsim.FastModels()))
	path := sample(t, "invoice-classic.pdf")
	items := b.submitAndWait(t, []string{path}, client.Options{})
	b.submitAndWait(t, []string{path}, client.Options{Reprocess: true})
	a := attemptsOf(t, b, items[0].DocumentID)
	require.Len(t, a, 2)
	require.Positive(t, a[0].CostUSD)
	require.Zero(t, a[1].CostUSD, "the second run reuses the cached answer")
	require.Contains(t, a[1].ErrorMessage, "cache")
}

// TestRedriveAfterOutage: with the provider down, documents the rules cannot
// read confidently wait in review with transient reasons; once the provider
// is back, `review retry` sends them through the tiers again.
func TestRedriveAfterOutage(t *testing.T) {
	t.Parallel()
	down := llmsim.FastModels()
	require.NoError(t, llmsim.ParseFaults("gpt-4o=unavailable,gpt-4o-mini=unavailable", down))
	// Once back, the model reads what the rules could not.
	answer := func(string, string) (json.RawMessage, error) {
		return json.RawMessage(`{"invoice_number":"M-77","issue_date":"2024-02-01","due_date":null,"issuer":"Messy Trading",
			"issuer_tax_id":null,"iban":null,"currency":"USD","subtotal":null,"tax":null,"total":99.5,"line_items":null}`), nil
	}
	downSim := llmsim.New(llmsim.Options{Models: down, Answer: answer})
	upSim := llmsim.New(llmsim.Options{Models: llmsim.FastModels(), Answer: answer})
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if healthy.Load() {
			upSim.ServeHTTP(w, r)
		} else {
			downSim.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	b := setup(t, withLLM(srv.URL+"/v1"))

	items := b.submitAndWait(t, []string{sample(t, "invoice-messy.pdf")}, client.Options{})
	id := items[0].DocumentID
	it, err := b.st.ReviewItemByDocument(b.ctx, id)
	require.NoError(t, err)
	codes := dftype.ReasonCodes(it.Reasons)
	require.Equal(t, []string{"primary:ProviderUnavailable", "fallback:ProviderUnavailable"}, codes[:2])
	require.Contains(t, []string{"rules:invalid_fields", "rules:low_confidence"}, codes[2])

	healthy.Store(true)
	pending, err := b.st.ListReview(b.ctx, store.ReviewFilter{State: store.ReviewPending, Reason: llm.ErrTypeServer})
	require.NoError(t, err)
	require.Len(t, pending, 1)
	h, err := b.client.UpdateWorkflow(b.ctx, sdkclient.UpdateWorkflowOptions{
		WorkflowID: it.WorkflowID, UpdateName: workflows.UpdateRedrive, Args: []any{"ops"},
		WaitForStage: sdkclient.WorkflowUpdateStageCompleted,
	})
	require.NoError(t, err)
	require.NoError(t, h.Get(b.ctx, nil))

	var res workflows.Result
	require.NoError(t, b.client.GetWorkflow(b.ctx, it.WorkflowID, "").Get(b.ctx, &res))
	require.Equal(t, dftype.StatusCompleted, res.Status)
	require.Equal(t, "primary", res.Tier)
	doc, err := b.st.Document(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, dftype.StatusCompleted, doc.Status)
	it, err = b.st.ReviewItemByDocument(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, store.ReviewRedriven, it.State)
	stored, err := b.st.Result(b.ctx, id)
	require.NoError(t, err)
	require.Contains(t, string(stored.Fields), "M-77")
}

func TestSummaryAndItsFallback(t *testing.T) {
	t.Parallel()
	healthy := setup(t, withSimulator(t, llmsim.FastModels()))
	items := healthy.submitAndWait(t, []string{sample(t, "invoice-plain.txt")}, client.Options{Summarize: true})
	r, err := healthy.sub.Report(healthy.ctx, items[0].DocumentID)
	require.NoError(t, err)
	require.Equal(t, "completed", r.Status)
	require.NotEmpty(t, r.Summary)
	require.Empty(t, r.Fallbacks)
	tasks := map[string]int{}
	for _, a := range attemptsOf(t, healthy, items[0].DocumentID) {
		tasks[a.Task]++
	}
	require.Equal(t, map[string]int{"summarize": 1, "extract": 1}, tasks)

	models := llmsim.FastModels()
	require.NoError(t, llmsim.ParseFaults("gpt-4o=content_filter,gpt-4o-mini=content_filter", models))
	filtered := setup(t, withSimulator(t, models))
	items = filtered.submitAndWait(t, []string{sample(t, "invoice-plain.txt")},
		client.Options{Summarize: true, Fallbacks: []schema.Task{schema.TaskSummarize}})
	r, err = filtered.sub.Report(filtered.ctx, items[0].DocumentID)
	require.NoError(t, err)
	require.Equal(t, "completed", r.Status, "the opted-in fallback keeps the document out of review")
	require.Equal(t, "rules", r.Tier)
	require.Equal(t, []string{"summarize"}, r.Fallbacks)
	require.Empty(t, r.Summary)
}
