package llm

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/llmsim"
)

// TestChargesReserveWhatTheProviderCharges: after enough answers a
// request reserves its messages times the highest charged ratio seen, with
// a margin, never more than the whole estimate; before, the whole.
func TestChargesReserveWhatTheProviderCharges(t *testing.T) {
	t.Parallel()
	var c charges
	for range chargeMinSamples - 1 {
		c.learn("m", 200, 200)
	}
	require.Equal(t, 850, c.reserve("m", 200, 650), "too few answers: the whole estimate")
	c.learn("m", 200, 190)
	require.Equal(t, 220, c.reserve("m", 200, 650), "the messages only, as the provider charges, plus 10 %")
	require.Equal(t, 1100, c.reserve("m", 1000, 650), "the same ratio for a larger document")
	require.Equal(t, 850, c.reserve("other", 200, 650), "each model learns its own")

	// A provider that also charges the schema: the ratio covers it, and
	// the whole estimate caps the reservation.
	var s charges
	for range chargeMinSamples {
		s.learn("m", 200, 850)
	}
	require.Equal(t, 850, s.reserve("m", 200, 650))
	require.Equal(t, 1650, s.reserve("m", 1000, 650))
	require.Equal(t, 702, s.reserve("m", 150, 650), "a smaller document, by the ratio")

	// Only the last chargeSamples answers count.
	for range chargeSamples {
		s.learn("m", 200, 200)
	}
	require.Equal(t, 220, s.reserve("m", 200, 650), "the old ratios are forgotten")
	for range chargeSamples {
		s.learn("m", 200, 100)
	}
	require.Equal(t, 220, s.reserve("m", 200, 650), "never less than the messages' estimate, plus 10 %")
	s.learn("m", 0, 100)
	s.learn("m", 100, 0)
	require.Equal(t, 220, s.reserve("m", 200, 650), "answers without an estimate or usage teach nothing")
}

// takes records what each request reserved, and admits everything.
type takes struct {
	mu       sync.Mutex
	reserved []int
}

func (l *takes) Take(_ context.Context, _ string, tokens int) (int64, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reserved = append(l.reserved, tokens)
	return int64(len(l.reserved)), 0, nil
}

func (l *takes) Settle(context.Context, int64, int, int, int) error { return nil }

// TestRequestsReserveWhatTheProviderCharges: the first requests reserve the
// whole estimate, schema included; once the provider has answered a few,
// they reserve about what it charges (the simulator, like OpenAI's usage,
// counts the messages) and never less.
func TestRequestsReserveWhatTheProviderCharges(t *testing.T) {
	t.Parallel()
	lim := &takes{}
	b := setup(t, llmsim.Options{Models: map[string]llmsim.ModelConfig{"gpt-4o": {TPM: 1_000_000}}}, Config{Limiter: lim})
	var charged []int
	for range chargeMinSamples + 2 {
		resp, err := b.client.Do(context.Background(), invoiceRequest())
		require.NoError(t, err)
		charged = append(charged, resp.Usage.PromptTokens)
	}
	require.Len(t, lim.reserved, len(charged))
	for i, r := range lim.reserved {
		if i < chargeMinSamples {
			require.Greater(t, r, 2*charged[i], "request %d: the whole estimate, with the schema", i)
			continue
		}
		require.GreaterOrEqual(t, r, charged[i], "request %d: never less than the provider charges", i)
		require.LessOrEqual(t, r, charged[i]*11/10+1, "request %d: about what it charges", i)
	}
}
