package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/internal/schema"
)

// submitFlags are the flags of client.
type submitFlags struct {
	noWait, reprocess, summarize bool
	timeout, reviewSLA           time.Duration
	fallbacks                    string
	concurrency                  int
}

func newSubmitCmd(e *env, p *printer) *cobra.Command {
	var fl submitFlags
	cmd := &cobra.Command{
		Use:   "submit FILE|DIR|GLOB...",
		Short: "Store documents and process them (waits; --no-wait, --reprocess)",
		Long: `submit stores documents and starts their workflows. A DIR is walked for .pdf, .txt
and .xml files; a GLOB is a pattern of files. It waits until every document is
settled (completed, in review, rejected) and prints where each is.`,
		Example: `  starter submit invoices/*.pdf
  starter submit --no-wait scans/
  starter submit --summarize --fallback summarize a.pdf`,
		Args: needArgs("name at least one FILE, DIR or GLOB"),
		RunE: func(cmd *cobra.Command, args []string) error { return runSubmit(cmd.Context(), e, p, &fl, args) },
	}
	f := cmd.Flags()
	f.BoolVar(&fl.noWait, "no-wait", false, "return once the workflows are started")
	f.BoolVar(&fl.reprocess, "reprocess", false, "process documents again even if they already have a result")
	f.DurationVar(&fl.timeout, "timeout", 30*time.Minute, "how long to wait for the documents")
	f.DurationVar(&fl.reviewSLA, "review-sla", 0, "escalate review items older than this (default: the workflow's, 24h)")
	f.BoolVar(&fl.summarize, "summarize", false, "also ask the LLM tiers for a short summary of each document")
	f.StringVar(&fl.fallbacks, "fallback", "", "tasks (classify, summarize) whose predefined fallback result is acceptable instead of review")
	f.IntVar(&fl.concurrency, "concurrency", client.DefaultConcurrency, "how many files are stored and started at once")
	return cmd
}

func runSubmit(ctx context.Context, e *env, p *printer, fl *submitFlags, args []string) error {
	if fl.concurrency < 1 {
		return usagef("--concurrency takes a number of at least 1, not %d", fl.concurrency)
	}
	opts := client.Options{Reprocess: fl.reprocess, ReviewSLA: fl.reviewSLA, Summarize: fl.summarize,
		Concurrency: fl.concurrency}
	for _, name := range strings.Split(fl.fallbacks, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		task, err := schema.ParseTask(name)
		if err != nil || task == schema.TaskExtract {
			return usagef("--fallback takes classify and summarize, not %q: extraction falls back to review", name)
		}
		opts.Fallbacks = append(opts.Fallbacks, task)
	}
	paths, err := client.Expand(args)
	if err != nil {
		return usagef("%v", err)
	}
	if len(paths) == 0 {
		return usagef("no .pdf or .txt documents in %s", strings.Join(args, " "))
	}
	sub, closeAll, err := connect(ctx, e, true)
	if err != nil {
		return err
	}
	defer closeAll()

	if e.isTerminal() {
		opts.Progress = progressBar(e, "files submitted")
	}
	items, err := sub.Submit(ctx, paths, opts)
	if err != nil {
		accepted, taken := 0, 0
		for _, it := range items {
			if it.Started {
				accepted++
			}
			if it.Err != client.ErrNotSubmitted {
				taken++
			}
		}
		if opts.Progress != nil && taken < len(items) {
			fmt.Fprintln(e.stderr) // end the progress line that stopped short
		}
		// Say which files are in (their workflows run; a stored file whose
		// start failed is started by the worker's sweep) and which are not.
		if werr := writeReports(p, sub.Accepted(items)); werr != nil {
			return werr
		}
		fmt.Fprintf(e.stderr, "starter submit: stopped after accepting %d of %d files: %v\n", accepted, len(items), err)
		return errReported
	}
	failed := 0
	for _, it := range items {
		if it.Err != nil {
			failed++
			fmt.Fprintf(e.stderr, "starter submit: %v\n", it.Err)
		}
	}
	if !fl.noWait {
		wctx, cancel := context.WithTimeout(ctx, fl.timeout)
		defer cancel()
		var progress func(done, total int)
		if e.isTerminal() {
			progress = progressBar(e, "documents settled")
		}
		if err := sub.Wait(wctx, items, progress); err != nil {
			// Interrupted or timed out: show where the documents are.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if reports, rerr := sub.Reports(rctx, items); rerr == nil {
				_ = writeReports(p, reports)
			}
			return err
		}
	}
	reports, err := sub.Reports(ctx, items)
	if err != nil {
		return err
	}
	if err := writeReports(p, reports); err != nil {
		return err
	}
	if failed > 0 {
		fmt.Fprintf(e.stderr, "starter submit: %d of %d files were not accepted\n", failed, len(items))
		return errReported
	}
	return nil
}

func writeReports(p *printer, reports []*client.Report) error {
	return p.Print(reports, func() error { return client.WriteTable(p.w, reports) })
}

// progressBar draws progress on stderr, for terminals only; what names
// the things counted.
func progressBar(e *env, what string) func(done, total int) {
	last := -1
	return func(done, total int) {
		if done == last {
			return
		}
		last = done
		const width = 30
		filled := width * done / max(total, 1)
		fmt.Fprintf(e.stderr, "\r[%s%s] %d/%d %s", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), done, total, what)
		if done == total {
			fmt.Fprintln(e.stderr)
		}
	}
}
