package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers"
)

// extraction is what `extract` reports per file.
type extraction struct {
	File           string             `json:"file"`
	MediaType      string             `json:"media_type,omitempty"`
	Pages          int                `json:"pages,omitempty"`
	DocType        string             `json:"doc_type,omitempty"`
	TypeConfidence float64            `json:"type_confidence,omitempty"`
	Complexity     float64            `json:"complexity,omitempty"`
	Fields         *schema.Fields     `json:"fields,omitempty"`
	Confidence     map[string]float64 `json:"confidence,omitempty"`
	Overall        float64            `json:"overall"`
	Valid          bool               `json:"valid"`
	Problems       []string           `json:"problems,omitempty"`
	Error          string             `json:"error,omitempty"`
	ErrorCode      string             `json:"error_code,omitempty"`
}

func cmdExtract(ctx context.Context, args []string, e *env) error {
	fs, output := newFlags("extract", e)
	args, err := parse(fs, output, args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return usagef("name at least one file")
	}
	var out []*extraction
	failed := 0
	for _, path := range args {
		x := extractFile(ctx, path)
		if x.Error != "" {
			failed++
			fmt.Fprintf(e.stderr, "starter extract: %s: %s\n", path, x.Error)
		}
		out = append(out, x)
	}
	if *output == "json" {
		err = writeJSON(e.stdout, out)
	} else {
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FILE\tTYPE\tCONFIDENCE\tVALID\tINVOICE\tISSUER\tDATE\tTOTAL\tPROBLEMS")
		for _, x := range out {
			if x.Error != "" {
				fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t%s\n", x.File, x.Error)
				continue
			}
			total := "-"
			if x.Fields.Total != nil {
				total = fmt.Sprintf("%.2f %s", *x.Fields.Total, x.Fields.Currency)
			}
			fmt.Fprintf(tw, "%s\t%s\t%.2f\t%t\t%s\t%s\t%s\t%s\t%d\n", x.File, x.DocType, x.Overall, x.Valid,
				x.Fields.InvoiceNumber, x.Fields.Issuer, x.Fields.IssueDate, total, len(x.Problems))
		}
		err = tw.Flush()
	}
	if err != nil {
		return err
	}
	if failed > 0 {
		return errReported
	}
	return nil
}

func extractFile(ctx context.Context, path string) *extraction {
	x := &extraction{File: path}
	data, err := os.ReadFile(path)
	if err != nil {
		x.Error = err.Error()
		return x
	}
	x.MediaType = parsers.DetectMediaType(path, data)
	doc, err := parsers.Parse(ctx, data, x.MediaType, parsers.DefaultLimits())
	if err != nil {
		x.Error = err.Error()
		if code, ok := parsers.CodeOf(err); ok {
			x.ErrorCode = string(code)
		}
		return x
	}
	cls := parsers.Classify(doc.Text)
	ex := parsers.ExtractRules(doc.Text, cls.Type)
	x.Pages, x.DocType, x.TypeConfidence, x.Complexity = doc.Pages, string(cls.Type), cls.Confidence, cls.Complexity
	x.Fields, x.Confidence, x.Overall = &ex.Fields, ex.Confidence, ex.Overall
	if err := schema.ValidateFields(cls.Type, &ex.Fields); err != nil {
		if ve, ok := err.(*schema.ValidationError); ok {
			x.Problems = ve.Problems
		} else {
			x.Problems = []string{err.Error()}
		}
	}
	x.Valid = len(x.Problems) == 0 && ex.Overall >= parsers.ConfidenceThreshold
	return x
}
