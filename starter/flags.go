package main

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"

	"golang.org/x/term"
)

// newFlags returns a flag set with --output and a pointer to its value.
func newFlags(name string, e *env) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	out := fs.String("output", "text", "output format: text or json")
	return fs, out
}

// parse parses flags placed before, between or after the arguments and
// checks --output.
func parse(fs *flag.FlagSet, output *string, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usagef("see the flags above")
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if *output != "text" && *output != "json" {
		return nil, usagef("--output must be text or json, not %q", *output)
	}
	return pos, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func stdoutIsTerminal() bool { return term.IsTerminal(int(os.Stdout.Fd())) }
