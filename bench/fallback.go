package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"

	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
)

const (
	primary  = "gpt-4o"
	smaller  = "gpt-4o-mini"
	burstLen = 3 * time.Second // an outage burst: about as long as the primary tier's retries (1 s, then 2 s, ± jitter)
)

// scenario is how the provider behaves during a run.
type scenario struct {
	name string
	note string
	// models returns the simulated models for a run whose submissions
	// start at start and are spread over spread.
	models func(start time.Time, spread time.Duration) map[string]llmsim.ModelConfig
	limits map[string]store.RateLimit
}

// chain is one configuration of tiers.
type chain struct {
	name  string
	route router.Config
}

func scenarios(seed uint64) []scenario {
	tier1 := map[string]store.RateLimit{primary: {RPM: 500, TPM: 30_000}, smaller: {RPM: 500, TPM: 200_000}}
	return []scenario{
		{
			name: "primary available 94 %",
			note: "the primary is down in bursts of 3 s covering 6 % of the submission window (rounded to whole bursts), and fails 1 % of other requests (500)",
			models: func(start time.Time, spread time.Duration) map[string]llmsim.ModelConfig {
				m := llmsim.FastModels()
				p := m[primary]
				p.RPM, p.TPM = 0, 0
				p.Outages = bursts(start, spread, 0.06, rand.New(rand.NewPCG(seed, 94)))
				p.Faults = map[llmsim.Fault]float64{llmsim.FaultServerError: 0.01}
				m[primary] = p
				s := m[smaller]
				s.RPM, s.TPM = 0, 0
				m[smaller] = s
				return m
			},
		},
		{
			name:   "rate-limited hour",
			note:   "OpenAI tier-1 limits (gpt-4o 30k TPM, gpt-4o-mini 200k TPM) in the simulator and in our limiter, demand far above them",
			limits: tier1,
			models: func(time.Time, time.Duration) map[string]llmsim.ModelConfig { return llmsim.FastModels() },
		},
		{
			name: "primary down",
			note: "every request to the primary gets 503 for the whole run",
			models: func(start time.Time, _ time.Duration) map[string]llmsim.ModelConfig {
				m := unlimited()
				p := m[primary]
				p.Outages = []llmsim.Outage{{From: start.Add(-time.Hour), To: start.Add(24 * time.Hour)}}
				m[primary] = p
				return m
			},
		},
		{
			name: "slow provider",
			note: "3 % of the replies of both models take 30 s (so p99 ≈ 30 s)",
			models: func(time.Time, time.Duration) map[string]llmsim.ModelConfig {
				m := unlimited()
				for name, c := range m {
					c.SlowShare, c.SlowLatency = 0.03, 30*time.Second
					m[name] = c
				}
				return m
			},
		},
	}
}

// unlimited is the simulator's fast models without rate limits.
func unlimited() map[string]llmsim.ModelConfig {
	m := llmsim.FastModels()
	for name, c := range m {
		c.RPM, c.TPM = 0, 0
		m[name] = c
	}
	return m
}

// bursts places outages of burstLen, covering share of the window, at
// random non-overlapping places in it.
func bursts(start time.Time, window time.Duration, share float64, rng *rand.Rand) []llmsim.Outage {
	n := int(share*float64(window)/float64(burstLen) + 0.5)
	slots := int(window / burstLen)
	if n == 0 || slots == 0 {
		return nil
	}
	picked := rng.Perm(slots)[:min(n, slots)]
	sort.Ints(picked)
	out := make([]llmsim.Outage, len(picked))
	for i, s := range picked {
		from := start.Add(time.Duration(s) * burstLen)
		out[i] = llmsim.Outage{From: from, To: from.Add(burstLen)}
	}
	return out
}

func chains() []chain {
	base := router.Config{PrimaryModel: primary, ClassifyBelow: 0.6, Breaker: router.DefaultBreaker, NoRules: true,
		LLMRetry: &temporal.RetryPolicy{MaximumAttempts: 1}}
	retries := base
	retries.LLMRetry = llm.RetryPolicy()
	smallerModel := retries
	smallerModel.FallbackModel = smaller
	full := smallerModel
	full.NoRules = false
	return []chain{
		{"primary only, then review", base},
		{"primary with retries, then review", retries},
		{"retries + smaller model, then review", smallerModel},
		{"full chain (+ rules)", full},
	}
}

// fallbackRow is one configuration's figures in one scenario.
type fallbackRow struct {
	chain                   string
	docs, automated, manual int
	unsettled, wrongDocs    int
	byTier                  map[string]int
	costUSD                 float64
	p50, p99                time.Duration
	peakTokens              int64   // the primary's charged tokens in its busiest minute
	tpmShare                float64 // peakTokens over its TPM
	refused                 int     // the provider's 429s for exceeding its limits
}

// benchFallback runs every chain in every scenario on n documents submitted
// over spread, and writes the tables.
func benchFallback(ctx context.Context, l *lab, w *workload, n int, spread time.Duration, only string, rep *report) error {
	rep.section("1. Fallback value",
		fmt.Sprintf("%d labelled documents (copies of the %d in samples/labelled, round robin) submitted one by one over %s to the "+
			"embedded server and the LLM simulator, once per configuration and scenario, each run on a fresh database. "+
			"The simulated models read every document right (the benchmark measures the chain, not a model), so a wrong "+
			"document is one the rules tier completed wrong. Automated: completed by a model or the rules; manual: waiting "+
			"in the review queue. Latency is submission to result (Postgres's timestamps), over automated documents. Manual work saved is against "+
			"primary only, in the same scenario.", n, len(w.labels), spread))
	for _, sc := range scenarios(11) {
		if !strings.Contains(sc.name, only) {
			continue
		}
		var rows []fallbackRow
		for _, ch := range chains() {
			l.progress("fallback: %s, %s", sc.name, ch.name)
			row, err := runFallback(ctx, l, w, sc, ch, n, spread)
			if err != nil {
				return fmt.Errorf("%s, %s: %w", sc.name, ch.name, err)
			}
			rows = append(rows, row)
		}
		rep.fallbackTable(sc, rows)
	}
	if m := w.misses.Load(); m > 0 {
		rep.note(fmt.Sprintf("The simulated models did not recognise %d requests' documents and answered them with the rules.", m))
	}
	return nil
}

func runFallback(ctx context.Context, l *lab, w *workload, sc scenario, ch chain, n int, spread time.Duration) (fallbackRow, error) {
	start := time.Now().Add(2 * time.Second) // the run's set-up comes first
	r, err := l.newRun(ctx, sc.name+" / "+ch.name, setup{Models: sc.models(start, spread), Answer: w.answer,
		Route: ch.route, Limits: sc.limits, Workers: 1})
	if err != nil {
		return fallbackRow{}, err
	}
	defer r.close()
	b, err := r.writeBatch(w, n)
	if err != nil {
		return fallbackRow{}, err
	}
	time.Sleep(time.Until(start))
	out, err := r.submitPaced(ctx, b, spread, 10*time.Minute+spread)
	if out == nil {
		return fallbackRow{}, err
	}
	row := fallbackRow{chain: ch.name, docs: len(out.reports), byTier: map[string]int{}}
	for i, rp := range out.reports {
		switch dftype.Status(rp.Status) {
		case dftype.StatusCompleted:
			row.automated++
			row.byTier[rp.Tier]++
			if rp.Fields != nil && len(w.labels[out.labels[i]].Wrong(schema.DocType(rp.DocType), rp.Fields)) > 0 {
				row.wrongDocs++
			}
		case dftype.StatusReview:
			row.manual++
		default:
			row.unsettled++
		}
	}
	lat, err := r.latencies(ctx)
	if err != nil {
		return row, err
	}
	row.p50, row.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	st, err := r.Store.Stats(ctx, time.Time{}, 1)
	if err != nil {
		return row, err
	}
	row.costUSD = st.CostUSD
	if lim, ok := sc.limits[primary]; ok && lim.TPM > 0 {
		// The busiest minute as the provider charges it: the prompts
		// (see §5 of the report).
		row.peakTokens, err = r.Store.BusiestMinute(ctx, primary)
		if err != nil {
			return row, err
		}
		row.tpmShare = float64(row.peakTokens) / float64(lim.TPM)
	}
	if r.Sim != nil {
		row.refused = r.Sim.Stats()[primary].RateLimited
	}
	return row, nil
}

// latencies are the completed documents' times from submission to result.
func (r *labRun) latencies(ctx context.Context) ([]time.Duration, error) {
	rows, err := r.Store.Pool().Query(ctx, `
		SELECT extract(epoch FROM finished_at - submitted_at)::float8 FROM documents
		WHERE status = 'completed' AND finished_at IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	secs, err := pgx.CollectRows(rows, pgx.RowTo[float64])
	out := make([]time.Duration, len(secs))
	for i, s := range secs {
		out[i] = time.Duration(s * float64(time.Second))
	}
	return out, err
}

// percentile is the q-quantile of ds (nearest rank), 0 for none.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// tiers renders completions by tier, most first.
func tiers(by map[string]int) string {
	names := make([]string, 0, len(by))
	for n := range by {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		return by[names[i]] > by[names[j]] || by[names[i]] == by[names[j]] && names[i] < names[j]
	})
	if len(names) == 0 {
		return "—"
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, by[n])
	}
	return strings.Join(parts, ", ")
}
