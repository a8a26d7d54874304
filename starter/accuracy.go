package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dataforge/dataforge/parsers/accuracy"
	"github.com/dataforge/dataforge/parsers/templates"
)

// accuracyFlags are the flags of accuracy.
type accuracyFlags struct {
	templates string
	verbose   bool
}

func newAccuracyCmd(e *env, p *printer) *cobra.Command {
	var fl accuracyFlags
	cmd := &cobra.Command{
		Use:   "accuracy [DIR...]",
		Short: "Per-field accuracy of the rules tier on labelled documents",
		Long: `accuracy runs the rules tier on the documents of each DIR and compares the fields
with those labelled in the DIR's expected.json (default: samples/labelled).`,
		Example: `  starter accuracy --templates samples/templates -v
  starter accuracy -v ~/invoices/`,
		RunE: func(cmd *cobra.Command, args []string) error { return runAccuracy(cmd.Context(), e, p, &fl, args) },
	}
	cmd.Flags().StringVar(&fl.templates, "templates", e.cfg.Templates, "issuer templates in `DIR` (default $DATAFORGE_TEMPLATES)")
	cmd.Flags().BoolVarP(&fl.verbose, "verbose", "v", false, "list the documents with a field wrong: the value found and where")
	return cmd
}

func runAccuracy(ctx context.Context, e *env, p *printer, fl *accuracyFlags, args []string) error {
	if len(args) == 0 {
		args = []string{filepath.Join("samples", "labelled")} // relative: a checkout's labelled set
	}
	var set *templates.Set
	if fl.templates != "" {
		var err error
		if set, err = templates.LoadDir(fl.templates); err != nil {
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
	return p.Print(reports, func() error {
		for _, r := range reports {
			if err := r.Write(p.w, fl.verbose); err != nil {
				return err
			}
		}
		return nil
	})
}
