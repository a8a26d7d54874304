// Package accuracy measures the rules tier on a labelled set: a directory
// of documents with an expected.json that gives their true fields (see
// Load for its two formats). It parses and classifies each document as the pipeline does,
// extracts its fields and compares them, field by field, with the truth.
package accuracy

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers"
)

// Tier classifies documents and extracts their fields. *templates.Set is
// one (a nil Set is the rules alone), and so is Rules.
type Tier interface {
	Classify(text string) parsers.Classification
	Extract(text string, t schema.DocType) parsers.Extraction
}

// Rules is the rules tier without templates.
type Rules struct{}

// Classify calls parsers.Classify.
func (Rules) Classify(text string) parsers.Classification { return parsers.Classify(text) }

// Extract calls parsers.ExtractRules.
func (Rules) Extract(text string, t schema.DocType) parsers.Extraction {
	return parsers.ExtractRules(text, t)
}

// Fields are the fields compared, in report order.
var Fields = []string{
	"doc_type", "invoice_number", "issue_date", "due_date", "issuer", "issuer_tax_id", "iban",
	"currency", "subtotal", "tax", "total", "line_items",
}

// FieldStat counts the outcomes of one field over the documents that have it
// or for which a value was extracted.
type FieldStat struct {
	Field    string `json:"field"`
	Correct  int    `json:"correct"`
	Wrong    int    `json:"wrong"`    // a different value
	Missed   int    `json:"missed"`   // no value where there is one
	Spurious int    `json:"spurious"` // a value where there is none
}

// Accuracy is the share of correct outcomes, or 1 when the field never
// occurred.
func (s FieldStat) Accuracy() float64 {
	n := s.Correct + s.Wrong + s.Missed + s.Spurious
	if n == 0 {
		return 1
	}
	return float64(s.Correct) / float64(n)
}

// Miss is a field found wrong, missed or found where the labels have none.
type Miss struct {
	Field string `json:"field"`
	Want  string `json:"want"`
	Got   string `json:"got"`
	// Span is where the rules read Got, when they say.
	Span *parsers.Span `json:"span,omitempty"`
}

// Doc is the outcome of one document.
type Doc struct {
	File      string  `json:"file"`
	Template  string  `json:"template,omitempty"`
	Overall   float64 `json:"overall"`
	Confident bool    `json:"confident"` // the rules tier would accept it (parsers.Judge)
	// Compared and Right count the labelled fields of the document and
	// those found right.
	Compared int    `json:"compared"`
	Right    int    `json:"right"`
	Misses   []Miss `json:"misses,omitempty"`
	Error    string `json:"error,omitempty"`
	// ErrorCode is the parsers.Code of Error, when it has one.
	ErrorCode parsers.Code `json:"error_code,omitempty"`
	// OCR marks a document labelled as a scan; Source is where its text
	// came from (parsers.Source) and OCRConfidence OCR's mean word
	// confidence, 0-100.
	OCR           bool           `json:"ocr,omitempty"`
	Source        parsers.Source `json:"source,omitempty"`
	OCRConfidence float64        `json:"ocr_confidence,omitempty"`
}

// Scans puts the scans of a labelled set beside the text versions of the
// same documents (Label.TextVersion).
type Scans struct {
	Pairs []ScanPair `json:"pairs"`
	// Right counts the fields right on the scans, TextRight those right
	// on their text versions (a text version counts once per scan of it).
	Right     int `json:"right"`
	TextRight int `json:"text_right"`
}

// Share is the scans' fields right as a share of their text versions'.
func (s *Scans) Share() float64 {
	if s.TextRight == 0 {
		return 0
	}
	return float64(s.Right) / float64(s.TextRight)
}

// ScanPair is a scan and its text version.
type ScanPair struct {
	Scan          string  `json:"scan"`
	Text          string  `json:"text"`
	OCRConfidence float64 `json:"ocr_confidence"`
	Compared      int     `json:"compared"`
	Right         int     `json:"right"`
	TextRight     int     `json:"text_right"`
}

// Report is the outcome of a labelled set.
type Report struct {
	Dir    string      `json:"dir"`
	Fields []FieldStat `json:"fields"`
	Docs   []Doc       `json:"docs"`
	// Compared and Right count the field comparisons over all documents.
	Compared int `json:"compared"`
	Right    int `json:"right"`
	// Exact counts the documents whose every field is right; Confident
	// those the rules tier would accept; ConfidentWrong those it would
	// accept with a field wrong, the costly mistake.
	Exact          int `json:"exact"`
	Confident      int `json:"confident"`
	ConfidentWrong int `json:"confident_wrong"`
	Templated      int `json:"templated"`
	// ConfidentCompared and ConfidentRight count the field comparisons
	// over the accepted documents: their share is the precision of what
	// the tier completes without a person.
	ConfidentCompared int `json:"confident_compared"`
	ConfidentRight    int `json:"confident_right"`
	// Scans compares scans with their text versions, when the labels name
	// any (Label.TextVersion).
	Scans *Scans `json:"scans,omitempty"`
}

// Evaluate runs tier over the labelled documents in dir (see Load),
// reading each with parse.
func Evaluate(ctx context.Context, dir string, tier Tier, parse parsers.ParseFunc) (*Report, error) {
	labels, err := Load(dir)
	if err != nil {
		return nil, err
	}
	r := &Report{Dir: dir}
	stats := map[string]*FieldStat{}
	var order []string
	for _, lb := range labels {
		d := Doc{File: lb.File, OCR: lb.OCR}
		data, err := os.ReadFile(filepath.Join(dir, lb.File))
		if err != nil {
			return nil, err
		}
		parsed, err := parse(ctx, data, parsers.DetectMediaType(lb.File, data), parsers.DefaultLimits())
		if err != nil {
			d.Error = err.Error()
			d.ErrorCode, _ = parsers.CodeOf(err)
			r.Docs = append(r.Docs, d)
			continue
		}
		d.Source, d.OCRConfidence = parsed.Source, parsed.OCRConfidence
		cls := tier.Classify(parsed.Text)
		x := tier.Extract(parsed.Text, cls.Type)
		d.Template, d.Overall = x.Template, x.Overall
		d.Confident = parsers.Judge(x, cls.Type, cls.Confidence).OK
		want, got := values(lb.Type, &lb.Fields), values(cls.Type, &x.Fields)
		for _, f := range lb.Compare {
			s := stats[f]
			if s == nil {
				s = &FieldStat{Field: f}
				stats[f] = s
				order = append(order, f)
			}
			w, g := want[f], got[f]
			switch {
			case w == "" && g == "":
				continue
			case Same(f, w, g):
				s.Correct++
				d.Compared++
				d.Right++
				continue
			case g == "":
				s.Missed++
			case w == "":
				s.Spurious++
			default:
				s.Wrong++
			}
			d.Compared++
			m := Miss{Field: f, Want: w, Got: g}
			if sp, ok := x.Spans[f]; ok && g != "" {
				m.Span = &sp
			}
			d.Misses = append(d.Misses, m)
		}
		r.Compared += d.Compared
		r.Right += d.Right
		if len(d.Misses) == 0 {
			r.Exact++
		}
		if d.Confident {
			r.Confident++
			r.ConfidentCompared += d.Compared
			r.ConfidentRight += d.Right
			if len(d.Misses) > 0 {
				r.ConfidentWrong++
			}
		}
		if d.Template != "" {
			r.Templated++
		}
		r.Docs = append(r.Docs, d)
	}
	for _, f := range Fields {
		if s := stats[f]; s != nil {
			r.Fields = append(r.Fields, *s)
			delete(stats, f)
		}
	}
	for _, f := range order {
		if s := stats[f]; s != nil {
			r.Fields = append(r.Fields, *s)
		}
	}
	r.Scans = compareScans(labels, r.Docs)
	return r, nil
}

// compareScans pairs the scans among docs with their text versions, or
// returns nil when the labels name none.
func compareScans(labels []Label, docs []Doc) *Scans {
	byFile := map[string]Doc{}
	for _, d := range docs {
		byFile[d.File] = d
	}
	var s *Scans
	for _, lb := range labels {
		text, ok := byFile[lb.TextVersion]
		if lb.TextVersion == "" || !ok {
			continue
		}
		if s == nil {
			s = &Scans{}
		}
		d := byFile[lb.File]
		s.Pairs = append(s.Pairs, ScanPair{Scan: d.File, Text: text.File, OCRConfidence: d.OCRConfidence,
			Compared: text.Compared, Right: d.Right, TextRight: text.Right})
		s.Right += d.Right
		s.TextRight += text.Right
	}
	return s
}

// values renders each field for comparison: amounts to the cent, line items
// as one string.
func values(t schema.DocType, f *schema.Fields) map[string]string {
	amount := func(v *float64) string {
		if v == nil {
			return ""
		}
		return fmt.Sprintf("%.2f", math.Round(*v*100)/100)
	}
	items := ""
	for _, li := range f.LineItems {
		items += fmt.Sprintf("%s|%s|%s|%s;", li.Description, amount(li.Quantity), amount(li.UnitPrice), amount(li.Amount))
	}
	return map[string]string{
		"doc_type": string(t), "invoice_number": f.InvoiceNumber, "issue_date": f.IssueDate,
		"due_date": f.DueDate, "issuer": f.Issuer, "issuer_tax_id": f.IssuerTaxID, "iban": f.IBAN,
		"currency": f.Currency, "subtotal": amount(f.Subtotal), "tax": amount(f.Tax),
		"total": amount(f.Total), "line_items": items,
	}
}

// share renders right out of n as "right/n = p%".
func share(right, n int) string {
	if n == 0 {
		return "0/0"
	}
	return fmt.Sprintf("%d/%d = %.1f%%", right, n, 100*float64(right)/float64(n))
}

// Write prints the report as a table and a summary, followed by the
// documents that had a field wrong, with the value found and where, when
// verbose is set.
func (r *Report) Write(w io.Writer, verbose bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "FIELD\tCORRECT\tWRONG\tMISSED\tSPURIOUS\tACCURACY\t")
	for _, s := range r.Fields {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f%%\t\n", s.Field, s.Correct, s.Wrong, s.Missed, s.Spurious, 100*s.Accuracy())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	n := len(r.Docs)
	fmt.Fprintf(w, "%s: %d documents, %d with every field right, %d read with a template; fields right %s\n",
		r.Dir, n, r.Exact, r.Templated, share(r.Right, r.Compared))
	fmt.Fprintf(w, "accepted by the verdict: %d documents (%d of them with a field wrong); fields right among them %s\n",
		r.Confident, r.ConfidentWrong, share(r.ConfidentRight, r.ConfidentCompared))
	if s := r.Scans; s != nil {
		fmt.Fprintln(w, "scans beside their text versions:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  SCAN\tOCR CONFIDENCE\tRIGHT\tTEXT VERSION\tRIGHT\t")
		for _, p := range s.Pairs {
			fmt.Fprintf(tw, "  %s\t%.1f\t%d/%d\t%s\t%d/%d\t\n", p.Scan, p.OCRConfidence, p.Right, p.Compared, p.Text, p.TextRight, p.Compared)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "scans: %d fields right, their text versions %d: %.1f%%\n", s.Right, s.TextRight, 100*s.Share())
	}
	if !verbose {
		return nil
	}
	for _, d := range r.Docs {
		switch {
		case d.Error != "":
			fmt.Fprintf(w, "%s: %s\n", d.File, d.Error)
		case len(d.Misses) > 0:
			fmt.Fprintf(w, "%s (overall %.2f, accepted %t, template %q):\n", d.File, d.Overall, d.Confident, d.Template)
			for _, m := range d.Misses {
				where := ""
				if m.Span != nil {
					where = fmt.Sprintf(" at page %d line %d", m.Span.Page, m.Span.Line)
				}
				fmt.Fprintf(w, "  %s: want %q, got %q%s\n", m.Field, m.Want, m.Got, where)
			}
		}
	}
	return nil
}
