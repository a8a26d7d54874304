// Package accuracy measures the rules tier on a labelled set: documents with
// an expected.json that gives their true fields (the format of package
// samples). It parses and classifies each document as the pipeline does,
// extracts its fields and compares them, field by field, with the truth.
package accuracy

import (
	"context"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/samples"
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

// Doc is the outcome of one document.
type Doc struct {
	File      string   `json:"file"`
	Template  string   `json:"template,omitempty"`
	Overall   float64  `json:"overall"`
	Confident bool     `json:"confident"` // the rules tier would accept it (parsers.Judge)
	Wrong     []string `json:"wrong,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// Report is the outcome of a labelled set.
type Report struct {
	Dir    string      `json:"dir"`
	Fields []FieldStat `json:"fields"`
	Docs   []Doc       `json:"docs"`
	// Exact counts the documents whose every field is right; Confident
	// those the rules tier would accept; ConfidentWrong those it would
	// accept with a field wrong, the costly mistake.
	Exact, Confident, ConfidentWrong, Templated int
}

// Evaluate runs tier over the labelled documents in dir: those with
// expected fields that parse (with parse), but for e-invoices, which the
// einvoice tier reads from their XML.
func Evaluate(ctx context.Context, dir string, tier Tier, parse parsers.ParseFunc) (*Report, error) {
	list, err := samples.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	r := &Report{Dir: dir}
	stats := map[string]*FieldStat{}
	for _, f := range Fields {
		stats[f] = &FieldStat{Field: f}
	}
	for _, e := range list {
		if e.Fields == nil || e.ParseError != "" || e.Outcome == samples.OutcomeEInvoice {
			continue
		}
		d := Doc{File: e.File}
		data, err := e.Read()
		if err != nil {
			return nil, err
		}
		parsed, err := parse(ctx, data, parsers.DetectMediaType(e.File, data), parsers.DefaultLimits())
		if err != nil {
			d.Error = err.Error()
			r.Docs = append(r.Docs, d)
			continue
		}
		cls := tier.Classify(parsed.Text)
		x := tier.Extract(parsed.Text, cls.Type)
		d.Template, d.Overall = x.Template, x.Overall
		d.Confident = parsers.Judge(x, cls.Type, cls.Confidence).OK
		want, got := values(e.Type, e.Fields), values(cls.Type, &x.Fields)
		for _, f := range Fields {
			s := stats[f]
			w, g := want[f], got[f]
			switch {
			case w == "" && g == "":
				continue
			case w == g:
				s.Correct++
				continue
			case g == "":
				s.Missed++
			case w == "":
				s.Spurious++
			default:
				s.Wrong++
			}
			d.Wrong = append(d.Wrong, fmt.Sprintf("%s: want %q, got %q", f, w, g))
		}
		if len(d.Wrong) == 0 {
			r.Exact++
		}
		if d.Confident {
			r.Confident++
			if len(d.Wrong) > 0 {
				r.ConfidentWrong++
			}
		}
		if d.Template != "" {
			r.Templated++
		}
		r.Docs = append(r.Docs, d)
	}
	for _, f := range Fields {
		r.Fields = append(r.Fields, *stats[f])
	}
	return r, nil
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

// Write prints the report as a table, followed by the documents that had a
// field wrong when verbose is set.
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
	fmt.Fprintf(w, "%s: %d documents, %d with every field right, %d confident (%d of them with a field wrong), %d read with a template\n",
		r.Dir, n, r.Exact, r.Confident, r.ConfidentWrong, r.Templated)
	if !verbose {
		return nil
	}
	for _, d := range r.Docs {
		switch {
		case d.Error != "":
			fmt.Fprintf(w, "%s: %s\n", d.File, d.Error)
		case len(d.Wrong) > 0:
			fmt.Fprintf(w, "%s (overall %.2f, template %q):\n", d.File, d.Overall, d.Template)
			for _, s := range d.Wrong {
				fmt.Fprintf(w, "  %s\n", s)
			}
		}
	}
	return nil
}
