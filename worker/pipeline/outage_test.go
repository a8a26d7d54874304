package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/internal/store/storetest"
	"github.com/dataforge/dataforge/samples"
)

// outage is how long the worker's Postgres is cut off in
// TestPostgresOutageCostsNoReview.
const outage = 20 * time.Second

// TestPostgresOutageCostsNoReview: the worker reaches Postgres through a TCP
// proxy that is cut (connections closed, new ones refused) for 20 s while a
// batch is processed, then restored. Every document ends as it does in the
// same batch without the outage: completed, on the same tier; none in
// review.
func TestPostgresOutageCostsNoReview(t *testing.T) {
	t.Parallel()
	var paths []string
	expected, err := samples.Load()
	require.NoError(t, err)
	for _, e := range expected {
		if e.Outcome == samples.OutcomeRules && !e.OCR { // documents that complete without the outage
			paths = append(paths, filepath.Join(samples.Dir(), e.File))
		}
	}
	labelled, err := filepath.Glob(filepath.Join(samples.LabelledDir(), "*.pdf"))
	require.NoError(t, err)
	paths = append(paths, labelled[:min(20, len(labelled))]...)

	baseline := setup(t, withSimulator(t, llmsim.FastModels()))
	want := outcomes(t, baseline, baseline.submitAndWait(t, paths, client.Options{}))

	var proxy *storetest.Proxy
	b := setup(t, withSimulator(t, llmsim.FastModels()), func(a *activities.Activities) { proxy = behindProxy(t, a) })
	items, err := b.sub.Submit(b.ctx, paths, client.Options{})
	require.NoError(t, err)
	cutConns := proxy.Cut()
	docs, err := b.st.Documents(b.ctx, ids(items))
	require.NoError(t, err)
	settledAtCut := 0
	for _, d := range docs {
		if client.Settled(d.Status) {
			settledAtCut++
		}
	}
	time.Sleep(outage)
	proxy.Restore()
	require.NoError(t, b.sub.Wait(b.ctx, items, nil))

	got := outcomes(t, b, items)
	require.Equal(t, want, got, "documents end as they do without the outage")
	counts := map[string]int{}
	for _, o := range got {
		counts[o]++
	}
	var inReview int
	require.NoError(t, b.st.Pool().QueryRow(b.ctx, `SELECT count(*) FROM documents WHERE status <> 'completed'`).Scan(&inReview))
	require.Zero(t, inReview, "every document completed; none in review: %v", counts)
	var reasons []string
	require.NoError(t, b.st.Pool().QueryRow(b.ctx,
		`SELECT coalesce(array_agg(reason), '{}') FROM documents WHERE reason ILIKE '%infrastructure%' OR reason ILIKE '%connect%'`).
		Scan(&reasons))
	require.Empty(t, reasons, "no document names the outage as a reason")
	var results int
	require.NoError(t, b.st.Pool().QueryRow(b.ctx, `SELECT count(*) FROM results`).Scan(&results))
	require.Positive(t, proxy.Refused.Load(), "the outage was felt: connections were refused")
	fmt.Printf("postgres outage of %s: %d submitted, %d settled before the cut, %d connections cut, %d refused; outcomes %v; %d result rows\n",
		outage, len(items), settledAtCut, cutConns, proxy.Refused.Load(), counts, results)
}

// behindProxy makes the activities reach Postgres through a proxy the test
// controls.
func behindProxy(t *testing.T, a *activities.Activities) *storetest.Proxy {
	proxy, proxied := storetest.NewProxy(t, a.Store.Pool().Config().ConnString())
	st, err := store.Open(context.Background(), proxied)
	require.NoError(t, err)
	t.Cleanup(st.Close)
	a.Store = st
	return proxy
}

func ids(items []*client.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.DocumentID)
	}
	return out
}

// outcomes maps each document's name to "status tier" (the tier for
// completed documents, the reason codes for those in review).
func outcomes(t *testing.T, b *testBundle, items []*client.Item) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, it := range items {
		require.NoError(t, it.Err)
		d, err := b.st.Document(b.ctx, it.DocumentID)
		require.NoError(t, err)
		o := string(d.Status)
		switch d.Status {
		case dftype.StatusCompleted:
			r, err := b.st.Result(b.ctx, it.DocumentID)
			require.NoError(t, err)
			o += " " + r.Tier
		case dftype.StatusReview:
			o += " " + d.Reason
		}
		out[it.Name] = o
	}
	return out
}
