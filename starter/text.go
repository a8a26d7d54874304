package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/dataforge/dataforge/parsers"
)

// textPage is a page of `text --output json`.
type textPage struct {
	Number int      `json:"number"` // from 1
	Lines  []string `json:"lines"`
}

// textResult is what `text --output json` prints: the parse verdict ("ok"
// or the error code) and the pages read.
type textResult struct {
	File      string     `json:"file"`
	MediaType string     `json:"media_type,omitempty"`
	Verdict   string     `json:"verdict"`
	Error     string     `json:"error,omitempty"`
	Pages     int        `json:"pages"`
	Shown     []textPage `json:"shown"`
}

func cmdText(ctx context.Context, args []string, e *env) error {
	fs, output := newFlags("text", e)
	pages := fs.String("pages", "", "pages to print: N or N-M (from 1; default all)")
	args, err := parse(fs, output, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usagef("name one file")
	}
	first, last, err := pageRange(*pages)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	res := textResult{File: args[0], Verdict: "ok"}
	doc, perr := parsers.Parse(ctx, data, parsers.DetectMediaType(args[0], data), parsers.Limits{})
	if perr != nil {
		code, _ := parsers.CodeOf(perr)
		res.Verdict, res.Error = string(code), perr.Error()
	} else {
		res.MediaType, res.Pages = doc.MediaType, doc.Pages
		for i, p := range strings.Split(strings.TrimSuffix(doc.Text, "\f"), "\f") {
			if n := i + 1; n >= first && (last == 0 || n <= last) {
				res.Shown = append(res.Shown, textPage{Number: n, Lines: strings.Split(strings.TrimSuffix(p, "\n"), "\n")})
			}
		}
	}
	if *output == "json" {
		if err := writeJSON(e.stdout, res); err != nil {
			return err
		}
	} else {
		for _, p := range res.Shown {
			fmt.Fprintln(e.stdout, strings.Join(p.Lines, "\n"))
			fmt.Fprint(e.stdout, "\f")
		}
	}
	if perr != nil {
		fmt.Fprintf(e.stderr, "starter text: %s: %v\n", args[0], perr)
		return errReported
	}
	return nil
}

// pageRange parses "N" or "N-M"; an empty s is every page (1, 0).
func pageRange(s string) (first, last int, err error) {
	if s == "" {
		return 1, 0, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	first, err1 := strconv.Atoi(a)
	last, err2 := first, error(nil)
	if isRange {
		last, err2 = strconv.Atoi(b)
	}
	if err1 != nil || err2 != nil || first < 1 || last < first {
		return 0, 0, usagef("--pages must be N or N-M with 1 <= N <= M, not %q", s)
	}
	return first, last, nil
}
