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
	"syscall"

	"github.com/dataforge/dataforge/parsers"
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

const usage = `usage: starter <command> [flags] [args]

commands:
  submit FILE|DIR|GLOB...   store documents and process them (waits; --no-wait, --reprocess)
  status ID|FILE...         where documents are (ID: sha256, a unique prefix, or doc-<sha256>;
                            --live asks running workflows for their current step)
  result ID|FILE            a document's extracted fields and provenance
  extract FILE...           parse, classify and run the rules locally, without Temporal
                            (--templates DIR: issuer templates, default $DATAFORGE_TEMPLATES)
  text FILE                 the text the tiers read, layout kept (--pages N-M;
                            --output json: pages, lines and the parse verdict)
  templates check [PATH...] validate issuer template files (default $DATAFORGE_TEMPLATES)
  accuracy [DIR...]         per-field accuracy of the rules tier on labelled documents
                            with an expected.json (default samples/labelled;
                            --templates DIR, -v: the misses with the value found and where)
  parity DIR...             word F1 of PDF text against pdftotext -layout references
                            (NAME.pdftotext.txt beside NAME.pdf; -v lists every file)
  migrate [up|down]         apply (or roll back one step of) the database migrations
  review <command>          the manual review queue: list, next, show, submit, reject,
                            release, extend, retry (starter review for details)

Every command takes --output text|json. Environment: DATABASE_URL, TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, DATAFORGE_TASK_QUEUE, DATAFORGE_UI_URL.
`

func main() {
	sandbox.Main()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sb, err := sandbox.New(sandbox.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(exitFailure)
	}
	env := &env{getenv: os.Getenv, stdout: os.Stdout, stderr: os.Stderr, isTerminal: stdoutIsTerminal, parse: sb.Parse}
	os.Exit(run(ctx, os.Args[1:], env))
}

// env is what a command may touch of the outside world, injected so that
// commands run in-process in tests.
type env struct {
	getenv     func(string) string
	stdout     io.Writer
	stderr     io.Writer
	isTerminal func() bool
	// parse parses documents locally (extract, accuracy): in a sandbox.
	parse parsers.ParseFunc
}

func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stderr, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	commands := map[string]func(context.Context, []string, *env) error{
		"submit":    cmdSubmit,
		"status":    cmdStatus,
		"result":    cmdResult,
		"extract":   cmdExtract,
		"templates": cmdTemplates,
		"accuracy":  cmdAccuracy,
		"parity":    cmdParity,
		"text":      cmdText,
		"migrate":   cmdMigrate,
		"review":    cmdReview,
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "starter: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	err := cmd(ctx, args[1:], e)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "starter %s: %v\n", args[0], err)
		return exitUsage
	case errors.Is(err, errReported):
		return exitFailure
	default:
		fmt.Fprintf(e.stderr, "starter %s: %v\n", args[0], err)
		return exitFailure
	}
}

// errReported is returned by commands that already wrote their errors.
var errReported = errors.New("errors reported")
