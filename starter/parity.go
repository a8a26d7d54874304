package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dataforge/dataforge/parsers/parity"
)

func newParityCmd(e *env, p *printer) *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "parity DIR...",
		Short: "Word F1 of PDF text against pdftotext -layout references",
		Long: fmt.Sprintf(`parity compares the words the parser reads from each PDF of DIR (NAME.pdf) with
those of its pdftotext -layout reference beside it (NAME%s): word F1 per file and
over the directory, listing the files refused or below %.2f.`, parity.RefSuffix, parity.Threshold),
		Args: needArgs(fmt.Sprintf("name at least one directory of PDFs with NAME%s references", parity.RefSuffix)),
		RunE: func(cmd *cobra.Command, args []string) error { return runParity(cmd.Context(), e, p, verbose, args) },
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every file, not only those refused or below the threshold")
	return cmd
}

func runParity(ctx context.Context, e *env, p *printer, verbose bool, args []string) error {
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
	return p.Print(reports, func() error {
		for _, r := range reports {
			if err := r.Write(p.w, verbose); err != nil {
				return err
			}
		}
		return nil
	})
}
