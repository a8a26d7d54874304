package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/store"
)

func TestRateLogWindow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	log := b.st.RateLog(map[string]store.RateLimit{"m": {RPM: 3, TPM: 100}})
	take := func(model string, tokens int) time.Duration {
		_, wait, err := log.Take(b.ctx, model, tokens)
		require.NoError(t, err)
		return wait
	}
	require.Zero(t, take("m", 40))
	require.Zero(t, take("m", 40))
	wait := take("m", 40)
	require.Greater(t, wait, 50*time.Second, "120 tokens do not fit in 100 until the first use expires")
	require.LessOrEqual(t, wait, store.RateWindow)
	require.Zero(t, take("m", 20), "20 more fit")
	require.Greater(t, take("m", 1), time.Duration(0), "a fourth request in the minute does not fit RPM 3")
	require.Zero(t, take("other", 1_000_000), "models without a limit are not limited")

	// A request larger than TPM waits for an empty window, then goes alone.
	big := b.st.RateLog(map[string]store.RateLimit{"big": {TPM: 100}})
	id, w, err := big.Take(b.ctx, "big", 500)
	require.NoError(t, err)
	require.Zero(t, w, "an empty window takes it")
	_, w, err = big.Take(b.ctx, "big", 1)
	require.NoError(t, err)
	require.Greater(t, w, time.Duration(0))
	require.NoError(t, big.Settle(b.ctx, id, 60, -1, -1), "the provider reported 60 tokens used")
	_, w, err = big.Take(b.ctx, "big", 40)
	require.NoError(t, err)
	require.Zero(t, w, "settled to what was used, the minute has room again")
}

// TestRateLogCountsFromTheAnswer: a settled request counts in the log from
// when the provider answered, never from the earlier Take, so it cannot
// leave the log's minute before it leaves the provider's.
func TestRateLogCountsFromTheAnswer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	log := b.st.RateLog(map[string]store.RateLimit{"m": {TPM: 100}})
	id, wait, err := log.Take(b.ctx, "m", 100)
	require.NoError(t, err)
	require.Zero(t, wait)
	time.Sleep(3 * time.Second) // the request on its way and answered
	_, before, err := log.Take(b.ctx, "m", 1)
	require.NoError(t, err)
	require.Greater(t, before, time.Duration(0), "the minute is full")
	require.NoError(t, log.Settle(b.ctx, id, 100, -1, -1))
	_, after, err := log.Take(b.ctx, "m", 1)
	require.NoError(t, err)
	require.Greater(t, after, before+2*time.Second, "the use restarted its minute when the answer came")
	require.LessOrEqual(t, after, store.RateWindow)
}

// TestRateLogCountsWhatTheProviderCounts: where the provider's headers say
// less is left of its minute than the log has, the log counts the
// difference; where they say more, it keeps its own count.
func TestRateLogCountsWhatTheProviderCounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	log := b.st.RateLog(map[string]store.RateLimit{"m": {RPM: 10, TPM: 100}})
	take := func(tokens int) (int64, time.Duration) {
		id, wait, err := log.Take(b.ctx, "m", tokens)
		require.NoError(t, err)
		return id, wait
	}
	id, _ := take(10)
	require.NoError(t, log.Settle(b.ctx, id, 10, 9, 90), "the provider agrees: nothing unseen")
	id, _ = take(10)
	require.NoError(t, log.Settle(b.ctx, id, 10, 8, 30), "the provider has 50 tokens fewer left than the log")
	_, wait := take(31)
	require.Positive(t, wait, "70 tokens used of 100 (20 ours, 50 unseen), 31 more do not fit")
	id, wait = take(30)
	require.Zero(t, wait, "30 more fit")
	require.NoError(t, log.Settle(b.ctx, id, 30, 9, -1), "headers that show more room than the log change nothing")
	require.NoError(t, log.Settle(b.ctx, id, 30, 2, -1), "the provider has 5 requests fewer left than the log (7)")
	_, wait = take(0)
	require.Zero(t, wait, "3 requests of ours and 5 unseen of 10: a ninth fits")
	_, wait = take(0)
	require.Zero(t, wait, "a tenth")
	_, wait = take(0)
	require.Positive(t, wait, "the eleventh does not")
}

// TestRateLogSharedByWorkers: many takers at once (as workers are) never
// overrun the limit together.
func TestRateLogSharedByWorkers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	limits := map[string]store.RateLimit{"m": {TPM: 50}}
	logs := []*store.RateLog{b.st.RateLog(limits), b.st.RateLog(limits)} // two workers
	var mu sync.Mutex
	admitted := 0
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, wait, err := logs[i%2].Take(b.ctx, "m", 10)
			require.NoError(t, err)
			if wait == 0 {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 5, admitted, "50 tokens a minute admit five requests of 10")
}

// TestRateLogComparesTheProvidersMinuteWhenTheRequestArrived: the headers
// describe the provider's minute when the request arrived. A request of
// ours answered more than a minute ago has left the log, but the provider
// still counted it then: that is not usage the log missed.
func TestRateLogComparesTheProvidersMinuteWhenTheRequestArrived(t *testing.T) {
	t.Parallel()
	b := setup(t)
	log := b.st.RateLog(map[string]store.RateLimit{"m": {TPM: 100}})
	first, wait, err := log.Take(b.ctx, "m", 40)
	require.NoError(t, err)
	require.Zero(t, wait)
	require.NoError(t, log.Settle(b.ctx, first, 40, -1, -1))
	second, wait, err := log.Take(b.ctx, "m", 40)
	require.NoError(t, err)
	require.Zero(t, wait)
	// The first was answered 61 s ago; the second was taken 59 s ago, when
	// the provider's minute still held the first.
	_, err = b.st.Pool().Exec(b.ctx, `UPDATE rate_log SET at = clock_timestamp() - CASE id WHEN $1 THEN interval '61 s' ELSE interval '59 s' END
		WHERE id IN ($1, $2)`, first, second)
	require.NoError(t, err)
	require.NoError(t, log.Settle(b.ctx, second, 40, -1, 20), "the provider counted both of ours: 20 left")
	_, wait, err = log.Take(b.ctx, "m", 60)
	require.NoError(t, err)
	require.Zero(t, wait, "nothing unseen was logged: 40 of 100 used, 60 more fit")
}
