package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/dataforge/dataforge/einvoice"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/templates"
)

// extraction is what `extract` reports per file.
type extraction struct {
	File           string  `json:"file"`
	MediaType      string  `json:"media_type,omitempty"`
	Pages          int     `json:"pages,omitempty"`
	DocType        string  `json:"doc_type,omitempty"`
	TypeConfidence float64 `json:"type_confidence,omitempty"`
	Complexity     float64 `json:"complexity,omitempty"`
	// Tier is what read the fields: einvoice (the document's EN 16931
	// XML) or rules. Profile, TypeCode and AmountDue come from the XML;
	// EInvoiceProblem says why an XML that is there was not used.
	Tier            string   `json:"tier"`
	Profile         string   `json:"profile,omitempty"`
	TypeCode        string   `json:"type_code,omitempty"`
	AmountDue       *float64 `json:"amount_due,omitempty"`
	EInvoiceProblem string   `json:"einvoice_problem,omitempty"`
	// Template names the issuer template that matched; TemplateProblems
	// lists its fields it could not read (the rules looked for them).
	Template         string                  `json:"template,omitempty"`
	TemplateProblems []string                `json:"template_problems,omitempty"`
	Fields           *schema.Fields          `json:"fields,omitempty"`
	Confidence       map[string]float64      `json:"confidence,omitempty"`
	Spans            map[string]parsers.Span `json:"spans,omitempty"`
	Overall          float64                 `json:"overall"`
	Valid            bool                    `json:"valid"`
	Problems         []string                `json:"problems,omitempty"`
	Error            string                  `json:"error,omitempty"`
	ErrorCode        string                  `json:"error_code,omitempty"`
}

// extractFlags are the flags of extract.
type extractFlags struct {
	templates  string
	noEInvoice bool
}

func newExtractCmd(e *env, p *printer) *cobra.Command {
	var fl extractFlags
	cmd := &cobra.Command{
		Use:   "extract FILE...",
		Short: "Parse, classify and read the fields of documents locally, without Temporal",
		Long: `extract parses documents (in a sandbox), classifies them and reads their fields as the
pipeline's first tiers do: the embedded e-invoice XML when there is a valid one, else
the rules, with the issuer templates of --templates. It needs neither Temporal nor
Postgres.`,
		Example: `  starter extract a.pdf --output json
  starter extract --templates samples/templates invoices/*.pdf`,
		Args: needArgs("name at least one file"),
		RunE: func(cmd *cobra.Command, args []string) error { return runExtract(cmd.Context(), e, p, &fl, args) },
	}
	cmd.Flags().StringVar(&fl.templates, "templates", e.cfg.Templates, "issuer templates in `DIR` (default $DATAFORGE_TEMPLATES)")
	cmd.Flags().BoolVar(&fl.noEInvoice, "no-einvoice", false, "ignore embedded e-invoice XML: read the visible text with the rules")
	return cmd
}

func runExtract(ctx context.Context, e *env, p *printer, fl *extractFlags, args []string) error {
	var set *templates.Set
	if fl.templates != "" {
		var err error
		if set, err = templates.LoadDir(fl.templates); err != nil {
			return fmt.Errorf("templates: %w (starter templates check %s)", err, fl.templates)
		}
	}
	var out []*extraction
	failed := 0
	for _, path := range args {
		x := extractFile(ctx, e.parse, path, set, !fl.noEInvoice)
		if x.Error != "" {
			failed++
			fmt.Fprintf(e.stderr, "starter extract: %s: %s\n", path, x.Error)
		}
		out = append(out, x)
	}
	if err := p.Print(out, func() error { return writeExtractions(p, out) }); err != nil {
		return err
	}
	if failed > 0 {
		return errReported
	}
	return nil
}

// writeExtractions writes what extract prints as text.
func writeExtractions(p *printer, out []*extraction) error {
	tw := p.Table()
	fmt.Fprintln(tw, "FILE\tTYPE\tCONFIDENCE\tVALID\tTIER\tTEMPLATE\tINVOICE\tISSUER\tDATE\tTOTAL\tPROBLEMS")
	for _, x := range out {
		if x.Error != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\n", x.File, x.Error)
			continue
		}
		total, tpl, tier := "-", "-", x.Tier
		if x.Fields.Total != nil {
			total = fmt.Sprintf("%.2f %s", *x.Fields.Total, x.Fields.Currency)
		}
		if x.Template != "" {
			tpl = x.Template
		}
		if x.Tier == "einvoice" {
			tier += " (" + x.Profile + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%t\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", x.File, x.DocType, x.Overall, x.Valid,
			tier, tpl, x.Fields.InvoiceNumber, x.Fields.Issuer, x.Fields.IssueDate, total, len(x.Problems))
		if x.EInvoiceProblem != "" {
			fmt.Fprintf(tw, "  e-invoice not used: %s\n", x.EInvoiceProblem)
		}
	}
	return tw.Flush()
}

// extractFile parses (with parse), classifies and extracts one file, with
// the templates of set (which may be nil). With useEInvoice, an e-invoice's
// XML is read first, as the einvoice tier does; the rules read the text when
// it is absent or not valid.
func extractFile(ctx context.Context, parse parsers.ParseFunc, path string, set *templates.Set, useEInvoice bool) *extraction {
	x := &extraction{File: path}
	data, err := os.ReadFile(path)
	if err != nil {
		x.Error = err.Error()
		return x
	}
	x.MediaType = parsers.DetectMediaType(path, data)
	doc, err := parse(ctx, data, x.MediaType, parsers.DefaultLimits())
	if err != nil {
		x.Error = err.Error()
		if code, ok := parsers.CodeOf(err); ok {
			x.ErrorCode = string(code)
		}
		return x
	}
	if useEInvoice && doc.EInvoice != nil {
		inv, err := einvoice.Load(doc.EInvoice)
		if inv != nil {
			x.Profile, x.TypeCode, x.AmountDue = inv.Label(), inv.TypeCode, inv.AmountDue
		}
		if err == nil {
			x.Pages, x.DocType, x.TypeConfidence, x.Tier = doc.Pages, string(schema.Invoice), 1, "einvoice"
			x.Fields, x.Overall, x.Valid = &inv.Fields, 1, true
			return x
		}
		x.EInvoiceProblem = err.Error()
	}
	x.Tier = "rules"
	cls := set.Classify(doc.Text)
	ex := set.Extract(doc.Text, cls.Type)
	x.TemplateProblems = ex.TemplateProblems
	x.Pages, x.DocType, x.TypeConfidence, x.Complexity = doc.Pages, string(cls.Type), cls.Confidence, cls.Complexity
	x.Template, x.Fields, x.Confidence, x.Spans, x.Overall = ex.Template, &ex.Fields, ex.Confidence, ex.Spans, ex.Overall
	v := parsers.Judge(ex, cls.Type, cls.Confidence)
	x.Valid, x.Problems = v.OK, v.Problems
	if !v.OK && len(v.Problems) == 0 {
		x.Problems = []string{v.Detail}
	}
	return x
}
