// Command einvoice-score measures the einvoice tier on a directory of
// e-invoice PDFs labelled by an expected.json (file name → invoice_number,
// issue_date, issuer, currency, total, amount_due, type_code): how many it
// completes, with which fields wrong, and why the others fall through.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dataforge/dataforge/einvoice"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/accuracy"
)

// outcome is one file's result.
type outcome struct {
	File      string   `json:"file"`
	Completed bool     `json:"completed"`
	Profile   string   `json:"profile,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	Wrong     []string `json:"wrong,omitempty"`
}

func main() {
	fs := flag.NewFlagSet("einvoice-score", flag.ContinueOnError)
	output := fs.String("output", "text", "text or json")
	if err := fs.Parse(os.Args[1:]); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: einvoice-score [--output json] DIR")
		os.Exit(2)
	}
	if err := run(fs.Arg(0), *output, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "einvoice-score:", err)
		os.Exit(1)
	}
}

func run(dir, output string, w io.Writer) error {
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		return err
	}
	var want map[string]accuracy.Expected
	if err := json.Unmarshal(raw, &want); err != nil {
		return fmt.Errorf("expected.json: %w", err)
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	var outs []outcome
	for _, n := range names {
		outs = append(outs, score(filepath.Join(dir, n), want[n]))
	}
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(outs)
	}
	completed, right := 0, 0
	profiles := map[string]int{}
	for _, o := range outs {
		if o.Completed {
			profiles[o.Profile]++
		}
		switch {
		case o.Completed && len(o.Wrong) == 0:
			completed++
			right++
		case o.Completed:
			completed++
			fmt.Fprintf(w, "WRONG  %s: %s\n", o.File, strings.Join(o.Wrong, "; "))
		default:
			fmt.Fprintf(w, "FALLS  %s: %s\n", o.File, o.Reason)
		}
	}
	fmt.Fprintf(w, "%d files: einvoice completes %d, %d with every field right; %d fall through\n",
		len(outs), completed, right, len(outs)-completed)
	keys := make([]string, 0, len(profiles))
	for k := range profiles {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-22s %d\n", k, profiles[k])
	}
	return nil
}

func score(path string, want accuracy.Expected) outcome {
	o := outcome{File: filepath.Base(path)}
	data, err := os.ReadFile(path)
	if err != nil {
		o.Reason = err.Error()
		return o
	}
	doc, err := parsers.Parse(context.Background(), data, parsers.DetectMediaType(path, data), parsers.DefaultLimits())
	if err != nil {
		o.Reason = "parse: " + err.Error()
		return o
	}
	if doc.EInvoice == nil {
		o.Reason = "no embedded e-invoice found"
		return o
	}
	inv, err := einvoice.Load(doc.EInvoice)
	if inv != nil {
		o.Profile = inv.Label()
	}
	if err != nil {
		o.Reason = err.Error()
		return o
	}
	o.Completed = true
	f := inv.Fields
	check := func(name, got, exp string) {
		if got != exp {
			o.Wrong = append(o.Wrong, fmt.Sprintf("%s %q, want %q", name, got, exp))
		}
	}
	amount := func(name string, got, exp *float64) {
		if (got == nil) != (exp == nil) || (got != nil && math.Abs(*got-*exp) > 0.005) {
			o.Wrong = append(o.Wrong, fmt.Sprintf("%s %s, want %s", name, show(got), show(exp)))
		}
	}
	check("invoice_number", f.InvoiceNumber, want.InvoiceNumber)
	check("issue_date", f.IssueDate, want.IssueDate)
	check("issuer", f.Issuer, want.Issuer)
	check("currency", f.Currency, want.Currency)
	check("type_code", inv.TypeCode, want.TypeCode)
	amount("total", f.Total, want.Total)
	amount("amount_due", inv.AmountDue, want.AmountDue)
	return o
}

func show(v *float64) string {
	if v == nil {
		return "none"
	}
	return fmt.Sprintf("%.2f", *v)
}
