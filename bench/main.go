// Command bench measures DataForge, each figure against a baseline in the
// same run: the fallback chain's value under provider failures, the engine's
// overhead against a bare workflow, ingest at volume, the component
// benchmarks, and the share of a provider's rate limit worker processes use
// when they hold to it together or retry on 429. It runs on the embedded
// Temporal server, the LLM simulator and fresh Postgres databases, prints
// markdown tables as it goes and writes them, with a description of the
// machine, to BENCHMARKS.md:
//
//	go run ./bench            # the full run (about an hour on 2 cores)
//	go run ./bench -quick     # a smoke run of every part (CI runs it)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/dataforge/dataforge/internal/config"
	"github.com/dataforge/dataforge/parsers/sandbox"
	"github.com/dataforge/dataforge/samples"
)

func main() {
	sandbox.Main()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var parts = []string{"fallback", "engine", "ingest", "components", "ratelimit"}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "a smoke run: few documents, every part")
	n := fs.Int("n", 100, "fallback: documents per configuration and scenario")
	spread := fs.Duration("spread", time.Minute, "fallback: the time the documents' submissions are spread over")
	scenario := fs.String("scenario", "", "fallback: only the scenarios whose name contains this")
	engineN := fs.Int("engine-n", 200, "engine: documents per measurement")
	rounds := fs.Int("rounds", 3, "engine: rounds of the bare workflow and the pipeline, alternating")
	ingestN := fs.Int("ingest-n", 10_000, "ingest: documents submitted")
	rateN := fs.Int("rate-n", 150, "ratelimit: documents per configuration and number of workers")
	rateSpread := fs.Duration("rate-spread", 4*time.Minute, "ratelimit: the time the documents' submissions are spread over")
	only := fs.String("only", strings.Join(parts, ","), "the parts to run")
	out := fs.String("out", "BENCHMARKS.md", `where to write the report ("" for nowhere)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *quick {
		*n, *spread, *engineN, *rounds, *ingestN, *rateN, *rateSpread = 6, 2*time.Second, 6, 1, 20, 3, 2*time.Second
	}
	want := map[string]bool{}
	for p := range strings.SplitSeq(*only, ",") {
		if p = strings.TrimSpace(p); !slices.Contains(parts, p) {
			return fmt.Errorf("-only: unknown part %q (want some of %s)", p, strings.Join(parts, ","))
		}
		want[p] = true
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	progress := func(format string, args ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", args...) }
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}

	rep := &report{echo: stdout}
	rep.printf("# DataForge benchmarks\n\nRun %s on %s with `go run ./bench %s`.\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), machine(), strings.Join(args, " "))
	var l *lab
	var w *workload
	if want["fallback"] || want["engine"] || want["ingest"] || want["ratelimit"] {
		if w, err = loadWorkload(ctx, samples.LabelledDir()); err != nil {
			return err
		}
		if l, err = startLab(cfg.DatabaseURL, root, progress); err != nil {
			return err
		}
		defer l.stop()
	}
	if want["fallback"] {
		if err := benchFallback(ctx, l, w, *n, *spread, *scenario, rep); err != nil {
			return err
		}
	}
	if want["engine"] {
		if err := benchEngine(ctx, l, w, *engineN, *rounds, rep); err != nil {
			return err
		}
	}
	if want["ingest"] {
		if err := benchIngest(ctx, l, w, *ingestN, rep); err != nil {
			return err
		}
	}
	if want["components"] {
		if err := benchGo(ctx, root, *quick, progress, rep); err != nil {
			return err
		}
	}
	if want["ratelimit"] {
		if err := benchRateLimit(ctx, l, w, *rateN, *rateSpread, rep); err != nil {
			return err
		}
	}
	if *out != "" {
		if err := os.WriteFile(*out, []byte(rep.b.String()), 0o644); err != nil {
			return err
		}
		progress("report written to %s", *out)
	}
	return nil
}

// moduleRoot is the directory of the go.mod of the working directory.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run the benchmarks inside the DataForge module (go run ./bench)")
	}
	return filepath.Dir(mod), nil
}
