package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/internal/router"
)

func newRoutingCmd(e *env, p *printer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "routing",
		Short: "Routing policies: eval replays the recorded attempts through fixed, capability and learned routing",
	}
	cmd.AddCommand(newRoutingEvalCmd(e, p))
	return cmd
}

func newRoutingEvalCmd(e *env, p *printer) *cobra.Command {
	since := days(7 * 24 * time.Hour)
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Replay the recorded attempts: cost and automated completion of fixed, capability and learned routing",
		Long: `eval replays the documents submitted in the window (--since) through three policies on
the configured models (DATAFORGE_PRIMARY_MODEL, DATAFORGE_FALLBACK_MODEL): fixed (every
document starts on the primary), capability (simple documents start on the smaller model)
and learned (the cheapest model proven on documents of the same class and type starts).

Each document walks each policy's chain, taking each tier's recorded outcome and cost
(a model read it, or failed for the document's reasons), until a tier reads it or the
chain reaches review. A tier never tried on the document, or failed there only for the
provider's reasons, is unknown: the document is counted unknown for that policy, and the
figures are over the documents known under every policy. Learned routing learns as it
goes, routing each document on the documents before it, never on its own outcome.
Breakers, budgets and the optional tasks' costs are left out.`,
		Example: `  starter routing eval
  starter routing eval --since 30d -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRoutingEval(cmd.Context(), e, p, time.Duration(since))
		},
	}
	cmd.Flags().Var(&since, "since", "the window: documents submitted this long ago or later (e.g. 7d, 36h)")
	return cmd
}

// days is a duration flag that also takes whole days ("7d").
type days time.Duration

func (d *days) String() string {
	if v := time.Duration(*d); v%(24*time.Hour) == 0 && v > 0 {
		return fmt.Sprintf("%dd", v/(24*time.Hour))
	}
	return time.Duration(*d).String()
}

func (d *days) Set(s string) error {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.Atoi(n)
		if err != nil {
			return fmt.Errorf("%q: want a number of days (7d) or a duration (36h)", s)
		}
		*d = days(time.Duration(v) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q: want a number of days (7d) or a duration (36h)", s)
	}
	*d = days(v)
	return nil
}

func (*days) Type() string { return "duration" }

func runRoutingEval(ctx context.Context, e *env, p *printer, since time.Duration) error {
	if since <= 0 {
		return usagef("--since must be positive")
	}
	sub, closeAll, err := connect(ctx, e, false)
	if err != nil {
		return err
	}
	defer closeAll()
	cfg := router.Config{PrimaryModel: e.cfg.PrimaryModel, FallbackModel: e.cfg.FallbackModel}
	r, err := activities.ReplayRouting(ctx, sub.Store, cfg, time.Now().Add(-since))
	if err != nil {
		return err
	}
	window := days(since)
	return p.Print(r, func() error {
		p.Printf("Documents with recorded extraction attempts in the last %s: %d; known under every policy: %d\n\n",
			window.String(), r.Documents, r.Compared)
		tw := p.Table()
		fmt.Fprintln(tw, "POLICY\tCOMPLETED\tREVIEW\tSUCCESS\tCOST\tCOST/DOC\tUNKNOWN")
		for _, pol := range r.Policies {
			perDoc := 0.0
			if r.Compared > 0 {
				perDoc = pol.CostUSD / float64(r.Compared)
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f %%\t$%.4f\t$%.5f\t%d\n", pol.Policy, pol.Completed, pol.Review,
				100*pol.SuccessRate, pol.CostUSD, perDoc, pol.Unknown)
		}
		return tw.Flush()
	})
}
