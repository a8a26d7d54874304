// Package schema holds the one definition of what DataForge extracts: the
// document types, the JSON Schema of each type's fields (used for LLM
// structured outputs, for validating every tier's output and for the review
// form) and the business checks a result must pass before it is stored.
package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// DocType is the kind of a document.
type DocType string

// Document types.
const (
	Invoice DocType = "invoice"
	Receipt DocType = "receipt"
	Other   DocType = "other"
)

// Types lists every document type.
var Types = []DocType{Invoice, Receipt, Other}

// ParseDocType returns the type named s, or an error.
func ParseDocType(s string) (DocType, error) {
	for _, t := range Types {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown document type %q (want invoice, receipt or other)", s)
}

// LineItem is one row of a document's item table.
type LineItem struct {
	Description string   `json:"description"`
	Quantity    *float64 `json:"quantity"`
	UnitPrice   *float64 `json:"unit_price"`
	Amount      *float64 `json:"amount"`
}

// Fields are the structured data extracted from a document. Dates are ISO
// 8601 (YYYY-MM-DD), amounts are decimals in Currency, an ISO 4217 code.
// Absent values are empty strings or nil.
type Fields struct {
	InvoiceNumber string     `json:"invoice_number"`
	IssueDate     string     `json:"issue_date"`
	DueDate       string     `json:"due_date"`
	Issuer        string     `json:"issuer"`
	IssuerTaxID   string     `json:"issuer_tax_id"`
	IBAN          string     `json:"iban"`
	Currency      string     `json:"currency"`
	Subtotal      *float64   `json:"subtotal"`
	Tax           *float64   `json:"tax"`
	Total         *float64   `json:"total"`
	LineItems     []LineItem `json:"line_items"`
}

//go:embed *.schema.json
var files embed.FS

var (
	compileOnce sync.Once
	compiled    map[string]*jsonschema.Schema
	compileErr  error
)

// JSON returns the JSON Schema of a document type's fields, in the strict
// form OpenAI structured outputs accept (every property required, absent
// values null, no additional properties).
func JSON(t DocType) (json.RawMessage, error) {
	if _, err := ParseDocType(string(t)); err != nil {
		return nil, err
	}
	return files.ReadFile(string(t) + ".schema.json")
}

// schemaNames are the embedded schemas: one per document type, and the
// outputs of the classify and summarize tasks.
var schemaNames = []string{string(Invoice), string(Receipt), string(Other), "classification", "summary"}

func compile() {
	c := jsonschema.NewCompiler()
	compiled = map[string]*jsonschema.Schema{}
	for _, name := range schemaNames {
		raw, err := files.ReadFile(name + ".schema.json")
		if err != nil {
			compileErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			compileErr = fmt.Errorf("schema %s: %w", name, err)
			return
		}
		url := name + ".schema.json"
		if err := c.AddResource(url, doc); err != nil {
			compileErr = fmt.Errorf("schema %s: %w", name, err)
			return
		}
		s, err := c.Compile(url)
		if err != nil {
			compileErr = fmt.Errorf("schema %s: %w", name, err)
			return
		}
		compiled[name] = s
	}
}

// validateAgainst checks raw JSON against the named embedded schema.
func validateAgainst(name string, raw []byte) error {
	compileOnce.Do(compile)
	if compileErr != nil {
		return compileErr
	}
	s, ok := compiled[name]
	if !ok {
		return fmt.Errorf("no schema %q", name)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return &ValidationError{Problems: []string{"not JSON: " + err.Error()}}
	}
	if err := s.Validate(inst); err != nil {
		return &ValidationError{Problems: schemaProblems(err)}
	}
	return nil
}

// ValidationError lists every problem found in a candidate result.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "invalid fields: " + strings.Join(e.Problems, "; ")
}

// Validate checks raw JSON against the type's schema and business rules and
// returns the decoded fields. A failure is a *ValidationError, whose problems
// are meant to be shown to a reviewer or sent back to a model for repair.
func Validate(t DocType, raw []byte) (*Fields, error) {
	if _, err := JSON(t); err != nil {
		return nil, err
	}
	if err := validateAgainst(string(t), raw); err != nil {
		return nil, err
	}
	var f Fields
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, &ValidationError{Problems: []string{err.Error()}}
	}
	if p := Check(t, &f); len(p) > 0 {
		return nil, &ValidationError{Problems: p}
	}
	return &f, nil
}

// ValidateFields is Validate for fields already in Go form.
func ValidateFields(t DocType, f *Fields) error {
	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	_, err = Validate(t, raw)
	return err
}

var english = message.NewPrinter(language.English)

func schemaProblems(err error) []string {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []string{err.Error()}
	}
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			out = append(out, fmt.Sprintf("%s: %s", loc, e.ErrorKind.LocalizedString(english)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}

// required lists, per type, the fields a result must have.
var required = map[DocType][]string{
	Invoice: {"invoice_number", "issue_date", "issuer", "total", "currency"},
	Receipt: {"issue_date", "issuer", "total", "currency"},
}

// Required returns the JSON names of the fields a result of type t must
// have (none for other).
func Required(t DocType) []string { return slices.Clone(required[t]) }

// Tolerance is how far sums may differ from the totals they should add up to.
const Tolerance = 0.02

// Check runs the business rules on decoded fields: the values a type requires
// are present, dates parse and are ordered, the currency is an ISO 4217 code,
// and line items and tax add up to the totals within Tolerance.
func Check(t DocType, f *Fields) []string {
	var p []string
	present := map[string]bool{
		"invoice_number": strings.TrimSpace(f.InvoiceNumber) != "",
		"issue_date":     f.IssueDate != "",
		"issuer":         strings.TrimSpace(f.Issuer) != "",
		"total":          f.Total != nil,
		"currency":       f.Currency != "",
	}
	for _, name := range Required(t) {
		if !present[name] {
			p = append(p, name+": required")
		}
	}
	issue, okIssue := checkDate(&p, "issue_date", f.IssueDate)
	due, okDue := checkDate(&p, "due_date", f.DueDate)
	if okIssue && okDue && due.Before(issue) {
		p = append(p, "due_date: before issue_date")
	}
	if f.Currency != "" && !IsCurrency(f.Currency) {
		p = append(p, fmt.Sprintf("currency: %q is not an ISO 4217 code", f.Currency))
	}
	if f.Total != nil && *f.Total < 0 {
		p = append(p, "total: negative")
	}
	if f.Subtotal != nil && f.Tax != nil && f.Total != nil && !near(*f.Subtotal+*f.Tax, *f.Total) {
		p = append(p, fmt.Sprintf("total: subtotal %.2f + tax %.2f ≠ total %.2f", *f.Subtotal, *f.Tax, *f.Total))
	}
	if sum, ok := lineSum(f.LineItems); ok {
		switch {
		case f.Subtotal != nil:
			if !near(sum, *f.Subtotal) {
				p = append(p, fmt.Sprintf("line_items: amounts sum to %.2f, subtotal is %.2f", sum, *f.Subtotal))
			}
		case f.Total != nil && f.Tax == nil:
			if !near(sum, *f.Total) {
				p = append(p, fmt.Sprintf("line_items: amounts sum to %.2f, total is %.2f", sum, *f.Total))
			}
		}
	}
	for i, li := range f.LineItems {
		if li.Quantity != nil && li.UnitPrice != nil && li.Amount != nil && !near(*li.Quantity**li.UnitPrice, *li.Amount) {
			p = append(p, fmt.Sprintf("line_items/%d: quantity × unit price ≠ amount", i))
		}
	}
	return p
}

func checkDate(p *[]string, name, v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		*p = append(*p, fmt.Sprintf("%s: %q is not a date (YYYY-MM-DD)", name, v))
		return time.Time{}, false
	}
	return d, true
}

func lineSum(items []LineItem) (float64, bool) {
	if len(items) == 0 {
		return 0, false
	}
	var sum float64
	for _, li := range items {
		if li.Amount == nil {
			return 0, false
		}
		sum += *li.Amount
	}
	return sum, true
}

func near(a, b float64) bool { return math.Abs(a-b) <= Tolerance }
