package reviewweb_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/samples"
	"github.com/dataforge/dataforge/worker/pipeline/pipelinetest"
	"github.com/dataforge/dataforge/workflows"
)

// messyVariants writes copies of the messy sample (which the rules send to
// review), each made distinct by a trailing PDF comment.
func messyVariants(t *testing.T, names ...string) []string {
	t.Helper()
	content, err := os.ReadFile(filepath.Join(samples.Dir(), "invoice-messy.pdf"))
	require.NoError(t, err)
	var paths []string
	for _, n := range names {
		path := filepath.Join(t.TempDir(), "messy-"+n+".pdf")
		require.NoError(t, os.WriteFile(path, append(content, []byte("\n% "+n+"\n")...), 0o644))
		paths = append(paths, path)
	}
	return paths
}

// TestDecisionsCompleteTheWorkflow drives the page against a real Temporal
// server and worker: a submit completes the workflow with the corrected
// value in Postgres, a reject rejects it.
func TestDecisionsCompleteTheWorkflow(t *testing.T) {
	t.Parallel()
	env := pipelinetest.Start(t)
	sub := &client.Submitter{Store: env.Store, Temporal: env.Client, TaskQueue: pipelinetest.TaskQueue,
		MaxBytes: parsers.DefaultLimits().MaxBytes}
	s := newSite(t, sub)
	docs, err := sub.Submit(s.ctx, messyVariants(t, "submit", "reject"), client.Options{})
	require.NoError(t, err)
	require.NoError(t, sub.Wait(s.ctx, docs, nil))

	b := s.browser(t)
	b.signIn("ann")
	path := b.claim(nil)
	body := b.get(path).Body.String()
	require.Contains(t, body, `<div id="pdf" data-src="`+path+`/document"`, "a PDF is rendered by pdf.js")
	rec := b.get(path + "/document")
	require.Equal(t, "application/pdf", rec.Header().Get("Content-Type"))

	form := url.Values{"doc_type": {"invoice"}, "invoice_number": {"M-1"}, "issue_date": {"2024-02-01"},
		"issuer": {"Cafe Lux"}, "currency": {"EUR"}, "total": {"42.50"}}
	rec = b.post(path+"/submit", form)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.Contains(t, b.get(rec.Header().Get("Location")).Body.String(), "is completed", "the queue says what happened")

	submitted := s.itemAt(t, path)
	res, err := env.Store.Result(s.ctx, submitted.DocumentID)
	require.NoError(t, err)
	require.Equal(t, "ann", res.Reviewer, "the reviewer comes from the session")
	var fields schema.Fields
	require.NoError(t, json.Unmarshal(res.Fields, &fields))
	require.Equal(t, 42.5, *fields.Total)
	require.Equal(t, "Cafe Lux", fields.Issuer)
	var out workflows.Result
	require.NoError(t, env.Client.GetWorkflow(s.ctx, submitted.WorkflowID, "").Get(s.ctx, &out))
	require.EqualValues(t, "completed", out.Status)
	require.Equal(t, "ann", out.Reviewer)
	require.Equal(t, "manual", out.Tier)

	rec = b.post(path+"/submit", form)
	require.Equal(t, http.StatusConflict, rec.Code, "a decided item takes no second decision")

	path = b.claim(nil)
	rec = b.post(path+"/reject", url.Values{"reason": {"duplicate of M-1"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	rejected := s.itemAt(t, path)
	require.NotEqual(t, submitted.DocumentID, rejected.DocumentID)
	require.NoError(t, env.Client.GetWorkflow(s.ctx, rejected.WorkflowID, "").Get(s.ctx, &out))
	require.EqualValues(t, "rejected", out.Status)
	doc, err := env.Store.Document(s.ctx, rejected.DocumentID)
	require.NoError(t, err)
	require.EqualValues(t, "rejected", doc.Status)
}
