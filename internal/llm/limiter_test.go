package llm

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/dataforge/dataforge/internal/llmsim"
)

// windowLimiter is an in-memory sliding-window limiter with the store's
// RateLog semantics, counting what it admits.
type windowLimiter struct {
	mu   sync.Mutex
	tpm  int
	now  func() time.Time
	uses []struct {
		at     time.Time
		tokens int
	}
	waits int
}

func (l *windowLimiter) Take(_ context.Context, _ string, tokens int) (int64, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	used := 0
	kept := l.uses[:0]
	for _, u := range l.uses {
		if now.Sub(u.at) < time.Minute {
			kept = append(kept, u)
			used += u.tokens
		}
	}
	l.uses = kept
	if used+tokens > l.tpm {
		l.waits++
		return 0, time.Minute - now.Sub(l.uses[0].at), nil
	}
	l.uses = append(l.uses, struct {
		at     time.Time
		tokens int
	}{now, tokens})
	return int64(len(l.uses)), 0, nil
}

// Settle keeps the estimate: the test's limit must hold on estimates alone.
func (l *windowLimiter) Settle(context.Context, int64, int, int, int) error { return nil }

// TestLimiterKeepsRequestsInsideTPM: clients sharing a limiter with the
// simulator's TPM never get a 429; a wait too long for one attempt is a
// RateLimitWait error whose delay is the wait.
func TestLimiterKeepsRequestsInsideTPM(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	clock := time.Unix(1_000_000, 0)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	lim := &windowLimiter{tpm: 6000, now: now}
	b := setup(t, llmsim.Options{Models: map[string]llmsim.ModelConfig{"gpt-4o": {TPM: 6000}}, Now: now}, Config{Limiter: lim})
	other := New(b.cfg) // a second worker with the same shared limiter

	var admitted, limited int
	for i := range 12 {
		c := b.client
		if i%2 == 1 {
			c = other
		}
		_, err := c.Do(context.Background(), invoiceRequest())
		if err != nil {
			require.Equal(t, ErrTypeRateLimitWait, ErrorClass(err))
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			require.Greater(t, appErr.NextRetryDelay(), MaxLimiterWait, "the wait is the retry delay")
			limited++
			continue
		}
		admitted++
	}
	require.Zero(t, b.sim.Stats()["gpt-4o"].RateLimited, "the provider never refused a request")
	require.Positive(t, admitted)
	require.Positive(t, limited, "12 requests do not fit 6000 tokens a minute")
	require.Equal(t, admitted, b.sim.Stats()["gpt-4o"].Requests)

	mu.Lock()
	clock = clock.Add(time.Minute)
	mu.Unlock()
	_, err := other.Do(context.Background(), invoiceRequest())
	require.NoError(t, err, "a minute later there is room again")
	require.Zero(t, b.sim.Stats()["gpt-4o"].RateLimited)
}

// onceFull asks the first request to wait, then admits everything; it
// keeps what the last Settle said.
type onceFull struct {
	wait                       time.Duration
	asked                      bool
	settled, reqsLeft, tokLeft int
}

func (l *onceFull) Take(context.Context, string, int) (int64, time.Duration, error) {
	if !l.asked {
		l.asked = true
		return 0, l.wait, nil
	}
	return 1, 0, nil
}

func (l *onceFull) Settle(_ context.Context, _ int64, tokens, requestsLeft, tokensLeft int) error {
	l.settled, l.reqsLeft, l.tokLeft = tokens, requestsLeft, tokensLeft
	return nil
}

// TestResponseSaysHowLongItWaited: a request the limiter asked to wait
// reports the wait in Response.Waited (the rate-limit wait metric); the
// limiter is settled with the prompt tokens the provider charged and what
// its headers say is left.
func TestResponseSaysHowLongItWaited(t *testing.T) {
	t.Parallel()
	lim := &onceFull{wait: 50 * time.Millisecond}
	b := setup(t, llmsim.Options{Models: map[string]llmsim.ModelConfig{"gpt-4o": {RPM: 100, TPM: 100_000}}}, Config{Limiter: lim})
	resp, err := b.client.Do(context.Background(), invoiceRequest())
	require.NoError(t, err)
	require.GreaterOrEqual(t, resp.Waited, 50*time.Millisecond)
	require.LessOrEqual(t, resp.Waited, resp.Latency)
	require.Equal(t, resp.Usage.PromptTokens, lim.settled, "what the provider charged: the prompt (no max_completion_tokens sent)")
	require.Equal(t, 99, lim.reqsLeft)
	require.Equal(t, 100_000-resp.Usage.PromptTokens, lim.tokLeft)

	none := setup(t, llmsim.Options{}, Config{})
	resp, err = none.client.Do(context.Background(), invoiceRequest())
	require.NoError(t, err)
	require.Zero(t, resp.Waited, "no limiter, no wait")
}
