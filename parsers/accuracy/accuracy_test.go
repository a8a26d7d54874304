package accuracy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/templates"
	"github.com/dataforge/dataforge/samples"
)

// TestAccuracy runs the rules tier over the samples and the labelled set,
// logs the per-field report (go test -v shows it) and guards against
// regressions.
func TestAccuracy(t *testing.T) {
	t.Parallel()
	set, err := templates.LoadDir(filepath.Join(samples.Dir(), "templates"))
	require.NoError(t, err)
	for _, tc := range []struct {
		name     string
		dir      string
		tier     Tier
		minField float64 // lowest accuracy of any field
		minExact int     // documents with every field right
	}{
		{"samples", samples.Dir(), Rules{}, 1, 9},
		{"labelled, rules alone", samples.LabelledDir(), Rules{}, 0.8, 50},
		{"labelled, with templates", samples.LabelledDir(), set, 0.94, 56},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := Evaluate(context.Background(), tc.dir, tc.tier, parsers.Parse)
			require.NoError(t, err)
			var out bytes.Buffer
			require.NoError(t, r.Write(&out, true))
			t.Log("\n" + out.String())
			for _, f := range r.Fields {
				require.GreaterOrEqual(t, f.Accuracy(), tc.minField, "%s: %+v", tc.name, f)
			}
			require.GreaterOrEqual(t, r.Exact, tc.minExact)
			for _, d := range r.Docs {
				if d.OCR { // parsers.Parse has no OCR: parsers/ocr scores the scans
					require.Equal(t, parsers.CodeNoText, d.ErrorCode, d.File)
					continue
				}
				require.Empty(t, d.Error, d.File)
			}
		})
	}
}

// TestLoadFlat reads a directory labelled the way a person labels a folder
// of invoices (an object keyed by file name) and scores the five core
// fields, with the comparison rules of Same.
func TestLoadFlat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	doc := "ACME Trading B.V.\nInvoice number: INV-77\nInvoice date: 2024-03-05\n" +
		"Subtotal EUR 100.00\nVAT 21% EUR 21.00\nTotal EUR 121.00\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte(doc), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, LabelFile), []byte(`{
	  "a.txt": {"invoice_number": "INV-77", "issue_date": "2024-03-05", "issuer": "ACME  trading BV",
	            "currency": "EUR", "total": 121.0, "amount_due": null, "type_code": "380"}
	}`), 0o644))
	r, err := Evaluate(context.Background(), dir, Rules{}, parsers.Parse)
	require.NoError(t, err)
	require.Len(t, r.Docs, 1)
	require.Equal(t, 5, r.Compared)
	require.Equal(t, 5, r.Right, "%+v", r.Docs[0].Misses)
	var names []string
	for _, f := range r.Fields {
		names = append(names, f.Field)
	}
	require.Equal(t, []string{"invoice_number", "issue_date", "issuer", "currency", "total"}, names)
}

// TestScansBesideText: a document labelled with its text version is put
// beside it, and the share of the fields the text version gets right is
// reported.
func TestScansBesideText(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	doc := "ACME Trading B.V.\nInvoice number: INV-77\nInvoice date: 2024-03-05\n" +
		"Subtotal EUR 100.00\nVAT 21% EUR 21.00\nTotal EUR 121.00\n"
	misread := strings.Replace(doc, "INV-77", "lNV-7?", 1) // as a poor OCR might
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte(doc), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a-scan.txt"), []byte(misread), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, LabelFile), []byte(`[
	  {"file": "a.txt", "type": "invoice", "outcome": "rules", "fields": {"invoice_number": "INV-77",
	   "issue_date": "2024-03-05", "issuer": "ACME Trading B.V.", "currency": "EUR", "subtotal": 100, "tax": 21, "total": 121}},
	  {"file": "a-scan.txt", "type": "invoice", "outcome": "rules", "ocr": true, "text_version": "a.txt", "fields": {"invoice_number": "INV-77",
	   "issue_date": "2024-03-05", "issuer": "ACME Trading B.V.", "currency": "EUR", "subtotal": 100, "tax": 21, "total": 121}}
	]`), 0o644))
	r, err := Evaluate(context.Background(), dir, Rules{}, parsers.Parse)
	require.NoError(t, err)
	require.NotNil(t, r.Scans)
	require.Len(t, r.Scans.Pairs, 1)
	p := r.Scans.Pairs[0]
	require.Equal(t, "a-scan.txt", p.Scan)
	require.Equal(t, "a.txt", p.Text)
	require.Equal(t, p.Compared, p.TextRight, "the text version is read right")
	require.Equal(t, p.TextRight-1, p.Right, "the scan misses the number")
	require.InDelta(t, float64(p.Right)/float64(p.TextRight), r.Scans.Share(), 1e-9)
	var out bytes.Buffer
	require.NoError(t, r.Write(&out, false))
	require.Contains(t, out.String(), fmt.Sprintf("scans: %d fields right, their text versions %d:", p.Right, p.TextRight))
}

func TestSame(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		field, want, got string
		same             bool
	}{
		{"issuer", "Lieferant GmbH", "LIEFERANT G.m.b.H.", true},
		{"issuer", "MVM Musterhafter\nVersicherungsverein a.G.", "MVM Musterhafter Versicherungsverein a. G.", true},
		{"issuer", "Redbrick Print Works Limited", "Redbrick Print Works Ltd.", true},
		{"issuer", "Van Dijk B.V.", "Van Dijk", false},
		{"invoice_number", " 471102 ", "471102", true},
		{"invoice_number", "INV-7", "inv-7", false},
		{"total", "121.00", "121.00", true},
	} {
		require.Equal(t, tc.same, Same(tc.field, tc.want, tc.got), "%+v", tc)
	}
}

func TestWrong(t *testing.T) {
	t.Parallel()
	total, other := 121.0, 112.0
	l := Label{Type: "invoice", Compare: coreFields, Fields: schema.Fields{
		InvoiceNumber: "INV-77", Issuer: "ACME Trading B.V.", Currency: "EUR", Total: &total}}
	require.Empty(t, l.Wrong("invoice", &schema.Fields{InvoiceNumber: "INV-77", Issuer: "ACME trading BV", Currency: "EUR", Total: &total}))
	require.Equal(t, []string{"invoice_number", "issue_date", "total"},
		l.Wrong("invoice", &schema.Fields{Issuer: "ACME Trading B.V.", IssueDate: "2024-03-05", Currency: "EUR", Total: &other}),
		"missed, spurious and wrong values all count")
}
