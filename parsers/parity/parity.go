// Package parity measures PDF text extraction against a reference: a
// directory of PDFs, each with the text poppler's `pdftotext -layout` made
// of it beside it as NAME.pdftotext.txt. The measure is word F1: words are
// the whitespace-separated runs of the text, compared as multisets, so word
// order and spacing do not count but every dropped, split, joined or wrong
// character does.
package parity

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/dataforge/dataforge/parsers"
)

// RefSuffix ends the name of a reference text: NAME.pdf has NAME.pdftotext.txt.
const RefSuffix = ".pdftotext.txt"

// Threshold is the F1 below which a file is listed as poor.
const Threshold = 0.95

// File is the outcome of one PDF.
type File struct {
	Name    string  `json:"name"`
	Pages   int     `json:"pages,omitempty"`
	Ref     int     `json:"ref_words"` // words in the reference
	Got     int     `json:"got_words"` // words extracted
	Matched int     `json:"matched"`   // words in both (multiset intersection)
	F1      float64 `json:"f1"`
	// Refused is the parse error of a file the reference has text for.
	Refused string `json:"refused,omitempty"`
}

// Report is the outcome of a directory. Files counts the PDFs whose
// reference has at least one word; the others (pdftotext read no text, or
// could not open them) are listed in Skipped and count nowhere.
type Report struct {
	Dir   string `json:"dir"`
	Files []File `json:"files"`
	// F1 is micro-averaged: precision and recall over all the words of all
	// the files, so a file weighs by its size; a refused file counts as
	// one that gave no words.
	F1 float64 `json:"f1"`
	// MacroF1 is the mean of the files' F1.
	MacroF1 float64  `json:"macro_f1"`
	Refused []string `json:"refused"`
	Below   []string `json:"below"` // files with F1 under Threshold, worst first
	Skipped []string `json:"skipped,omitempty"`
}

// Extract turns a PDF into text; parsers.Parse is one.
type Extract func(ctx context.Context, data []byte) (*parsers.Document, error)

// ParsePDF extracts text as the pipeline does, with the default limits.
func ParsePDF(ctx context.Context, data []byte) (*parsers.Document, error) {
	return parsers.Parse(ctx, data, parsers.MediaPDF, parsers.Limits{})
}

// Run measures every PDF of dir that has a reference. progress, if not nil,
// is called after each file.
func Run(ctx context.Context, dir string, extract Extract, progress func(done, total int)) (*Report, error) {
	pdfs, err := filepath.Glob(filepath.Join(dir, "*.pdf"))
	if err != nil {
		return nil, err
	}
	if len(pdfs) == 0 {
		return nil, fmt.Errorf("%s: no PDF files", dir)
	}
	sort.Strings(pdfs)
	r := &Report{Dir: dir, Refused: []string{}, Below: []string{}}
	var ref, got, matched int
	for i, path := range pdfs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := filepath.Base(path)
		want, err := os.ReadFile(strings.TrimSuffix(path, ".pdf") + RefSuffix)
		refWords := Words(string(want))
		if err != nil || len(refWords) == 0 {
			r.Skipped = append(r.Skipped, name)
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		f := File{Name: name, Ref: len(refWords)}
		doc, err := extract(ctx, data)
		if err != nil {
			f.Refused = err.Error()
			r.Refused = append(r.Refused, name)
		} else {
			gotWords := Words(doc.Text)
			f.Pages, f.Got, f.Matched = doc.Pages, len(gotWords), Matched(refWords, gotWords)
		}
		f.F1 = f1(f.Matched, f.Ref, f.Got)
		ref, got, matched = ref+f.Ref, got+f.Got, matched+f.Matched
		r.MacroF1 += f.F1
		r.Files = append(r.Files, f)
		if progress != nil {
			progress(i+1, len(pdfs))
		}
	}
	if len(r.Files) > 0 {
		r.MacroF1 /= float64(len(r.Files))
	}
	r.F1 = f1(matched, ref, got)
	worst := make([]File, 0, len(r.Files))
	for _, f := range r.Files {
		if f.F1 < Threshold {
			worst = append(worst, f)
		}
	}
	sort.SliceStable(worst, func(i, j int) bool { return worst[i].F1 < worst[j].F1 })
	for _, f := range worst {
		r.Below = append(r.Below, f.Name)
	}
	return r, nil
}

// Words splits text at whitespace.
func Words(text string) []string { return strings.Fields(text) }

// Matched counts the words a and b have in common, as multisets.
func Matched(a, b []string) int {
	count := make(map[string]int, len(a))
	for _, w := range a {
		count[w]++
	}
	n := 0
	for _, w := range b {
		if count[w] > 0 {
			count[w]--
			n++
		}
	}
	return n
}

// f1 is the harmonic mean of precision matched/got and recall matched/ref.
func f1(matched, ref, got int) float64 {
	if ref+got == 0 {
		return 1
	}
	return 2 * float64(matched) / float64(ref+got)
}

// Write prints the report: a line per file (all of them when verbose,
// otherwise those refused or below Threshold), then the totals.
func (r *Report) Write(w io.Writer, verbose bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\n", r.Dir)
	fmt.Fprintln(tw, "FILE\tPAGES\tREF\tGOT\tF1\tNOTE")
	for _, f := range r.Files {
		if !verbose && f.Refused == "" && f.F1 >= Threshold {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.3f\t%s\n", f.Name, f.Pages, f.Ref, f.Got, f.F1, f.Refused)
	}
	fmt.Fprintf(tw, "files %d  word F1 %.4f (micro; macro %.4f)  refused %d  below %.2f: %d  no reference text: %d\n",
		len(r.Files), r.F1, r.MacroF1, len(r.Refused), Threshold, len(r.Below), len(r.Skipped))
	return tw.Flush()
}
