package main

import (
	"context"
	"fmt"

	"github.com/dataforge/dataforge/parsers/accuracy"
	"github.com/dataforge/dataforge/parsers/templates"
	"github.com/dataforge/dataforge/samples"
)

func cmdAccuracy(ctx context.Context, args []string, e *env) error {
	fs, output := newFlags("accuracy", e)
	dir := fs.String("templates", e.getenv("DATAFORGE_TEMPLATES"), "directory of issuer templates (default $DATAFORGE_TEMPLATES)")
	verbose := fs.Bool("v", false, "list the documents with a field wrong")
	args, err := parse(fs, output, args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		args = []string{samples.LabelledDir()}
	}
	var set *templates.Set
	if *dir != "" {
		if set, err = templates.LoadDir(*dir); err != nil {
			return fmt.Errorf("templates: %w", err)
		}
	}
	var reports []*accuracy.Report
	for _, d := range args {
		r, err := accuracy.Evaluate(ctx, d, set, e.parse)
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
