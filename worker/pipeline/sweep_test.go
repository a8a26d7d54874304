package pipeline_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/samples"
	"github.com/dataforge/dataforge/worker/pipeline"
)

// A document stored by a submission that died before starting its workflow
// is started by the worker's sweep and completes.
func TestSweepStartsStoredDocuments(t *testing.T) {
	t.Parallel()
	b := setup(t)
	content, err := os.ReadFile(filepath.Join(samples.Dir(), "invoice-plain.txt"))
	require.NoError(t, err)
	sum := sha256.Sum256(content)
	id := hex.EncodeToString(sum[:])
	_, err = b.st.PutDocument(b.ctx, &store.Document{ID: id, Name: "orphan.txt", MediaType: "text/plain", Content: content})
	require.NoError(t, err)

	n, err := b.sub.Sweep(b.ctx, time.Hour)
	require.NoError(t, err)
	require.Zero(t, n, "a document within the grace period may still be started by its submitter")

	ctx, cancel := context.WithCancel(b.ctx)
	t.Cleanup(cancel)
	go pipeline.StartPending(ctx, b.sub, time.Hour, 0, slog.New(slog.DiscardHandler)) // the start-up pass
	items := []*client.Item{{DocumentID: id}}
	require.NoError(t, b.sub.Wait(b.ctx, items, nil))
	doc, err := b.st.Document(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, dftype.StatusCompleted, doc.Status, doc.Reason)
	_, err = b.st.Result(b.ctx, id)
	require.NoError(t, err)

	n, err = b.sub.Sweep(b.ctx, 0)
	require.NoError(t, err)
	require.Zero(t, n, "a settled document is left alone")

	// A reprocess that was requeued but never started runs again.
	requeued, err := b.st.Requeue(b.ctx, id)
	require.NoError(t, err)
	require.True(t, requeued)
	n, err = b.sub.Sweep(b.ctx, 0)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.NoError(t, b.sub.Wait(b.ctx, items, nil))
	doc, err = b.st.Document(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, dftype.StatusCompleted, doc.Status, doc.Reason)
	var results int
	require.NoError(t, b.st.Pool().QueryRow(b.ctx, `SELECT count(*) FROM results WHERE document_id = $1`, id).Scan(&results))
	require.Equal(t, 1, results)
}
