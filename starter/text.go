package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

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
	File      string `json:"file"`
	MediaType string `json:"media_type,omitempty"`
	Verdict   string `json:"verdict"`
	Error     string `json:"error,omitempty"`
	Pages     int    `json:"pages"`
	// Source is where the text came from (text_layer, ocr, file,
	// einvoice); OCRConfidence the mean word confidence of OCR, 0-100.
	Source        string     `json:"source,omitempty"`
	OCRConfidence float64    `json:"ocr_confidence,omitempty"`
	Shown         []textPage `json:"shown"`
}

func newTextCmd(e *env, p *printer) *cobra.Command {
	var pages string
	cmd := &cobra.Command{
		Use:   "text FILE",
		Short: "The text the tiers read, layout kept",
		Long: `text prints the text of a document as the tiers read it, layout kept, pages
separated by form feeds. With --output json: the pages and lines and the parse
verdict ("ok" or the error code) and where the text came from (source: text_layer,
ocr with its mean word confidence, file, einvoice); a document that cannot be
parsed fails. Scans (PNG, JPEG, image-only PDFs) are read by Tesseract when it is
installed.`,
		Example: `  starter text a.pdf --pages 1-2`,
		Args:    oneArg("name one file"),
		RunE:    func(cmd *cobra.Command, args []string) error { return runText(cmd.Context(), e, p, pages, args[0]) },
	}
	cmd.Flags().StringVar(&pages, "pages", "", "pages to print: N or N-M (from 1; default all)")
	return cmd
}

func runText(ctx context.Context, e *env, p *printer, pages, file string) error {
	first, last, err := pageRange(pages)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	res := textResult{File: file, Verdict: "ok"}
	doc, perr := e.parse(ctx, data, parsers.DetectMediaType(file, data), parsers.Limits{})
	if perr != nil {
		code, _ := parsers.CodeOf(perr)
		res.Verdict, res.Error = string(code), perr.Error()
	} else {
		res.MediaType, res.Pages, res.Source, res.OCRConfidence = doc.MediaType, doc.Pages, string(doc.Source), doc.OCRConfidence
		for i, p := range strings.Split(strings.TrimSuffix(doc.Text, "\f"), "\f") {
			if n := i + 1; n >= first && (last == 0 || n <= last) {
				res.Shown = append(res.Shown, textPage{Number: n, Lines: strings.Split(strings.TrimSuffix(p, "\n"), "\n")})
			}
		}
	}
	err = p.Print(res, func() error {
		if res.Source == string(parsers.SourceOCR) {
			fmt.Fprintf(e.stderr, "starter text: %s: read by OCR, mean word confidence %.0f of 100\n", file, res.OCRConfidence)
		}
		for _, page := range res.Shown {
			p.Printf("%s\n\f", strings.Join(page.Lines, "\n"))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if perr != nil {
		fmt.Fprintf(e.stderr, "starter text: %s: %v\n", file, perr)
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
