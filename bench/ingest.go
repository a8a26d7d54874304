package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// benchIngest submits n documents with the starter binary (--no-wait) while
// a worker binary processes them (LLM tiers off: rules, then review), and
// reports the rates, the peak memory of both processes and the database's
// growth per document.
func benchIngest(ctx context.Context, l *lab, w *workload, n int, rep *report) error {
	rep.section("3. Ingest at volume",
		fmt.Sprintf("`starter submit --no-wait` of %d documents (copies of samples/labelled) from one directory, while one "+
			"`worker` process (built from this repository, LLM tiers off: rules then review) processes them; both are child "+
			"processes of the benchmark, on the embedded server and a fresh database. Memory is each process's own peak RSS (VmHWM), without its parse children.", n))
	starter, err := l.binary(ctx, "starter")
	if err != nil {
		return err
	}
	r, err := l.newRun(ctx, "ingest", setup{})
	if err != nil {
		return err
	}
	defer r.close()
	b, err := r.writeBatch(w, n)
	if err != nil {
		return err
	}
	dir := filepath.Dir(b.paths[0])
	sizeBefore, err := r.databaseSize(ctx)
	if err != nil {
		return err
	}
	wk, err := r.startWorker(ctx, "ingest-worker", "DATAFORGE_RATE_LIMITS=none")
	if err != nil {
		return err
	}
	defer wk.stop()

	l.progress("ingest: submitting %d documents", n)
	start := time.Now()
	sub := exec.CommandContext(ctx, starter, "submit", "--no-wait", "-o", "json", dir)
	sub.Env = r.env()
	var stderr strings.Builder
	sub.Stdout, sub.Stderr = nil, &stderr
	if err := sub.Start(); err != nil {
		return err
	}
	starterPeak := watchPeak(sub.Process.Pid)
	if err := sub.Wait(); err != nil {
		return fmt.Errorf("starter submit: %v: %s", err, stderr.String())
	}
	submitWall := time.Since(start)
	starterRSS := starterPeak()

	// One worker settles about 4 documents a second: allow 300 ms each.
	settled, err := r.waitSettled(ctx, n, max(30*time.Minute, time.Duration(n)*300*time.Millisecond))
	if err != nil {
		return err
	}
	processWall := time.Since(start)
	sizeAfter, err := r.databaseSize(ctx)
	if err != nil {
		return err
	}
	var stored int
	if err := r.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM documents`).Scan(&stored); err != nil {
		return err
	}
	workerRSS := peakOf(wk.cmd.Process.Pid)
	wk.stop()
	rep.table([]string{"measure", "value"}, [][]string{
		{"documents submitted / stored in Postgres", fmt.Sprintf("%d / %d", n, stored)},
		{"stored and started by the starter", fmt.Sprintf("%.0f documents/s (%s)", float64(n)/submitWall.Seconds(), seconds(submitWall))},
		{"settled by one worker (from the first submission)", fmt.Sprintf("%.1f documents/s (%d settled in %s)", float64(settled)/processWall.Seconds(), settled, seconds(processWall))},
		{"starter peak memory", mib(starterRSS)},
		{"worker peak memory", mib(workerRSS)},
		{"Postgres growth per document", fmt.Sprintf("%.1f KiB (database %s → %s)", float64(sizeAfter-sizeBefore)/1024/float64(n), mib(sizeBefore), mib(sizeAfter))},
	})
	return nil
}

// waitSettled polls until n documents are settled or limit passes, and
// returns how many are.
func (r *labRun) waitSettled(ctx context.Context, n int, limit time.Duration) (int, error) {
	deadline := time.Now().Add(limit)
	last := time.Now()
	for {
		var settled int
		err := r.Store.Pool().QueryRow(ctx,
			`SELECT count(*) FROM documents WHERE status IN ('completed', 'rejected', 'review')`).Scan(&settled)
		if err != nil {
			return 0, err
		}
		if settled >= n || time.Now().After(deadline) {
			return settled, nil
		}
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			r.lab.progress("  ingest: %d of %d settled", settled, n)
		}
		select {
		case <-ctx.Done():
			return settled, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// databaseSize is the size of the run's database in bytes.
func (r *labRun) databaseSize(ctx context.Context) (int64, error) {
	var size int64
	err := r.Store.Pool().QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&size)
	return size, err
}

// peakOf is a running process's peak resident set so far (VmHWM), in
// bytes; 0 when it cannot be read.
func peakOf(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb int64
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			return kb * 1024
		}
	}
	return 0
}

// watchPeak reads a process's peak resident set every 100 ms until it
// exits; the returned function gives the last reading once it has.
func watchPeak(pid int) func() int64 {
	var peak atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			v := peakOf(pid)
			if v == 0 {
				return
			}
			peak.Store(v)
			time.Sleep(100 * time.Millisecond)
		}
	}()
	return func() int64 {
		<-done
		return peak.Load()
	}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
