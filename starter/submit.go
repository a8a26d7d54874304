package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/internal/schema"
)

func cmdSubmit(ctx context.Context, args []string, e *env) error {
	fs, output := newFlags("submit", e)
	noWait := fs.Bool("no-wait", false, "return once the workflows are started")
	reprocess := fs.Bool("reprocess", false, "process documents again even if they already have a result")
	timeout := fs.Duration("timeout", 30*time.Minute, "how long to wait for the documents")
	reviewSLA := fs.Duration("review-sla", 0, "escalate review items older than this (default: the workflow's, 24h)")
	summarize := fs.Bool("summarize", false, "also ask the LLM tiers for a short summary of each document")
	fallbacks := fs.String("fallback", "", "tasks (classify, summarize) whose predefined fallback result is acceptable instead of review")
	args, err := parse(fs, output, args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return usagef("name at least one FILE, DIR or GLOB")
	}
	opts := client.Options{Reprocess: *reprocess, ReviewSLA: *reviewSLA, Summarize: *summarize}
	for _, name := range strings.Split(*fallbacks, ",") {
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

	items, err := sub.Submit(ctx, paths, opts)
	if err != nil {
		// Say which files are in (their workflows run; a stored file whose
		// start failed is started by the worker's sweep) and which are not.
		if werr := writeReports(e, *output, sub.Accepted(items)); werr != nil {
			return werr
		}
		accepted := 0
		for _, it := range items {
			if it.Started {
				accepted++
			}
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
	if !*noWait {
		wctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		var progress func(done, total int)
		if e.isTerminal() {
			progress = progressBar(e)
		}
		if err := sub.Wait(wctx, items, progress); err != nil {
			// Interrupted or timed out: show where the documents are.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if reports, rerr := sub.Reports(rctx, items); rerr == nil {
				_ = writeReports(e, *output, reports)
			}
			return err
		}
	}
	reports, err := sub.Reports(ctx, items)
	if err != nil {
		return err
	}
	if err := writeReports(e, *output, reports); err != nil {
		return err
	}
	if failed > 0 {
		fmt.Fprintf(e.stderr, "starter submit: %d of %d files were not accepted\n", failed, len(items))
		return errReported
	}
	return nil
}

func writeReports(e *env, output string, reports []*client.Report) error {
	if output == "json" {
		return writeJSON(e.stdout, reports)
	}
	return client.WriteTable(e.stdout, reports)
}

// progressBar draws progress on stderr, for terminals only.
func progressBar(e *env) func(done, total int) {
	last := -1
	return func(done, total int) {
		if done == last {
			return
		}
		last = done
		const width = 30
		filled := width * done / max(total, 1)
		fmt.Fprintf(e.stderr, "\r[%s%s] %d/%d documents settled", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), done, total)
		if done == total {
			fmt.Fprintln(e.stderr)
		}
	}
}
