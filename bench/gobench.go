package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// goBench is a Go benchmark the report collects.
type goBench struct {
	what, pkg, pattern string
	quick              bool // also run in quick mode
}

var goBenches = []goBench{
	{"PDF text per page against `pdftotext -layout` (shared corpus, when present beside the repository)", "./parsers", "^BenchmarkCorpusText$", false},
	{"rules tier throughput; generated PDFs' text against `pdftotext -layout`", "./parsers", "^BenchmarkRulesTier$", false},
	{"parse sandbox (child process) against in-process parsing", "./parsers/sandbox", "^BenchmarkOverhead$", false},
	{"OCR per page against the text layer", "./parsers/ocr", "^BenchmarkScanVsTextLayer$", false},
	{"review claims per second against a raw `FOR UPDATE SKIP LOCKED`", "./internal/store", "^BenchmarkClaim$", false},
	{"router decision", "./internal/router", "^BenchmarkRoute$", true},
}

// benchGo runs the component benchmarks with `go test -bench` and tabulates
// every figure they print.
func benchGo(ctx context.Context, root string, quick bool, progress func(string, ...any), rep *report) error {
	rep.section("4. Components", "Each from its own Go benchmark (`go test -run '^$' -bench PATTERN -benchmem PACKAGE`), in this run.")
	benchtime := "3x"
	if quick {
		benchtime = "1x"
	}
	var rows [][]string
	for _, gb := range goBenches {
		if quick && !gb.quick {
			continue
		}
		progress("components: %s %s", gb.pkg, gb.pattern)
		cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", gb.pattern, "-benchmem", "-benchtime", benchtime, gb.pkg)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("go test -bench %s %s: %v\n%s", gb.pattern, gb.pkg, err, out)
		}
		lines := parseBench(string(out))
		if len(lines) == 0 {
			rows = append(rows, []string{gb.what, "(no result: " + lastLine(string(out)) + ")", ""})
		}
		for _, l := range lines {
			rows = append(rows, []string{gb.what, l[0], l[1]})
		}
	}
	rep.table([]string{"what", "benchmark", "figures"}, rows)
	return nil
}

// parseBench picks the result lines of `go test -bench` output: the
// benchmark's name and its figures after the iteration count.
func parseBench(out string) [][2]string {
	var rows [][2]string
	s := bufio.NewScanner(strings.NewReader(out))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		var figs []string
		for i := 2; i+1 < len(f); i += 2 {
			figs = append(figs, f[i]+" "+f[i+1])
		}
		rows = append(rows, [2]string{f[0], strings.Join(figs, ", ")})
	}
	return rows
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
