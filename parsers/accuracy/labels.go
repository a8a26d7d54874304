package accuracy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/dataforge/dataforge/internal/schema"
)

// LabelFile is the name of the file that holds a directory's labels.
const LabelFile = "expected.json"

// Label is the truth about one document of a labelled directory.
type Label struct {
	File string
	// Type is the document's type, or empty when the labels do not say.
	Type schema.DocType
	// Fields are the true values; only those named in Compare are scored.
	Fields  schema.Fields
	Compare []string
	// OCR marks a scan, which parses only with OCR; TextVersion names
	// the same document with a text layer, to compare the scan with.
	OCR         bool
	TextVersion string
}

// coreFields are the fields a label in the flat format gives.
var coreFields = []string{"invoice_number", "issue_date", "issuer", "currency", "total"}

// Load reads dir's expected.json, in either of two formats:
//
//   - a list of documents, as the samples' generator writes it: {"file",
//     "type", "parse_error", "fields": {…schema.Fields…}}; documents that
//     should not parse or have no fields are left out, and every field is
//     scored;
//   - an object keyed by file name, as a person labels a folder of
//     invoices: {"invoice_number", "issue_date" (ISO), "issuer",
//     "currency", "total", "amount_due", "type_code"}; the five core fields
//     are scored (amount_due and type_code are read but not scored).
func Load(dir string) ([]Label, error) {
	path := filepath.Join(dir, LabelFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Label
	switch t := bytes.TrimSpace(b); {
	case len(t) > 0 && t[0] == '[':
		var list []struct {
			File        string         `json:"file"`
			Type        schema.DocType `json:"type"`
			ParseError  string         `json:"parse_error"`
			Outcome     string         `json:"outcome"`
			Fields      *schema.Fields `json:"fields"`
			OCR         bool           `json:"ocr"`
			TextVersion string         `json:"text_version"`
		}
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, e := range list {
			// E-invoices are read from their XML by their own tier.
			if e.Fields != nil && e.ParseError == "" && e.Outcome != "einvoice" {
				out = append(out, Label{File: e.File, Type: e.Type, Fields: *e.Fields, Compare: Fields, OCR: e.OCR, TextVersion: e.TextVersion})
			}
		}
	default:
		var m map[string]Expected
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for file, e := range m {
			out = append(out, Label{File: file, Compare: coreFields, Fields: schema.Fields{
				InvoiceNumber: e.InvoiceNumber, IssueDate: e.IssueDate, Issuer: e.Issuer,
				Currency: e.Currency, Total: e.Total,
			}})
		}
		slices.SortFunc(out, func(a, b Label) int { return strings.Compare(a.File, b.File) })
	}
	return out, nil
}

// Same reports whether a found value of a field equals the true one, as a
// person checking the result would judge it. Both are rendered as by
// values: invoice numbers and other text compare exactly after trimming
// spaces; dates are ISO already; amounts are rounded to the cent; the
// issuer compares after NormaliseIssuer.
func Same(field, want, got string) bool {
	if field == "issuer" {
		return NormaliseIssuer(want) == NormaliseIssuer(got)
	}
	return strings.TrimSpace(want) == strings.TrimSpace(got)
}

// legalForms maps the spellings of legal forms to one: "G.m.b.H." and
// "GmbH" are the same company, and so are "Ltd." and "Limited".
var legalForms = map[string]string{
	"limited": "ltd", "incorporated": "inc", "corporation": "corp", "company": "co",
	"gesellschaft mit beschränkter haftung": "gmbh", "besloten vennootschap": "bv",
	"naamloze vennootschap": "nv", "aktiengesellschaft": "ag",
}

// NormaliseIssuer puts a company name in a form where spelling variants
// meet: lower case; letters and digits only, words separated by one space
// (punctuation, line breaks and runs of spaces dropped, so "B.V." is "bv",
// "S.A.S." is "sas" and "a. G." is "ag"); long legal forms shortened ("Limited" is "ltd",
// "Aktiengesellschaft" is "ag").
func NormaliseIssuer(s string) string {
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return unicode.IsSpace(r) || r == ',' || r == '/' || r == '(' || r == ')' || r == '-' || r == '&'
	}) {
		w = strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return r
			}
			return -1
		}, w)
		switch {
		case w == "":
		case len([]rune(w)) == 1 && len(words) > 0 && len([]rune(words[len(words)-1])) == 1:
			words[len(words)-1] += w // "a. G." is "aG"
		default:
			words = append(words, w)
		}
	}
	n := " " + strings.Join(words, " ") + " "
	for long, short := range legalForms {
		n = strings.ReplaceAll(n, " "+long+" ", " "+short+" ")
	}
	return strings.TrimSpace(n)
}

// Expected is one file's truth in a folder labelled by file name: what
// expected.json maps each file name to.
type Expected struct {
	InvoiceNumber string   `json:"invoice_number"`
	IssueDate     string   `json:"issue_date"`
	Issuer        string   `json:"issuer"`
	Currency      string   `json:"currency"`
	Total         *float64 `json:"total"`
	AmountDue     *float64 `json:"amount_due"`
	TypeCode      string   `json:"type_code"`
}

// Wrong lists the scored fields whose value in got (of type t) is not the
// true one: wrong, missed or spurious, as Evaluate counts them.
func (l Label) Wrong(t schema.DocType, got *schema.Fields) []string {
	want, found := values(l.Type, &l.Fields), values(t, got)
	var out []string
	for _, f := range l.Compare {
		if w, g := want[f], found[f]; (w != "" || g != "") && !Same(f, w, g) {
			out = append(out, f)
		}
	}
	return out
}
