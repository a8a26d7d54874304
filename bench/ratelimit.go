package main

import (
	"context"
	"fmt"
	"time"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/llmsim"
)

// rateTPM is the primary's tokens per minute in the simulator.
const rateTPM = 6_000

// rateConfig is how the workers hold to the provider's limit.
type rateConfig struct {
	name   string
	limits string // DATAFORGE_RATE_LIMITS
}

var rateConfigs = []rateConfig{
	{"ours: the workers share the limit through Postgres", fmt.Sprintf("gpt-4o=0/%d,gpt-4o-mini=0/0", rateTPM)},
	{"naive: send, retry on 429 after Retry-After", "none"},
}

// rateRow is one configuration's figures with some worker processes.
type rateRow struct {
	config    string
	workers   int
	docs      int
	tokens    int64 // the primary's prompt and completion tokens in the window
	prompt    int64 // of which prompt tokens: what the provider charged
	window    time.Duration
	refused   int            // the simulator's 429s
	outcomes  map[string]int // completed documents by tier, other settled ones by status
	unsettled int
}

// benchRateLimit measures how much of the primary's tokens-per-minute limit
// the worker processes use, holding to it together or retrying on 429,
// with 1 and 3 workers. n documents are submitted over spread, well above
// the limit; the window measured is the part of spread after its first
// minute (its first half when shorter), when the provider's minute is full.
func benchRateLimit(ctx context.Context, l *lab, w *workload, n int, spread time.Duration, rep *report) error {
	warm := min(time.Minute, spread/2)
	rep.section("5. Rate limits across workers",
		fmt.Sprintf("The simulator limits gpt-4o to %d tokens per minute (a sliding minute, as providers count; gpt-4o-mini is "+
			"not limited). %d labelled documents are submitted over %s to worker processes built from this repository "+
			"(DATAFORGE_ROUTING=fixed: every document starts on gpt-4o, then gpt-4o-mini, then the rules, then review), once "+
			"per configuration and number of workers, each run on a fresh database. Ours: DATAFORGE_RATE_LIMITS=%s, every "+
			"request takes room in the shared rate log in Postgres first. Naive: DATAFORGE_RATE_LIMITS=none, the workers send "+
			"and retry 429s (after Retry-After, three attempts, then the next tier). Tokens per minute are the usage the "+
			"simulator reported for gpt-4o's replies that ended between %s after the first submission and the last submission, "+
			"when demand is above the limit and the provider's minute is full.",
			rateTPM, n, spread, rateConfigs[0].limits, warm))
	var out [][]string
	for _, workers := range []int{1, 3} {
		for _, cfg := range rateConfigs {
			l.progress("ratelimit: %d worker(s), %s", workers, cfg.name)
			x, err := runRateLimit(ctx, l, w, cfg, workers, n, spread, warm)
			if err != nil {
				return fmt.Errorf("%s, %d worker(s): %w", cfg.name, workers, err)
			}
			byPrimary := x.outcomes["primary"]
			delete(x.outcomes, "primary")
			perMin := func(t int64) string {
				v := float64(t) / x.window.Minutes()
				return fmt.Sprintf("%.0f (%.2f)", v, v/rateTPM)
			}
			out = append(out, []string{fmt.Sprint(workers), x.config, perMin(x.prompt), perMin(x.tokens), fmt.Sprint(x.refused),
				pct(byPrimary, x.docs), fmt.Sprintf("%d (%s)", x.docs-byPrimary-x.unsettled, tiers(x.outcomes)), fmt.Sprint(x.unsettled)})
		}
	}
	rep.table([]string{"workers", "configuration", "gpt-4o tokens/min as the provider charges them (share of TPM)",
		"prompt + completion tokens/min (share)", "refused by the provider (429)", "completed by gpt-4o", "fell through", "not settled"}, out)
	rep.note("The simulator, as OpenAI, charges a request against its TPM its prompt plus its max_completion_tokens, which " +
		"our client does not send: the prompt. Our limiter counts the same (ARCHITECTURE.md §Decisions 28); the completion " +
		"column is for reference.")
	return nil
}

func runRateLimit(ctx context.Context, l *lab, w *workload, cfg rateConfig, workers, n int, spread, warm time.Duration) (rateRow, error) {
	models := llmsim.FastModels()
	for name, m := range models {
		m.RPM, m.TPM = 0, 0
		if name == primary {
			m.TPM = rateTPM
		}
		models[name] = m
	}
	r, err := l.newRun(ctx, fmt.Sprintf("%s, %d worker(s)", cfg.name, workers), setup{Models: models, Answer: w.answer})
	if err != nil {
		return rateRow{}, err
	}
	defer r.close()
	for i := range workers {
		c, err := r.startWorker(ctx, fmt.Sprintf("rate-worker-%d-%d", l.runs, i+1), "OPENAI_API_KEY=bench",
			"OPENAI_BASE_URL="+r.SimURL, "DATAFORGE_ROUTING=fixed", "DATAFORGE_RATE_LIMITS="+cfg.limits)
		if err != nil {
			return rateRow{}, err
		}
		defer c.stop()
	}
	b, err := r.writeBatch(w, n)
	if err != nil {
		return rateRow{}, err
	}
	start := time.Now()
	o, err := r.submitPaced(ctx, b, spread, 10*time.Minute+spread)
	if o == nil {
		return rateRow{}, err
	}
	x := rateRow{config: cfg.name, workers: workers, docs: len(o.reports), window: spread - warm, outcomes: map[string]int{},
		refused: r.Sim.Stats()[primary].RateLimited}
	for _, rp := range o.reports {
		switch st := dftype.Status(rp.Status); {
		case st == dftype.StatusCompleted:
			x.outcomes[rp.Tier]++
		case client.Settled(st):
			x.outcomes[rp.Status]++
		default:
			x.unsettled++
		}
	}
	err = r.Store.Pool().QueryRow(ctx, `
		SELECT coalesce(sum(prompt_tokens + completion_tokens), 0), coalesce(sum(prompt_tokens), 0) FROM attempts
		WHERE model = $1 AND started_at + latency_ms * interval '1 millisecond' BETWEEN $2 AND $3`,
		primary, start.Add(warm), start.Add(spread)).Scan(&x.tokens, &x.prompt)
	return x, err
}
