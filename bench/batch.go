package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/dataforge/dataforge/client"
)

// outcome is what became of a batch in one run.
type outcome struct {
	reports []*client.Report
	labels  []int
	wall    time.Duration // first submission to last document settled
}

// submitPaced submits the batch's documents one by one, spread evenly over
// spread (all at once when 0), waits until every one is settled, and
// reports each.
func (r *labRun) submitPaced(ctx context.Context, b *batch, spread time.Duration, limit time.Duration) (*outcome, error) {
	start := time.Now()
	items := make([]*client.Item, 0, len(b.paths))
	for i, p := range b.paths {
		if spread > 0 {
			at := start.Add(time.Duration(i) * spread / time.Duration(len(b.paths)))
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Until(at)):
			}
		}
		got, err := r.submit(ctx, p)
		if err != nil {
			return nil, err
		}
		if got[0].Err != nil {
			return nil, fmt.Errorf("%s: %w", p, got[0].Err)
		}
		items = append(items, got[0])
	}
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	last := time.Now()
	err := r.Sub.Wait(wctx, items, func(done, total int) {
		if time.Since(last) > 10*time.Second || done == total {
			last = time.Now()
			r.lab.progress("  %s: %d of %d settled", r.name, done, total)
		}
	})
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return nil, err
	}
	wall := time.Since(start)
	reports, rerr := r.Sub.Reports(ctx, items)
	if rerr != nil {
		return nil, rerr
	}
	return &outcome{reports: reports, labels: b.labels, wall: wall}, err
}

// submit submits one file, trying again (it is idempotent: the same content
// attaches to its workflow) when the server is too busy to answer in time.
func (r *labRun) submit(ctx context.Context, path string) ([]*client.Item, error) {
	for try := 1; ; try++ {
		got, err := r.Sub.Submit(ctx, []string{path}, client.Options{})
		var ie *client.InputError
		if err == nil || errors.As(err, &ie) || try == 5 || ctx.Err() != nil {
			return got, err
		}
		r.lab.progress("  %s: submitting %s again after: %v", r.name, filepath.Base(path), err)
		time.Sleep(time.Duration(try) * time.Second)
	}
}
