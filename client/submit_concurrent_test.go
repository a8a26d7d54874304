package client_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/worker/pipeline/pipelinetest"
)

// submitter submits to a fresh database and a real Temporal server whose
// worker processes what is started.
func submitter(t *testing.T) (context.Context, *client.Submitter) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	env := pipelinetest.Start(t)
	return ctx, &client.Submitter{Store: env.Store, Temporal: env.Client, TaskQueue: pipelinetest.TaskQueue}
}

// invoices writes one small invoice per name; names in same share one content.
func invoices(t *testing.T, names []string, same map[string]bool) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, name := range names {
		text := fmt.Sprintf("Invoice INV-%04d\nTotal %d.00 EUR\n", i, 10+i)
		if same[name] {
			text = "Invoice INV-SAME\nTotal 99.00 EUR\n"
		}
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		paths = append(paths, p)
	}
	return paths
}

func storedDocuments(t *testing.T, ctx context.Context, sub *client.Submitter) int {
	t.Helper()
	var n int
	require.NoError(t, sub.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM documents`).Scan(&n))
	return n
}

func TestSubmitManyFilesConcurrently(t *testing.T) {
	t.Parallel()
	ctx, sub := submitter(t)
	var names []string
	for i := range 40 {
		names = append(names, fmt.Sprintf("f%02d.txt", i))
	}
	same := map[string]bool{"f03.txt": true, "f17.txt": true, "f31.txt": true}
	paths := invoices(t, names, same)
	require.NoError(t, os.WriteFile(paths[20], nil, 0o644)) // refused on its own

	var progress []int
	items, err := sub.Submit(ctx, paths, client.Options{Concurrency: 6, Progress: func(done, total int) {
		if total != len(paths) {
			t.Errorf("progress total %d, want %d", total, len(paths))
		}
		progress = append(progress, done)
	}})
	require.NoError(t, err)
	for i, done := range progress {
		require.Equal(t, i+1, done, "one call at a time, counting up")
	}
	require.Len(t, progress, len(paths))
	require.Len(t, items, len(paths))
	ids := map[string]bool{}
	for i, it := range items {
		require.Equal(t, paths[i], it.Path, "items in the order of paths")
		if i == 20 {
			var ie *client.InputError
			require.ErrorAs(t, it.Err, &ie)
			require.Contains(t, it.Err.Error(), "empty file")
			require.False(t, it.Started)
			continue
		}
		require.NoError(t, it.Err, it.Name)
		require.True(t, it.Started, it.Name)
		ids[it.DocumentID] = true
	}
	require.Equal(t, items[3].DocumentID, items[17].DocumentID, "the same content is one document")
	require.Equal(t, items[3].DocumentID, items[31].DocumentID)
	require.Len(t, ids, len(paths)-1-2)
	require.Equal(t, len(ids), storedDocuments(t, ctx, sub), "each document stored once")
	require.NoError(t, sub.Wait(ctx, items, nil), "every accepted document is processed")
}

func TestSubmitStopsAtAStoreFailure(t *testing.T) {
	t.Parallel()
	ctx, sub := submitter(t)
	// Two at a time: a.txt and b.txt, then poison.txt, which cannot be
	// stored, and slow.txt. poison.txt fails only once slow.txt is being
	// stored, and slow.txt is stored only once the submission has stopped
	// (the third file done): it is in flight across the stop.
	_, err := sub.Store.Pool().Exec(ctx, `
		CREATE SEQUENCE stopped;
		CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			WHILE NOT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database
				WHERE l.locktype = 'advisory' AND l.objid = 7 AND d.datname = current_database())
			LOOP PERFORM pg_sleep(0.01); END LOOP;
			RAISE EXCEPTION 'disk full (test)';
		END $$;
		CREATE FUNCTION hold_slow() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			PERFORM pg_advisory_xact_lock(7);
			WHILE NOT (SELECT is_called FROM stopped) LOOP PERFORM pg_sleep(0.01); END LOOP;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_poison BEFORE INSERT ON documents
		FOR EACH ROW WHEN (NEW.name = 'poison.txt') EXECUTE FUNCTION refuse_poison();
		CREATE TRIGGER hold_slow BEFORE INSERT ON documents
		FOR EACH ROW WHEN (NEW.name = 'slow.txt') EXECUTE FUNCTION hold_slow();`)
	require.NoError(t, err)
	names := []string{"a.txt", "b.txt", "poison.txt", "slow.txt"}
	for i := range 6 {
		names = append(names, fmt.Sprintf("z%d.txt", i))
	}
	paths := invoices(t, names, nil)

	items, err := sub.Submit(ctx, paths, client.Options{Concurrency: 2, Progress: func(done, _ int) {
		if done == 3 {
			if _, err := sub.Store.Pool().Exec(ctx, `SELECT nextval('stopped')`); err != nil {
				t.Errorf("signal the stop: %v", err)
			}
		}
	}})
	require.ErrorContains(t, err, "disk full (test)")
	require.Len(t, items, len(paths))
	for i, it := range items {
		require.Equal(t, paths[i], it.Path)
		switch it.Name {
		case "a.txt", "b.txt", "slow.txt":
			require.NoError(t, it.Err, it.Name)
			require.True(t, it.Started, "%s: files before the failing one and in flight across the stop are accepted", it.Name)
		case "poison.txt":
			require.False(t, it.Started)
			require.ErrorContains(t, it.Err, "disk full (test)")
		default:
			require.False(t, it.Started, it.Name)
			require.ErrorIs(t, it.Err, client.ErrNotSubmitted, "no file is taken after the stop")
		}
	}
	require.Equal(t, 3, storedDocuments(t, ctx, sub), "what was not accepted is not stored")
	require.NoError(t, sub.Wait(ctx, []*client.Item{items[0], items[1], items[3]}, nil))
}
