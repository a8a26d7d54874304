package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// report collects the benchmarks' markdown and echoes it as it grows.
type report struct {
	b    strings.Builder
	echo io.Writer
}

func (r *report) printf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	r.b.WriteString(s)
	fmt.Fprint(r.echo, s)
}

func (r *report) section(title, intro string) {
	r.printf("\n## %s\n\n%s\n", title, intro)
}

func (r *report) note(s string) { r.printf("\n%s\n", s) }

// table writes a markdown table.
func (r *report) table(head []string, rows [][]string) {
	r.printf("\n| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat(" --- |", len(head)))
	for _, row := range rows {
		r.printf("| %s |\n", strings.Join(row, " | "))
	}
}

func (r *report) fallbackTable(sc scenario, rows []fallbackRow) {
	r.printf("\n### %s\n\n%s.\n", sc.name, sc.note)
	limited := sc.limits != nil
	head := []string{"configuration", "automated", "manual", "manual work saved", "wrong documents", "not settled",
		"completed by", "cost", "p50", "p99"}
	if limited {
		head = append(head, "gpt-4o's busiest minute: tokens charged (share of its TPM)", "refused by the provider (429)")
	}
	var out [][]string
	baseManual := rows[0].manual
	for _, x := range rows {
		saved := "—"
		if baseManual > 0 {
			saved = fmt.Sprintf("%.0f %%", 100*float64(baseManual-x.manual)/float64(baseManual))
		}
		row := []string{x.chain, pct(x.automated, x.docs), pct(x.manual, x.docs), saved, fmt.Sprint(x.wrongDocs),
			fmt.Sprint(x.unsettled), tiers(x.byTier), fmt.Sprintf("$%.4f", x.costUSD), seconds(x.p50), seconds(x.p99)}
		if limited {
			row = append(row, fmt.Sprintf("%d (%.2f)", x.peakTokens, x.tpmShare), fmt.Sprint(x.refused))
		}
		out = append(out, row)
	}
	r.table(head, out)
}

func pct(k, n int) string {
	if n == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f %% (%d)", 100*float64(k)/float64(n), k)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// machine describes where the benchmarks ran.
func machine() string {
	model, mem := "unknown CPU", "unknown"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			var kb int64
			if _, err := fmt.Sscanf(s.Text(), "MemTotal: %d kB", &kb); err == nil {
				mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
				break
			}
		}
		f.Close()
	}
	return fmt.Sprintf("%d cores (%s), %s memory, %s %s/%s", runtime.NumCPU(), model, mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
