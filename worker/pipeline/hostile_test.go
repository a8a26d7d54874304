package pipeline_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/parsers/hostile"
	"github.com/dataforge/dataforge/parsers/sandbox"
	"github.com/dataforge/dataforge/samples"
	"github.com/dataforge/dataforge/workflows"
)

func TestMain(m *testing.M) {
	sandbox.Main()
	os.Exit(m.Run())
}

// TestHostileDocumentsSettleOnce: documents that once killed the worker
// (an xref subsection at object 2e9: 64 GB) or blew its memory up (millions
// of one-letter words) go to review with their parse reason, after one
// attempt of Parse each, and the worker goes on to process a normal
// document.
func TestHostileDocumentsSettleOnce(t *testing.T) {
	t.Parallel()
	sb, err := sandbox.New(sandbox.Options{Memory: 192 << 20, Procs: 2})
	require.NoError(t, err)
	b := setup(t, func(a *activities.Activities) { a.Parser = sb.Parse })
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	absurd := write("absurd-xref.pdf", hostile.XrefTableStart(2_000_000_000))
	bomb := write("words.pdf", hostile.BombShows(70<<20)) // under the decompression budget; needs GBs to lay out
	items := b.submitAndWait(t, []string{absurd, bomb}, client.Options{})
	for i, want := range []string{"parse: corrupt", "parse: too_large"} {
		it := items[i]
		require.NoError(t, it.Err, it.Name)
		doc, err := b.st.Document(b.ctx, it.DocumentID)
		require.NoError(t, err)
		require.Equal(t, dftype.StatusReview, doc.Status, it.Name)
		require.Equal(t, want, doc.Reason, it.Name)
		require.Equal(t, 1, parseAttempts(t, b, it.DocumentID), "%s: Parse is not retried", it.Name)
	}

	normal := b.submitAndWait(t, []string{filepath.Join(samples.Dir(), "invoice-classic.pdf")}, client.Options{})
	doc, err := b.st.Document(b.ctx, normal[0].DocumentID)
	require.NoError(t, err)
	require.Equal(t, dftype.StatusCompleted, doc.Status, doc.Reason)
}

// parseAttempts counts the starts of the Parse activity in a document's
// workflow history.
func parseAttempts(t *testing.T, b *testBundle, id string) int {
	t.Helper()
	iter := b.client.GetWorkflowHistory(b.ctx, workflows.WorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	scheduled := map[int64]bool{}
	attempts := 0
	for iter.HasNext() {
		e, err := iter.Next()
		require.NoError(t, err)
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			scheduled[e.GetEventId()] = e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() == "Parse"
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			if a := e.GetActivityTaskStartedEventAttributes(); scheduled[a.GetScheduledEventId()] {
				attempts += int(a.GetAttempt())
			}
		}
	}
	return attempts
}
