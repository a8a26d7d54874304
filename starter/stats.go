package main

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/store"
)

func newStatsCmd(e *env, p *printer) *cobra.Command {
	var since time.Duration
	var top int
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Pipeline figures over a window: tiers, automation, cost, latency, failures",
		Long: `stats reads the documents submitted in the window (--since) from Postgres: how many
settled and how (the tier that completed them), the automated completion rate and the
share that needed a person, cost and latency percentiles per task, tier and model, the
most frequent review reasons and attempt errors, and the review queue as it is now.`,
		Example: `  starter stats --since 24h
  starter stats --since 168h -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runStats(cmd.Context(), e, p, since, top) },
	}
	cmd.Flags().DurationVar(&since, "since", 24*time.Hour, "the window: documents submitted this long ago or later")
	cmd.Flags().IntVar(&top, "top", 5, "how many review reasons and errors to list")
	return cmd
}

func runStats(ctx context.Context, e *env, p *printer, since time.Duration, top int) error {
	if since <= 0 || top <= 0 {
		return usagef("--since and --top must be positive")
	}
	sub, closeAll, err := connect(ctx, e, false)
	if err != nil {
		return err
	}
	defer closeAll()
	st, err := sub.Store.Stats(ctx, time.Now().Add(-since), top)
	if err != nil {
		return err
	}
	breakers, err := activities.Breakers(ctx, sub.Store, router.DefaultBreaker)
	if err != nil {
		return err
	}
	v := statsView{Stats: st, Breakers: breakers}
	return p.Print(v, func() error { return writeStats(p, v, since) })
}

// statsView is what stats prints: the store's figures and the models'
// circuit breakers now.
type statsView struct {
	*store.Stats
	Breakers map[string]activities.BreakerStatus `json:"breakers"`
}

func writeStats(p *printer, v statsView, since time.Duration) error {
	st := v.Stats
	p.Printf("Documents submitted in the last %s: %d settled (%s)\n", since, st.Settled, counts(st.Documents))
	p.Printf("Completed by tier: %s\n", counts(st.CompletedByTier))
	p.Printf("Automated completion: %.1f %%   needed a person: %.1f %%   cost: $%.4f\n\n",
		100*st.AutomatedRate, 100*st.ManualRate, st.CostUSD)
	tw := p.Table()
	fmt.Fprintln(tw, "TASK\tTIER\tMODEL\tATTEMPTS\tSUCCESS\tCOST\tTOKENS IN/OUT\tP50\tP95\tP99")
	for _, t := range st.Tiers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f %%\t$%.4f\t%d/%d\t%s\t%s\t%s\n", t.Task, t.Tier, cmp.Or(t.Model, "-"),
			t.Attempts, 100*t.SuccessRate, t.CostUSD, t.PromptTokens, t.CompletionTokens,
			ms(t.LatencyP50MS), ms(t.LatencyP95MS), ms(t.LatencyP99MS))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	p.Printf("\nTop review reasons:")
	for _, r := range st.TopReasons {
		p.Printf("  %s ×%d", r.Reason, r.Count)
	}
	p.Printf("\nTop attempt errors:")
	for _, r := range st.TopErrors {
		class := r.ErrorClass
		if class == "" {
			class = "not accepted"
		}
		p.Printf("  %s %s ×%d", r.Tier, class, r.Count)
	}
	models := make([]string, 0, len(v.Breakers))
	for m := range v.Breakers {
		models = append(models, m)
	}
	sort.Strings(models)
	p.Printf("\nCircuit breakers (last %s of attempts):", activities.BreakerWindow)
	for _, m := range models {
		b := v.Breakers[m]
		p.Printf("  %s %s (%d of %d failed)", m, b.State, b.Failures, b.Attempts)
	}
	q := st.Queue
	p.Printf("\nReview queue now: %d pending, %d claimed, %d overdue, oldest pending %s\n",
		q.Pending, q.Claimed, q.Overdue, (time.Duration(q.OldestPendingSec) * time.Second).String())
	return nil
}

// counts writes a map of counts as "a 3, b 1", largest first.
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func ms(v float64) string { return (time.Duration(v) * time.Millisecond).String() }
