package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/parsers/sandbox"
	"github.com/dataforge/dataforge/samples"
	"github.com/dataforge/dataforge/worker/pipeline/pipelinetest"
)

// testSandbox parses for the commands that parse locally; the test binary
// is its child.
var testSandbox *sandbox.Sandbox

func TestMain(m *testing.M) {
	sandbox.Main()
	var err error
	if testSandbox, err = sandbox.New(sandbox.Options{}); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

type testBundle struct {
	ctx  context.Context
	vars map[string]string
	st   *store.Store
}

// setup runs the pipeline on a real Temporal server and a fresh database,
// and returns the environment the CLI reads.
func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	env := pipelinetest.Start(t)
	return &testBundle{ctx: ctx, st: env.Store, vars: map[string]string{
		"DATABASE_URL": env.DatabaseURL, "TEMPORAL_ADDRESS": env.HostPort,
		"TEMPORAL_NAMESPACE": env.Namespace, "DATAFORGE_TASK_QUEUE": pipelinetest.TaskQueue,
	}}
}

// cli runs the starter in-process and returns its exit code and output.
func (b *testBundle) cli(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	e := &env{getenv: func(k string) string { return b.vars[k] }, stdout: &stdout, stderr: &stderr,
		isTerminal: func() bool { return false }, parse: testSandbox.Parse}
	code := run(b.ctx, args, e)
	return code, stdout.String(), stderr.String()
}

func sample(name string) string { return filepath.Join(samples.Dir(), name) }

func TestSubmitStatusResult(t *testing.T) {
	t.Parallel()
	b := setup(t)
	code, out, errOut := b.cli("submit", sample("invoice-classic.pdf"), sample("invoice-encrypted.pdf"), "--output", "json")
	require.Equal(t, exitOK, code, errOut)
	var reports []client.Report
	require.NoError(t, json.Unmarshal([]byte(out), &reports))
	require.Len(t, reports, 2)
	require.Equal(t, "completed", reports[0].Status)
	require.Equal(t, "rules", reports[0].Tier)
	require.NotEmpty(t, reports[0].Fields.InvoiceNumber)
	require.Equal(t, "text_layer", reports[0].TextSource)
	require.Equal(t, "review", reports[1].Status)
	require.Equal(t, "parse: encrypted", reports[1].Reason)
	require.Empty(t, reports[1].TextSource, "never parsed")

	code, out, _ = b.cli("submit", sample("invoice-classic.pdf"))
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "DOCUMENT")
	require.Contains(t, out, "completed")

	prefix := reports[0].DocumentID[:10]
	code, out, _ = b.cli("status", prefix, "--output", "json")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, `"status": "completed"`)

	code, out, _ = b.cli("result", sample("invoice-classic.pdf"), "--output", "json")
	require.Equal(t, exitOK, code)
	var view struct {
		Tier       string           `json:"tier"`
		AttemptLog []*store.Attempt `json:"attempt_log"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &view))
	require.Equal(t, "rules", view.Tier)
	require.Len(t, view.AttemptLog, 1)
	require.Equal(t, "text_layer", view.AttemptLog[0].TextSource, "what the attempt read")

	code, out, _ = b.cli("result", prefix)
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "fields:")
	require.Regexp(t, `text\s+text layer`, out)
	require.Contains(t, out, "READ")
}

func TestErrorsAndExitCodes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	empty := filepath.Join(t.TempDir(), "empty.txt")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))

	code, out, errOut := b.cli("submit", empty, sample("invoice-plain.txt"), "--output", "json")
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "empty.txt: empty file")
	require.Contains(t, out, `"status": "completed"`, "the good file is still processed")

	code, _, errOut = b.cli("submit", "--bogus")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "flag provided but not defined")
	code, _, errOut = b.cli("submit", "--concurrency", "0", sample("invoice-plain.txt"))
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "--concurrency takes a number of at least 1")
	code, _, _ = b.cli("submit")
	require.Equal(t, exitUsage, code)
	code, _, errOut = b.cli("status", "zz")
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "not a document id")
	code, _, errOut = b.cli("status", "--output", "yaml", "abcdef")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "--output must be text or json")
	code, _, _ = b.cli("frobnicate")
	require.Equal(t, exitUsage, code)

	b.vars["DATABASE_URL"] = "postgres://postgres:hunter2@127.0.0.1:1/nope?sslmode=disable&connect_timeout=2"
	code, _, errOut = b.cli("status", "abcdef")
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "unreachable")
	require.NotContains(t, errOut, "hunter2", "secrets never reach the output")
}

func TestExtractLocally(t *testing.T) {
	t.Parallel()
	b := &testBundle{ctx: context.Background(), vars: map[string]string{}}
	// An xref subsection at object 2e9 once made the PDF library ask for
	// 64 GB and took the starter down.
	absurd := filepath.Join("..", "parsers", "testdata", "hostile", "xref-start-2e9.pdf")
	code, out, errOut := b.cli("extract", sample("invoice-table.pdf"), sample("invoice-corrupt.pdf"), absurd, "--output", "json")
	require.Equal(t, exitFailure, code, "a file that cannot be parsed fails the command")
	require.Contains(t, errOut, "invoice-corrupt.pdf")
	var xs []extraction
	require.NoError(t, json.Unmarshal([]byte(out), &xs))
	require.Len(t, xs, 3)
	require.Equal(t, "invoice", xs[0].DocType)
	require.True(t, xs[0].Valid)
	require.Equal(t, "corrupt", xs[1].ErrorCode)
	require.Equal(t, "corrupt", xs[2].ErrorCode)
	require.Equal(t, "rules", xs[0].Tier)

	code, out, errOut = b.cli("extract", sample("einvoice-factur-x.pdf"))
	require.Equal(t, exitOK, code, errOut)
	require.Regexp(t, `einvoice-factur-x\.pdf +invoice +1\.00 +true +einvoice \(CII EN16931\) .*FX-2024-0042`, out)
	code, out, errOut = b.cli("extract", "--no-einvoice", sample("einvoice-factur-x.pdf"), "--output", "json")
	require.Equal(t, exitOK, code, errOut)
	require.NoError(t, json.Unmarshal([]byte(out), &xs))
	require.Equal(t, "rules", xs[0].Tier, "the text path alone")
	require.Empty(t, xs[0].Profile)
}

func TestReviewQueueCommands(t *testing.T) {
	t.Parallel()
	b := setup(t)
	code, _, errOut := b.cli("submit", sample("invoice-messy.pdf"), sample("invoice-scanned.pdf"))
	require.Equal(t, exitOK, code, errOut)

	code, out, errOut := b.cli("status", "--live", sample("invoice-messy.pdf"), "--output", "json")
	require.Equal(t, exitOK, code, errOut)
	var views []statusView
	require.NoError(t, json.Unmarshal([]byte(out), &views))
	require.Equal(t, "review", views[0].Live.Step, "the workflow answers the state query")
	require.NotEmpty(t, views[0].Live.LastFailure)

	code, out, _ = b.cli("review", "list", "--output", "json")
	require.Equal(t, exitOK, code)
	var items []store.ReviewItem
	require.NoError(t, json.Unmarshal([]byte(out), &items))
	require.Len(t, items, 2)

	code, _, errOut = b.cli("review", "next")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "--reviewer")

	b.vars["DATAFORGE_REVIEWER"] = "ann"
	code, out, _ = b.cli("review", "next", "--reason", "invalid_fields", "--output", "json")
	require.Equal(t, exitOK, code)
	var claimed itemView
	require.NoError(t, json.Unmarshal([]byte(out), &claimed))
	require.Equal(t, "ann", claimed.ClaimedBy)
	require.FileExists(t, claimed.File)
	require.NotEmpty(t, claimed.Text)
	ref := claimed.DocumentID[:12]

	code, _, errOut = b.cli("review", "submit", ref, "--reviewer", "bob", "--set", "total=1")
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "claim it first")

	code, _, errOut = b.cli("review", "submit", ref, "--set", "currency=EURO", "--set", "issue_date=yesterday")
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "currency")
	it, err := b.st.ReviewItemByDocument(b.ctx, claimed.DocumentID)
	require.NoError(t, err)
	require.Equal(t, store.ReviewClaimed, it.State, "an invalid submission changes nothing")

	fields := filepath.Join(t.TempDir(), "fields.json")
	require.NoError(t, os.WriteFile(fields, []byte(`{"invoice_number":"MX-1","issue_date":"2024-01-15","issuer":"Messy Ltd",
		"currency":"GBP","total":250,"subtotal":null,"tax":null,"line_items":null}`), 0o644))
	code, out, errOut = b.cli("review", "extend", ref, "--lease", "30m")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "held by ann")
	code, out, errOut = b.cli("review", "submit", ref, "--fields", fields)
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "is completed")

	code, out, _ = b.cli("result", ref, "--output", "json")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, `"tier": "manual"`)
	require.Contains(t, out, `"reviewer": "ann"`)
	require.Contains(t, out, "MX-1")

	// The scanned invoice: claim, release, claim again, reject.
	code, out, _ = b.cli("review", "next", "--output", "json")
	require.Equal(t, exitOK, code)
	require.NoError(t, json.Unmarshal([]byte(out), &claimed))
	id := claimed.DocumentID[:12]
	code, _, _ = b.cli("review", "release", id)
	require.Equal(t, exitOK, code)
	code, _, _ = b.cli("review", "next")
	require.Equal(t, exitOK, code)
	code, _, errOut = b.cli("review", "reject", id)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "--reason")
	code, out, errOut = b.cli("review", "reject", id, "--reason", "image only, ask for the original")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "is rejected")

	code, out, _ = b.cli("review", "show", id)
	require.Equal(t, exitOK, code)
	for _, action := range []string{"enqueued", "claimed", "released", "rejected"} {
		require.Contains(t, out, action)
	}
	code, _, errOut = b.cli("review", "next")
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "no review item is waiting")
	require.Equal(t, 1, strings.Count(errOut, "\n"))
}

// A submission that fails part-way (here Postgres refuses one file) says
// which files it accepted and which not, and exits 1.
func TestSubmitReportsPartialFailure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.st.Pool().Exec(b.ctx, `
		CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'disk full (test)'; END $$;
		CREATE TRIGGER refuse_poison BEFORE INSERT ON documents
		FOR EACH ROW WHEN (NEW.name = 'poison.txt') EXECUTE FUNCTION refuse_poison();`)
	require.NoError(t, err)
	dir := t.TempDir()
	var paths []string
	for i, name := range []string{"a.txt", "b.txt", "poison.txt", "c.txt"} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("Invoice INV-"+strings.Repeat("7", i+1)+"\nTotal 10.00 EUR\n"), 0o644))
		paths = append(paths, p)
	}

	// One file at a time: the submission stops at poison.txt, after a and b.
	code, out, errOut := b.cli(append([]string{"submit", "--no-wait", "--concurrency", "1", "--output", "json"}, paths...)...)
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "stopped after accepting 2 of 4 files")
	require.Contains(t, errOut, "disk full (test)")
	var reports []client.Report
	require.NoError(t, json.Unmarshal([]byte(out), &reports))
	require.Len(t, reports, 4)
	want := []string{client.StatusAccepted, client.StatusAccepted, client.StatusNotAccepted, client.StatusNotAccepted}
	for i, r := range reports {
		require.Equal(t, want[i], r.Status, r.Name)
	}
	require.Contains(t, reports[2].Error, "disk full (test)")
	require.Equal(t, client.ErrNotSubmitted.Error(), reports[3].Error)

	// What was accepted is processed; what was not is not in the database.
	docs, err := b.st.Documents(b.ctx, []string{reports[0].DocumentID, reports[1].DocumentID})
	require.NoError(t, err)
	require.Len(t, docs, 2)
	var stored int
	require.NoError(t, b.st.Pool().QueryRow(b.ctx, `SELECT count(*) FROM documents`).Scan(&stored))
	require.Equal(t, 2, stored)
	sub := &client.Submitter{Store: b.st}
	items := []*client.Item{{DocumentID: reports[0].DocumentID}, {DocumentID: reports[1].DocumentID}}
	require.NoError(t, sub.Wait(b.ctx, items, nil))

	// Again, several files at a time (the default): poison.txt still stops it.
	code, out, errOut = b.cli(append([]string{"submit", "--no-wait"}, paths...)...)
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "disk full (test)")
	require.Contains(t, out, "not accepted")
	require.Contains(t, out, "poison.txt")
}
