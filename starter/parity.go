package main

import (
	"context"
	"fmt"

	"github.com/dataforge/dataforge/parsers/parity"
)

func cmdParity(ctx context.Context, args []string, e *env) error {
	fs, output := newFlags("parity", e)
	verbose := fs.Bool("v", false, "list every file, not only those refused or below the threshold")
	args, err := parse(fs, output, args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return usagef("name at least one directory of PDFs with NAME%s references", parity.RefSuffix)
	}
	progress := func(done, total int) {}
	if e.isTerminal() {
		progress = func(done, total int) { fmt.Fprintf(e.stderr, "\r%d/%d", done, total) }
	}
	var reports []*parity.Report
	for _, dir := range args {
		r, err := parity.Run(ctx, dir, parity.ParsePDF, progress)
		if e.isTerminal() {
			fmt.Fprint(e.stderr, "\r\033[K")
		}
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	if *output == "json" {
		return writeJSON(e.stdout, reports)
	}
	for _, r := range reports {
		if err := r.Write(e.stdout, *verbose); err != nil {
			return err
		}
	}
	return nil
}
