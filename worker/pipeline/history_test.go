package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/llmsim/simrules"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store/storetest"
	"github.com/dataforge/dataforge/workflows"
)

// recordEnv, set to 1, makes TestRecordHistories write the histories it
// records into workflows/testdata (files that exist are kept); without it
// they go to a temporary directory and are only replayed.
const recordEnv = "DATAFORGE_RECORD_HISTORIES"

// historyPath is one path through ProcessDocument, run on a real server.
type historyPath struct {
	// name is the history file's name, without .json. Never reuse a name
	// for a different recording: once committed, a history is a fixture.
	name string
	file string
	opts client.Options
	// llm configures the LLM tiers (nil: none); down toggles the provider.
	llm func(t *testing.T, down *atomic.Bool) func(*activities.Activities)
	// drive acts on the settled document until its workflow can end.
	drive func(t *testing.T, b *testBundle, id string, down *atomic.Bool)
}

// TestRecordHistories runs every main path of ProcessDocument through a
// real Temporal server and worker, reads each workflow's history back as
// `temporal workflow show --output json` prints it, and replays it. With
// DATAFORGE_RECORD_HISTORIES=1 the histories become workflows/testdata
// fixtures, which `go test ./workflows/` replays against the current code.
func TestRecordHistories(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if os.Getenv(recordEnv) == "1" {
		dir = filepath.Join("..", "..", "workflows", "testdata")
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	for _, p := range historyPaths() {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, p.name+".json")
			if _, err := os.Stat(path); err == nil {
				t.Logf("%s exists; recorded histories are never rewritten", path)
				return
			}
			var down atomic.Bool
			var opts []func(*activities.Activities)
			if p.llm != nil {
				opts = append(opts, p.llm(t, &down))
			}
			b := setup(t, opts...)
			items, err := b.sub.Submit(b.ctx, []string{sample(t, p.file)}, p.opts)
			require.NoError(t, err)
			require.NoError(t, items[0].Err)
			require.NoError(t, b.sub.Wait(b.ctx, items, nil))
			id := items[0].DocumentID
			if p.drive != nil {
				p.drive(t, b, id, &down)
			}
			require.NoError(t, b.client.GetWorkflow(b.ctx, workflows.WorkflowID(id), "").Get(b.ctx, nil))
			require.NoError(t, writeHistory(b.ctx, b.client, workflows.WorkflowID(id), path))

			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.ProcessDocument)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, path))
		})
	}
}

func historyPaths() []historyPath {
	return []historyPath{
		{name: "rules-completes", file: "invoice-classic.pdf"},
		// Route and Complete as local activities (changeLocalSteps).
		{name: "rules-completes-local-steps", file: "invoice-classic.pdf"},
		{name: "llm-completes-after-retries", file: "invoice-two-column.pdf",
			llm: scriptedLLM(llmsim.FaultServerError, llmsim.FaultServerError)},
		{name: "review-submitted", file: "invoice-messy.pdf", drive: decide(workflows.ReviewDecision{
			Reviewer: "ann", Fields: &schema.Fields{InvoiceNumber: "M-1", IssueDate: "2024-02-01", Issuer: "Cafe Lux",
				Total: ptr(42.5), Currency: "EUR"}})},
		{name: "review-rejected", file: "invoice-messy.pdf",
			drive: decide(workflows.ReviewDecision{Reviewer: "bob", Reject: true, Reason: "duplicate"})},
		{name: "review-escalated-then-submitted", file: "invoice-messy.pdf", opts: client.Options{ReviewSLA: time.Second},
			drive: func(t *testing.T, b *testBundle, id string, down *atomic.Bool) {
				require.Eventually(t, func() bool {
					it, err := b.st.ReviewItemByDocument(b.ctx, id)
					return err == nil && it.Escalated
				}, time.Minute, 100*time.Millisecond)
				decide(workflows.ReviewDecision{Reviewer: "cy", Reject: true, Reason: "not ours"})(t, b, id, down)
			}},
		{name: "redrive-completes", file: "invoice-messy.pdf", llm: switchableLLM,
			drive: func(t *testing.T, b *testBundle, id string, down *atomic.Bool) {
				down.Store(false)
				update(t, b, id, workflows.UpdateRedrive, "ops")
			}},
		{name: "parse-failure-rejected", file: "invoice-encrypted.pdf",
			drive: decide(workflows.ReviewDecision{Reviewer: "ann", Reject: true, Reason: "password protected"})},
		{name: "llm-completes-after-postgres-outage", file: "invoice-table.pdf", llm: postgresCutDuringCall},
		{name: "einvoice-completes", file: "einvoice-factur-x.pdf"},
		{name: "classify-then-llm-completes", file: "receipt-cafe.pdf",
			llm: func(t *testing.T, down *atomic.Bool) func(*activities.Activities) {
				set := withSimulator(t, llmsim.FastModels())
				return func(a *activities.Activities) { set(a); a.Router.ClassifyBelow = 2 }
			}},
	}
}

func ptr[T any](v T) *T { return &v }

// scriptedLLM serves the LLM tiers from the simulator, failing the primary
// model's first requests with faults.
func scriptedLLM(faults ...llmsim.Fault) func(*testing.T, *atomic.Bool) func(*activities.Activities) {
	return func(t *testing.T, _ *atomic.Bool) func(*activities.Activities) {
		models := llmsim.FastModels()
		m := models["gpt-4o"]
		m.Script = faults
		models["gpt-4o"] = m
		return withSimulator(t, models)
	}
}

// postgresCutDuringCall serves the LLM tiers from the simulator and cuts the
// worker's Postgres off while the first model call is answered, for 3 s: the
// answer cannot be stored, and the tier runs again once the database is
// back.
func postgresCutDuringCall(t *testing.T, _ *atomic.Bool) func(*activities.Activities) {
	var once sync.Once
	var proxy *storetest.Proxy
	answer := func(docType, text string) (json.RawMessage, error) {
		once.Do(func() {
			proxy.Cut()
			time.AfterFunc(3*time.Second, proxy.Restore)
		})
		return simrules.Answer(docType, text)
	}
	srv := httptest.NewServer(llmsim.New(llmsim.Options{Models: llmsim.FastModels(), Answer: answer, Seed: 1}))
	t.Cleanup(srv.Close)
	return func(a *activities.Activities) {
		withLLM(srv.URL + "/v1")(a)
		proxy = behindProxy(t, a)
	}
}

// switchableLLM serves the LLM tiers from a simulator whose models are
// unavailable while down is set; it starts down.
func switchableLLM(t *testing.T, down *atomic.Bool) func(*activities.Activities) {
	down.Store(true)
	broken := llmsim.FastModels()
	require.NoError(t, llmsim.ParseFaults("gpt-4o=unavailable,gpt-4o-mini=unavailable", broken))
	// Once back, the model reads what the rules could not.
	answer := func(string, string) (json.RawMessage, error) {
		return json.RawMessage(`{"invoice_number":"M-78","issue_date":"2024-02-01","due_date":null,"issuer":"Messy Trading",
			"issuer_tax_id":null,"iban":null,"currency":"USD","subtotal":null,"tax":null,"total":99.5,"line_items":null}`), nil
	}
	downSim := llmsim.New(llmsim.Options{Models: broken, Answer: answer})
	upSim := llmsim.New(llmsim.Options{Models: llmsim.FastModels(), Answer: answer})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			downSim.ServeHTTP(w, r)
		} else {
			upSim.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return withLLM(srv.URL + "/v1")
}

func decide(d workflows.ReviewDecision) func(*testing.T, *testBundle, string, *atomic.Bool) {
	return func(t *testing.T, b *testBundle, id string, _ *atomic.Bool) {
		doc, err := b.st.Document(b.ctx, id)
		require.NoError(t, err)
		require.Equal(t, dftype.StatusReview, doc.Status)
		update(t, b, id, workflows.UpdateReview, d)
	}
}

func update(t *testing.T, b *testBundle, id, name string, arg any) {
	t.Helper()
	h, err := b.client.UpdateWorkflow(b.ctx, sdkclient.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(id), UpdateName: name, Args: []any{arg},
		WaitForStage: sdkclient.WorkflowUpdateStageCompleted,
	})
	require.NoError(t, err)
	require.NoError(t, h.Get(b.ctx, nil))
}

// writeHistory writes a workflow's whole history as JSON, in the form
// `temporal workflow show --output json` prints and
// worker.WorkflowReplayer reads.
func writeHistory(ctx context.Context, c sdkclient.Client, workflowID, path string) error {
	iter := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			return fmt.Errorf("history of %s: %w", workflowID, err)
		}
		h.Events = append(h.Events, e)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s exists", path)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
