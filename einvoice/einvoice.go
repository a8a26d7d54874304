// Package einvoice reads the structured invoices of EN 16931 — CII (Factur-X,
// ZUGFeRD 2, XRechnung), ZUGFeRD 1.0 and UBL 2.1 Invoice and CreditNote — and
// maps them to DataForge's fields. It checks the XML's own arithmetic and the
// business rules every tier's result must pass. It reads bounded, DTD-free
// XML only, and has no network and no Temporal.
package einvoice

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dataforge/dataforge/internal/schema"
)

// Syntax is the XML vocabulary of an e-invoice.
type Syntax string

// Syntaxes read.
const (
	SyntaxCII      Syntax = "CII"       // UN/CEFACT CrossIndustryInvoice D16B
	SyntaxZUGFeRD1 Syntax = "ZUGFeRD 1" // CrossIndustryDocument of ZUGFeRD 1.0
	SyntaxUBL      Syntax = "UBL"       // OASIS UBL 2.1 Invoice or CreditNote
)

// Code is a stable reason why an XML is not a usable e-invoice.
type Code string

// Failure codes.
const (
	CodeMalformed     Code = "malformed"      // not well-formed XML, or has a DTD
	CodeTooLarge      Code = "too_large"      // more than MaxBytes, or too many tokens
	CodeTooDeep       Code = "too_deep"       // nested deeper than MaxDepth
	CodeNotEInvoice   Code = "not_einvoice"   // well-formed, but not CII or UBL
	CodeIncomplete    Code = "incomplete"     // a required value is missing or unreadable
	CodeArithmetic    Code = "arithmetic"     // the XML's amounts do not add up
	CodeInvalidFields Code = "invalid_fields" // the mapped fields fail the business checks
)

// Error is why an XML was not read.
type Error struct {
	Code   Code
	Detail string
}

func (e *Error) Error() string { return "e-invoice " + string(e.Code) + ": " + e.Detail }

func newError(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the *Error in err's chain.
func CodeOf(err error) (Code, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Code, true
	}
	return "", false
}

// Invoice is an e-invoice mapped to DataForge's fields, with what EN 16931
// says beyond them.
type Invoice struct {
	Syntax Syntax `json:"syntax"`
	// Guideline is the specification identifier (BT-24): the CII guideline
	// ID or the UBL CustomizationID.
	Guideline string `json:"guideline"`
	// Profile is the guideline's short name: MINIMUM, BASIC WL, BASIC,
	// COMFORT, EN16931, EXTENDED, XRECHNUNG, PEPPOL, or the guideline itself.
	Profile string `json:"profile"`
	// TypeCode is the UNTDID 1001 document type (BT-3): 380 invoice, 381
	// credit note, 384 corrected invoice, 389 self-billed invoice, …
	TypeCode string `json:"type_code"`
	// CreditNote is set for credit notes (381, 396, 532 or a UBL CreditNote).
	CreditNote bool          `json:"credit_note"`
	Fields     schema.Fields `json:"fields"`
	Buyer      string        `json:"buyer,omitempty"`
	BuyerTaxID string        `json:"buyer_tax_id,omitempty"`
	// Amounts of the document totals beyond Fields; nil when absent.
	LineTotal  *float64 `json:"line_total,omitempty"`
	Allowances *float64 `json:"allowances,omitempty"`
	Charges    *float64 `json:"charges,omitempty"`
	Prepaid    *float64 `json:"prepaid,omitempty"`
	Rounding   *float64 `json:"rounding,omitempty"`
	// AmountDue is what remains to be paid (BT-115).
	AmountDue *float64 `json:"amount_due,omitempty"`
	// lineAmounts are the invoice lines' net amounts, before the document
	// level allowances and charges joined Fields.LineItems; taxParts are
	// the VAT breakdown's amounts.
	lineAmounts []float64
	taxParts    []float64
}

// Sniff returns the syntax of an XML document from its root element, or ""
// when data is not a CII, ZUGFeRD 1 or UBL invoice. It reads no further than
// the root's start tag and refuses DTDs.
func Sniff(data []byte) Syntax {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	d.CharsetReader = charsetReader
	for range 64 {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case xml.Directive:
			return ""
		case xml.StartElement:
			return syntaxOf(t.Name)
		}
	}
	return ""
}

// Namespaces of the root elements.
const (
	nsCII        = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
	nsZUGFeRD1   = "urn:ferd:CrossIndustryDocument:invoice:1p0"
	nsUBLInvoice = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	nsUBLCredit  = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
)

func syntaxOf(n xml.Name) Syntax {
	switch {
	case n.Local == "CrossIndustryInvoice" && n.Space == nsCII:
		return SyntaxCII
	case n.Local == "CrossIndustryDocument" && n.Space == nsZUGFeRD1:
		return SyntaxZUGFeRD1
	case n.Local == "Invoice" && n.Space == nsUBLInvoice, n.Local == "CreditNote" && n.Space == nsUBLCredit:
		return SyntaxUBL
	}
	return ""
}

// Read parses an e-invoice and maps it to fields. It fails with an *Error
// for XML that is malformed, too large or deep, not CII/UBL, or lacks a
// value every invoice has; it does not check the amounts (see Check).
func Read(data []byte) (*Invoice, error) {
	syntax := Sniff(data)
	root, err := parseTree(data)
	if err != nil {
		return nil, err
	}
	var inv *Invoice
	switch syntax {
	case SyntaxCII, SyntaxZUGFeRD1:
		inv, err = readCII(root, syntax)
	case SyntaxUBL:
		inv, err = readUBL(root)
	default:
		return nil, newError(CodeNotEInvoice, "root element <%s> is not a CII or UBL invoice", root.name)
	}
	if err != nil {
		return nil, err
	}
	inv.Profile = profileOf(inv.Guideline)
	inv.CreditNote = inv.CreditNote || creditNoteCodes[inv.TypeCode]
	var missing []string
	for name, v := range map[string]string{
		"invoice number (BT-1)": inv.Fields.InvoiceNumber, "issue date (BT-2)": inv.Fields.IssueDate,
		"seller name (BT-27)": inv.Fields.Issuer, "currency (BT-5)": inv.Fields.Currency,
	} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	if inv.Fields.Total == nil {
		missing = append(missing, "grand total (BT-112)")
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, newError(CodeIncomplete, "no %s", strings.Join(missing, ", "))
	}
	return inv, nil
}

// creditNoteCodes are the UNTDID 1001 codes of credit notes.
var creditNoteCodes = map[string]bool{"381": true, "396": true, "532": true, "261": true, "262": true}

// profileOf names the profile a guideline identifier points to.
func profileOf(guideline string) string {
	g := strings.ToLower(guideline)
	for _, p := range []struct{ key, name string }{
		{"xrechnung", "XRECHNUNG"}, {"extended", "EXTENDED"}, {"basicwl", "BASIC WL"}, {"basic", "BASIC"},
		{"minimum", "MINIMUM"}, {"comfort", "COMFORT"}, {"peppol", "PEPPOL"}, {"en16931", "EN16931"},
	} {
		if strings.Contains(g, p.key) {
			return p.name
		}
	}
	return guideline
}

// Label names the invoice's syntax and profile, e.g. "CII EN16931".
func (inv *Invoice) Label() string { return string(inv.Syntax) + " " + inv.Profile }

// Load reads and checks an e-invoice: Read, then Check.
func Load(data []byte) (*Invoice, error) {
	inv, err := Read(data)
	if err != nil {
		return nil, err
	}
	if err := inv.Check(); err != nil {
		return inv, err
	}
	return inv, nil
}

// Check verifies the invoice's own arithmetic (EN 16931 BR-CO-10, -13, -14,
// -15 and -16, within schema.Tolerance) and runs the business checks every
// tier's result must pass (schema.ValidateFields). A corrective document's
// negative totals are checked as their mirror image: the sign is the one
// thing e-invoices may do that other tiers' results may not.
func (inv *Invoice) Check() error {
	var p []string
	f := &inv.Fields
	if inv.LineTotal != nil && len(inv.lineAmounts) > 0 {
		if s := sum(inv.lineAmounts); !near(s, *inv.LineTotal) {
			p = append(p, fmt.Sprintf("line amounts sum to %.2f, line total is %.2f", s, *inv.LineTotal))
		}
	}
	if inv.LineTotal != nil && f.Subtotal != nil {
		if want := *inv.LineTotal - val(inv.Allowances) + val(inv.Charges); !near(want, *f.Subtotal) {
			p = append(p, fmt.Sprintf("line total %.2f − allowances %.2f + charges %.2f ≠ tax basis %.2f",
				*inv.LineTotal, val(inv.Allowances), val(inv.Charges), *f.Subtotal))
		}
	}
	if f.Tax != nil && len(inv.taxParts) > 0 {
		if s := sum(inv.taxParts); !near(s, *f.Tax) {
			p = append(p, fmt.Sprintf("VAT breakdown sums to %.2f, tax total is %.2f", s, *f.Tax))
		}
	}
	if f.Subtotal != nil && f.Total != nil {
		if want := *f.Subtotal + val(f.Tax); !near(want, *f.Total) {
			p = append(p, fmt.Sprintf("tax basis %.2f + tax %.2f ≠ grand total %.2f", *f.Subtotal, val(f.Tax), *f.Total))
		}
	}
	if inv.AmountDue != nil && f.Total != nil {
		if want := *f.Total - val(inv.Prepaid) + val(inv.Rounding); !near(want, *inv.AmountDue) {
			p = append(p, fmt.Sprintf("grand total %.2f − prepaid %.2f + rounding %.2f ≠ amount due %.2f",
				*f.Total, val(inv.Prepaid), val(inv.Rounding), *inv.AmountDue))
		}
	}
	if len(p) > 0 {
		return newError(CodeArithmetic, "%s", strings.Join(p, "; "))
	}
	checked := *f
	if f.Total != nil && *f.Total < 0 {
		checked = mirrored(*f)
	}
	if err := schema.ValidateFields(schema.Invoice, &checked); err != nil {
		var ve *schema.ValidationError
		if errors.As(err, &ve) {
			return newError(CodeInvalidFields, "%s", strings.Join(ve.Problems, "; "))
		}
		return err
	}
	return nil
}

// mirrored returns f with every amount's sign flipped.
func mirrored(f schema.Fields) schema.Fields {
	f.Subtotal, f.Tax, f.Total = neg(f.Subtotal), neg(f.Tax), neg(f.Total)
	items := make([]schema.LineItem, len(f.LineItems))
	for i, li := range f.LineItems {
		li.UnitPrice, li.Amount = neg(li.UnitPrice), neg(li.Amount)
		items[i] = li
	}
	f.LineItems = items
	return f
}

func neg(v *float64) *float64 {
	if v == nil {
		return nil
	}
	n := -*v
	return &n
}

func val(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}

func sum(vs []float64) float64 {
	var s float64
	for _, v := range vs {
		s += v
	}
	return s
}

func near(a, b float64) bool { return a-b <= schema.Tolerance && b-a <= schema.Tolerance }

// Text renders the invoice as plain labelled lines: the visible text of a
// bare XML document, for classification, summaries and reviewers.
func (inv *Invoice) Text() string {
	var b strings.Builder
	line := func(label, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", label, v)
		}
	}
	amount := func(label string, v *float64) {
		if v != nil {
			line(label, fmt.Sprintf("%.2f %s", *v, inv.Fields.Currency))
		}
	}
	kind := "Invoice"
	if inv.CreditNote {
		kind = "Credit note"
	}
	f := inv.Fields
	fmt.Fprintf(&b, "%s (e-invoice, %s %s, type code %s)\n\n", kind, inv.Syntax, inv.Profile, inv.TypeCode)
	line("Invoice number", f.InvoiceNumber)
	line("Invoice date", f.IssueDate)
	line("Due date", f.DueDate)
	line("Seller", f.Issuer)
	line("VAT ID", f.IssuerTaxID)
	line("Buyer", inv.Buyer)
	line("Buyer VAT ID", inv.BuyerTaxID)
	line("IBAN", f.IBAN)
	line("Currency", f.Currency)
	if len(f.LineItems) > 0 {
		b.WriteString("\nDescription\tQuantity\tUnit price\tAmount\n")
		for _, li := range f.LineItems {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", li.Description, num(li.Quantity), num(li.UnitPrice), num(li.Amount))
		}
		b.WriteString("\n")
	}
	amount("Subtotal", f.Subtotal)
	amount("Tax", f.Tax)
	amount("Total", f.Total)
	amount("Prepaid", inv.Prepaid)
	amount("Amount due", inv.AmountDue)
	return b.String()
}

func num(v *float64) string {
	if v == nil {
		return ""
	}
	return fmt.Sprintf("%.2f", *v)
}
