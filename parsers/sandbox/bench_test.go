package sandbox

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/samples"
)

// BenchmarkOverhead parses a sample invoice in-process and in the sandbox
// with the dataforge-parse helper as the child, alternately, and reports the
// time of each and their ratio: the cost of a child process per document.
func BenchmarkOverhead(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(samples.Dir(), "invoice-classic.pdf"))
	if err != nil {
		b.Fatal(err)
	}
	s := newSandbox(b, Options{Exe: buildHelper(b), Procs: 1})
	ctx := context.Background()
	var inProcess, child time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		if _, err := parsers.Parse(ctx, data, parsers.MediaPDF, parsers.Limits{}); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := s.Parse(ctx, data, parsers.MediaPDF, parsers.Limits{}); err != nil {
			b.Fatal(err)
		}
		inProcess += mid.Sub(start)
		child += time.Since(mid)
		n++
	}
	b.ReportMetric(float64(inProcess.Microseconds())/float64(n), "µs-in-process/doc")
	b.ReportMetric(float64(child.Microseconds())/float64(n), "µs-sandbox/doc")
	b.ReportMetric(float64(child)/float64(inProcess), "ratio")
}

// buildHelper builds the dataforge-parse helper into a temporary directory.
func buildHelper(tb testing.TB) string {
	tb.Helper()
	exe := filepath.Join(tb.TempDir(), ChildName)
	out, err := exec.Command("go", "build", "-o", exe, "./"+ChildName).CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}
