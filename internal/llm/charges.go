package llm

import (
	"math"
	"sync"
)

// What charges remembers and how much room it keeps above what it learned.
const (
	chargeSamples    = 20  // answers remembered per model
	chargeMinSamples = 5   // answers before the estimate is trusted less than whole
	chargeMargin     = 1.1 // room kept above the highest ratio seen
)

// charges learns, per model, how the tokens a provider charges a request
// (the prompt tokens it reports) compare with our estimate of the request's
// messages, so that a request reserves in the shared rate limit about what
// it will be charged. Our whole estimate also counts the response schema,
// which providers may or may not charge: reserved in full while it is not
// charged, it would keep that much of the limit unused at every admission
// (about three quarters of it for an invoice in the simulator). It is safe
// for concurrent use.
type charges struct {
	mu     sync.Mutex
	ratios map[string][]float64 // by model: charged ÷ estimated messages, oldest first
}

// reserve returns the tokens to reserve for a request to model whose
// messages (page images included) we estimate at messages tokens and whose
// schema at schema tokens. Until the provider has answered chargeMinSamples
// requests, that is the whole estimate; then the messages times the
// highest ratio of the last chargeSamples answers (at least 1: our
// estimate counts every non-ASCII character a token, more than tokenizers
// do, so a ratio below 1 learned on one language would under-reserve
// another), plus chargeMargin, but never more than the whole estimate.
// The highest ratio holds for larger requests too when the provider
// charges a fixed part (the schema) besides the messages: the part weighs
// less the larger the messages.
func (c *charges) reserve(model string, messages, schema int) int {
	whole := messages + schema
	c.mu.Lock()
	ratios := c.ratios[model]
	if len(ratios) < chargeMinSamples {
		c.mu.Unlock()
		return whole
	}
	highest := 1.0
	for _, r := range ratios {
		highest = max(highest, r)
	}
	c.mu.Unlock()
	return min(whole, int(math.Ceil(float64(messages)*highest*chargeMargin-1e-9))) // 1e-9: no token for rounding
}

// learn records that the provider charged charged tokens for a request to
// model whose messages we estimated at messages tokens.
func (c *charges) learn(model string, messages, charged int) {
	if messages <= 0 || charged <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ratios == nil {
		c.ratios = map[string][]float64{}
	}
	r := append(c.ratios[model], float64(charged)/float64(messages))
	if len(r) > chargeSamples {
		r = r[len(r)-chargeSamples:]
	}
	c.ratios[model] = r
}
