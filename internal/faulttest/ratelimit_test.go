package faulttest

import (
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRateLimitsAcrossWorkers: two worker processes share the primary
// model's tokens-per-minute limit through Postgres. The simulator enforces
// the same limit (a sliding minute, as providers count) and never has to
// refuse a request: zero 429s, every document completed by the primary.
// The figure printed is the busiest minute's tokens against the limit.
func TestRateLimitsAcrossWorkers(t *testing.T) {
	t.Parallel()
	const tpm = 6_000
	m := models(t, 50*time.Millisecond, 25*time.Millisecond, "")
	primary := m["gpt-4o"]
	primary.TPM = tpm
	m["gpt-4o"] = primary
	e := setup(t, m)
	// Every document on the primary (no capability routing to the smaller
	// model), whose limit the workers know.
	e.workerVars = []string{"DATAFORGE_RATE_LIMITS=gpt-4o=0/6000,gpt-4o-mini=0/0", "DATAFORGE_ROUTING=fixed"}
	ws := &workers{e: e, live: map[string]*exec.Cmd{}, byPID: map[string]string{}}
	t.Cleanup(ws.stopAll)
	ws.start()
	ws.start()
	ws.waitPolling()

	n := 24
	if full() {
		n = 120
	}
	start := time.Now()
	items := e.batch(n)
	e.waitSettled(items)
	elapsed := time.Since(start)
	c := e.count(items)
	e.report("rate limits: 2 workers, gpt-4o at 6k TPM", c)
	require.Zero(t, c.Lost, "lost")
	require.Zero(t, c.Duplicated, "duplicated")
	stats := e.sim.handler.Load().Stats()["gpt-4o"]
	require.Zero(t, stats.RateLimited, "the provider refused none of the workers' requests")
	require.Equal(t, n, c.completed(), "every document completes")
	require.Equal(t, n, c.ByTier["primary"], "on the primary model")

	// The busiest minute, which the limit bounds (the average over a short
	// run exceeds it, as the first minute starts empty).
	busiest, err := e.st.BusiestMinute(e.ctx, "gpt-4o")
	require.NoError(t, err)
	t.Logf("\n%d documents in %.1f s on 2 workers: %d requests, 0 refused; busiest minute %d prompt tokens against a %d TPM limit (%.2f of it)",
		n, elapsed.Seconds(), stats.Requests, busiest, tpm, float64(busiest)/tpm)
}
