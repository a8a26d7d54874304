// Command starter is DataForge's CLI: submit documents and follow them,
// read results, try the rule-based extractor locally, migrate the database,
// and work the manual review queue.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/term"

	"github.com/dataforge/dataforge/internal/config"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/ocr"
	"github.com/dataforge/dataforge/parsers/sandbox"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and something failed (a document, a service)
	exitUsage   = 2 // the command line is wrong
)

// usageError marks errors in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

func main() {
	sandbox.Main()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &env{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, isTerminal: stdoutIsTerminal}
	env.parse = sandboxParser(env)
	os.Exit(run(ctx, os.Args[1:], env))
}

// sandboxParser parses in a sandbox made on first use, with OCR for scans
// when Tesseract has the configured languages (otherwise scans fail with
// ocr_unavailable, which says what to install).
func sandboxParser(e *env) parsers.ParseFunc {
	var (
		once sync.Once
		sb   *sandbox.Sandbox
		err  error
	)
	return func(ctx context.Context, data []byte, mediaType string, lim parsers.Limits) (*parsers.Document, error) {
		once.Do(func() {
			var engine *ocr.Engine
			if langs := e.cfg.Worker.OCRLanguages; langs != "none" {
				engine, _ = ocr.Detect(ctx, strings.Split(langs, "+"))
			}
			sb, err = sandbox.New(sandbox.Options{OCR: engine})
		})
		if err != nil {
			return nil, err
		}
		return sb.Parse(ctx, data, mediaType, lim)
	}
}

// env is what a command may touch of the outside world, injected so that
// commands run in-process in tests.
type env struct {
	getenv     func(string) string
	stdin      io.Reader // passwords (review users add)
	stdout     io.Writer
	stderr     io.Writer
	isTerminal func() bool
	// parse parses documents locally (extract, accuracy): in a sandbox.
	parse parsers.ParseFunc
	// cfg is the configuration, loaded from getenv once per run.
	cfg config.Config
}

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	// A configuration error fails every command but --help and completion.
	var cfgErr error
	e.cfg, cfgErr = config.Load(e.getenv)
	root := newRootCmd(ctx, e, cfgErr)
	root.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	cmd, err := root.ExecuteC()
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errReported):
		return exitFailure
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "%s: %v\n\n%s", cmd.CommandPath(), err, cmd.UsageString())
		return exitUsage
	default:
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd.CommandPath(), err)
		return exitFailure
	}
}

// errReported is returned by commands that already wrote their errors.
var errReported = errors.New("errors reported")

func stdoutIsTerminal() bool { return term.IsTerminal(int(os.Stdout.Fd())) }
