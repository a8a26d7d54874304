package faulttest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/store/storetest"
)

// Killing the worker with SIGKILL while LLM calls are in flight loses
// nothing: after a restart every document completes once, and the only
// model calls without an attempt row are those the killed workers made.
func TestKillWorkerMidLLMCall(t *testing.T) {
	t.Parallel()
	e := setup(t, models(t, 1500*time.Millisecond, 500*time.Millisecond, ""))
	e.startWorker()
	n := batchSize()
	items := e.batch(n)
	kills := 1
	if full() {
		kills = 3
	}
	// unrecorded are the model calls the killed workers made and never
	// recorded: those the kills interrupted, and those answered in the
	// moment between the answer and its attempt row.
	unrecorded := int64(0)
	for k := 1; k <= kills; k++ {
		e.waitFor(fmt.Sprintf("kill %d: LLM calls in flight", k), 10*time.Minute, func() bool {
			return e.settled(items) >= k*n/(kills+2) && e.sim.inFlight() > 0
		})
		e.killWorker()
		// The calls the dead worker sent end at the simulator; then every
		// call it made is counted there, and its attempt rows are final.
		e.waitFor(fmt.Sprintf("kill %d: the killed worker's calls to end", k), time.Minute, func() bool { return e.sim.inFlight() == 0 })
		at := e.count(items)
		unrecorded = at.SimCalls - int64(at.LLMAttempts)
		t.Logf("kill %d: %d model calls made, %d recorded", k, at.SimCalls, at.LLMAttempts)
		e.startWorker()
	}
	e.waitSettled(items)
	c := e.count(items)
	e.report(fmt.Sprintf("kill -9 worker x%d", kills), c)
	require.Zero(t, c.Lost, "lost")
	require.Zero(t, c.Duplicated, "duplicated")
	require.Equal(t, n, c.completed(), "every document completes")
	require.LessOrEqual(t, c.SimCalls-int64(c.LLMAttempts), unrecorded,
		"the only model calls without an attempt row are those of the killed workers")
}

// Stopping the Temporal server in the middle of a batch and starting it
// again on its persisted state loses nothing: every document completes.
func TestRestartTemporalServer(t *testing.T) {
	t.Parallel()
	e := setup(t, models(t, 500*time.Millisecond, 250*time.Millisecond, ""))
	e.startWorker()
	n := batchSize()
	items := e.batch(n)
	e.waitFor("a quarter of the batch to settle", 10*time.Minute, func() bool { return e.settled(items) >= n/4 })
	e.stopServer()
	t.Logf("server stopped with %d of %d documents settled", e.settled(items), n)
	time.Sleep(5 * time.Second) // the outage; nothing is asserted about its length
	e.restartServer(items[0].WorkflowID)
	e.waitSettled(items)
	c := e.count(items)
	e.report("temporal server restart", c)
	require.Zero(t, c.Lost, "lost")
	require.Zero(t, c.Duplicated, "duplicated")
	require.Equal(t, n, c.completed(), "every document completes")
}

// Postgres unreachable from the worker for a while in the middle of a batch
// (a proxy between them drops every connection; the system Postgres is
// never touched) is an outage of our own infrastructure, not a tier
// failure: activities retry until it returns, and every document completes
// as it would have without it — none goes to review for ConnectError.
func TestPostgresOutage(t *testing.T) {
	t.Parallel()
	e := setup(t, models(t, 500*time.Millisecond, 250*time.Millisecond, ""))
	pg, workerDB := storetest.NewProxy(t, e.dbURL)
	e.workerDB = workerDB
	e.startWorker()
	n := batchSize()
	items := e.batch(n)
	e.waitFor("a quarter of the batch to settle", 10*time.Minute, func() bool { return e.settled(items) >= n/4 })
	outage := 30 * time.Second
	if full() {
		outage = time.Minute
	}
	pg.Cut()
	time.Sleep(outage)
	pg.Restore()
	e.waitSettled(items)
	c := e.count(items)
	e.report(fmt.Sprintf("postgres unreachable %s", outage), c)
	require.Zero(t, c.Lost, "lost")
	require.Zero(t, c.Duplicated, "duplicated")
	require.Equal(t, n, c.completed(), "every document completes as without the outage; review reasons: %v", c.Reasons)
}

// From no LLM faults to half the calls failing (a mix of the simulator's
// faults), and with both models down, every document reaches exactly one
// terminal state: completed by some tier, or waiting in review.
func TestLLMFaultMix(t *testing.T) {
	t.Parallel()
	e := setup(t, models(t, 50*time.Millisecond, 25*time.Millisecond, ""))
	e.startWorker()
	mix := func(p float64) string {
		each := p / 5
		spec := fmt.Sprintf("rate_limit:%.3f+server_error:%.3f+unavailable:%.3f+malformed_json:%.3f+schema_violation:%.3f",
			each, each, each, each, each)
		return "gpt-4o=" + spec + ",gpt-4o-mini=" + spec
	}
	for _, sc := range []struct{ name, faults string }{
		{"LLM faults 0%", ""},
		{"LLM faults 25%", mix(0.25)},
		{"LLM faults 50%", mix(0.5)},
		{"both models down", "gpt-4o=unavailable,gpt-4o-mini=unavailable"},
	} {
		e.sim.set(models(t, 50*time.Millisecond, 25*time.Millisecond, sc.faults))
		items := e.batch(batchSize())
		e.waitSettled(items)
		c := e.count(items)
		e.report(sc.name, c)
		require.Zero(t, c.Lost, "%s: lost", sc.name)
		require.Zero(t, c.Duplicated, "%s: duplicated", sc.name)
		require.Equal(t, c.Submitted, c.completed()+c.Review+c.Rejected, "%s: one terminal state each", sc.name)
	}
}
