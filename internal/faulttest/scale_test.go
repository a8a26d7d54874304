package faulttest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/internal/store/storetest"
)

// The Temporal server on Postgres persistence, as on a cluster, with three
// worker processes on one task queue: one is killed with SIGKILL mid-batch
// and another started. Every document settles once, nothing is lost or
// doubled, and each live worker takes part of the work. Then the batch is
// timed with 1, 2 and 3 workers and the documents per second printed (not
// asserted).
func TestScaleOut(t *testing.T) {
	t.Parallel()
	e := setup(t, models(t, 500*time.Millisecond, 250*time.Millisecond, ""), serverPostgresVar+"="+temporalDatabase(t))
	// The frontend answers before the server process has registered the
	// namespace; the workers add their search attributes to it at start.
	e.waitFor("the namespace", 5*time.Minute, func() bool {
		_, err := e.client.OperatorService().ListSearchAttributes(e.ctx,
			&operatorservice.ListSearchAttributesRequest{Namespace: "default"})
		return err == nil
	})
	ws := &workers{e: e, live: map[string]*exec.Cmd{}, byPID: map[string]string{}}
	t.Cleanup(ws.stopAll)
	for range 3 {
		ws.start()
	}
	ws.waitPolling()

	n := 30
	if full() {
		n = 300
	}
	first := e.batch(n / 2)
	callsBefore := e.callsBefore
	e.waitFor("a third of the first half to settle", 10*time.Minute, func() bool { return e.settled(first) >= n/6 })
	ws.kill("worker-1")
	t.Logf("worker-1 killed with %d of %d documents settled", e.settled(first), n/2)
	ws.start()
	ws.waitPolling()
	items := append(first, e.batch(n-n/2)...)
	e.callsBefore = callsBefore
	e.waitSettled(items)
	c := e.count(items)
	e.report("scale-out: 3 workers, kill -9 one, start one", c)
	require.Zero(t, c.Lost, "lost")
	require.Zero(t, c.Duplicated, "duplicated")
	require.Equal(t, n, c.completed(), "every document completes")

	took, parsed, tasks := ws.shares(items)
	var rows []string
	for _, label := range ws.labels {
		state := "live"
		if ws.live[label] == nil {
			state = "killed"
		}
		rows = append(rows, fmt.Sprintf("%-9s %-7s %9d %7d %12.1f%% %15d", label, state, took[label],
			parsed[label], 100*float64(parsed[label])/float64(n), tasks[label]))
	}
	t.Logf("\n%-9s %-7s %9s %7s %13s %15s\n%s", "WORKER", "STATE", "DOCUMENTS", "PARSED", "PARSED SHARE", "ACTIVITY TASKS", strings.Join(rows, "\n"))
	for label := range ws.live {
		require.Positive(t, took[label], "%s ran none of the batch's activities", label)
	}

	// Throughput: the same batch size with 1, 2 and 3 workers.
	m := 10
	if full() {
		m = 150
	}
	ws.stopAll()
	var figures []string
	for k := 1; k <= 3; k++ {
		for range k {
			ws.start()
		}
		ws.waitPolling()
		start := time.Now()
		items := e.batch(m)
		e.waitSettled(items)
		elapsed := time.Since(start)
		c := e.count(items)
		require.Zero(t, c.Lost, "%d workers: lost", k)
		require.Zero(t, c.Duplicated, "%d workers: duplicated", k)
		figures = append(figures, fmt.Sprintf("%7d %9d %8.1fs %13.2f", k, m, elapsed.Seconds(), float64(m)/elapsed.Seconds()))
		ws.stopAll()
	}
	t.Logf("\nthroughput on this machine (LLM simulator 500ms ± 250ms)\n%7s %9s %9s %13s\n%s",
		"WORKERS", "DOCUMENTS", "TIME", "DOCUMENTS/S", strings.Join(figures, "\n"))
}

// temporalDatabase returns the URL of a fresh database for the Temporal
// server on the test Postgres; it and its visibility twin are dropped when
// the test ends (after the server stops: cleanups run last first).
func temporalDatabase(t *testing.T) string {
	base := os.Getenv("DATAFORGE_TEST_DATABASE_URL")
	if base == "" {
		base = storetest.DefaultURL
	}
	name := fmt.Sprintf("dataforge_faulttest_temporal_%d", time.Now().UnixNano())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		for _, db := range []string{name, name + "_visibility"} {
			if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
				t.Logf("drop %s: %v", db, err)
			}
		}
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

// workers are the worker processes of a scale-out test, named worker-1,
// worker-2… in the order they started.
type workers struct {
	e      *env
	labels []string
	live   map[string]*exec.Cmd
	// byPID names a worker by its process id, with which the SDK's default
	// identity ("pid@host@queue") begins.
	byPID map[string]string
}

func (w *workers) start() {
	label := fmt.Sprintf("worker-%d", len(w.labels)+1)
	cmd := w.e.spawnWorker(label + ".log")
	w.labels = append(w.labels, label)
	w.live[label] = cmd
	w.byPID[strconv.Itoa(cmd.Process.Pid)] = label
}

// kill kills a worker with SIGKILL.
func (w *workers) kill(label string) {
	stop(w.live[label], syscall.SIGKILL)
	delete(w.live, label)
}

// stopAll stops the live workers with SIGTERM.
func (w *workers) stopAll() {
	for label, cmd := range w.live {
		stop(cmd, syscall.SIGTERM)
		delete(w.live, label)
	}
}

func (w *workers) label(identity string) string {
	if label, ok := w.byPID[strings.SplitN(identity, "@", 2)[0]]; ok {
		return label
	}
	return identity
}

// waitPolling waits until every live worker polls the activity task queue.
func (w *workers) waitPolling() {
	w.e.t.Helper()
	w.e.waitFor("every live worker to poll", 5*time.Minute, func() bool {
		resp, err := w.e.client.DescribeTaskQueue(w.e.ctx, taskQueue, enumspb.TASK_QUEUE_TYPE_ACTIVITY)
		if err != nil {
			return false
		}
		polling := map[string]bool{}
		for _, p := range resp.GetPollers() {
			polling[w.label(p.GetIdentity())] = true
		}
		for label := range w.live {
			if !polling[label] {
				return false
			}
		}
		return true
	})
}

// shares reads the items' workflow histories and counts, per worker, the
// documents it ran at least one activity of, the documents it parsed and
// the activity tasks it ran (the identity on each ActivityTaskStarted event,
// written when the last attempt ends, names the worker that ran it).
func (w *workers) shares(items []*client.Item) (took, parsed, tasks map[string]int) {
	w.e.t.Helper()
	took, parsed, tasks = map[string]int{}, map[string]int{}, map[string]int{}
	for _, it := range items {
		activity := map[int64]string{}
		ran := map[string]bool{}
		iter := w.e.client.GetWorkflowHistory(w.e.ctx, it.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			require.NoError(w.e.t, err)
			if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
				activity[ev.GetEventId()] = a.GetActivityType().GetName()
			}
			if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
				label := w.label(a.GetIdentity())
				tasks[label]++
				ran[label] = true
				if activity[a.GetScheduledEventId()] == "Parse" {
					parsed[label]++
				}
			}
		}
		for label := range ran {
			took[label]++
		}
	}
	return took, parsed, tasks
}
