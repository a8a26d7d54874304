package llm

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/internal/store/storetest"
)

// TestLimiterCountsWhatOnlyTheProviderSaw: another client on the same key
// uses most of the provider's minute behind the workers' backs (without
// the headers, the log would send all 12 requests and the provider refuse
// most of them). The first
// answer's x-ratelimit-remaining-tokens tells the shared rate log, which
// from then on keeps the workers inside what the provider has left: they
// wait (RateLimitWait) instead of being refused.
func TestLimiterCountsWhatOnlyTheProviderSaw(t *testing.T) {
	t.Parallel()
	const tpm = 6000
	st, _ := storetest.New(t)
	limits := map[string]store.RateLimit{"gpt-4o": {TPM: tpm}}
	b := setup(t, llmsim.Options{Models: map[string]llmsim.ModelConfig{"gpt-4o": {TPM: tpm}}},
		Config{Limiter: st.RateLog(limits)})
	ctx := context.Background()

	outside := New(Config{BaseURL: b.cfg.BaseURL, APIKey: b.cfg.APIKey}) // no limiter
	big := invoiceRequest()
	big.Text = strings.Repeat(invoiceText+"\n", 180) // about 5,000 of the 6,000 tokens
	_, err := outside.Do(ctx, big)
	require.NoError(t, err)
	seen := b.sim.Stats()["gpt-4o"]
	require.Equal(t, 1, seen.Requests)

	sent, waited := 0, 0
	for range 12 {
		_, err := b.client.Do(ctx, invoiceRequest())
		if err != nil {
			require.Equal(t, ErrTypeRateLimitWait, ErrorClass(err), "%v", err)
			waited++
			continue
		}
		sent++
	}
	stats := b.sim.Stats()["gpt-4o"]
	require.Zero(t, stats.RateLimited, "the provider refused none of the workers' requests")
	require.Positive(t, sent)
	require.Positive(t, waited, "the outside client's tokens leave too little room for 12 requests")

	// The same requests without the outside client's usage: more of them fit,
	// so the limit that held above was the provider's headroom, not ours.
	fresh, _ := storetest.New(t)
	c := setup(t, llmsim.Options{Models: map[string]llmsim.ModelConfig{"gpt-4o": {TPM: tpm}}},
		Config{Limiter: fresh.RateLog(limits)})
	alone := 0
	for range 12 {
		if _, err := c.client.Do(ctx, invoiceRequest()); err == nil {
			alone++
		}
	}
	require.Zero(t, c.sim.Stats()["gpt-4o"].RateLimited)
	require.Greater(t, alone, sent)
}
