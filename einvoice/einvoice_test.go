package einvoice_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/einvoice"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/samples"
)

// generated is one document of the generator's e-invoice set.
type generated struct {
	File     string        `json:"file"`
	Profile  string        `json:"profile"`
	TypeCode string        `json:"type_code"`
	Fields   schema.Fields `json:"fields"`
}

func loadSet(t *testing.T) []generated {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(samples.EInvoiceDir(), samples.ExpectedFile))
	require.NoError(t, err)
	var set []generated
	require.NoError(t, json.Unmarshal(raw, &set))
	require.NotEmpty(t, set)
	return set
}

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(samples.EInvoiceDir(), name))
	require.NoError(t, err)
	return data
}

// TestGeneratedSet reads every profile of CII, ZUGFeRD 1.0 and UBL invoice
// and credit note, and checks the fields, profile and type.
func TestGeneratedSet(t *testing.T) {
	t.Parallel()
	profiles := map[string]bool{}
	for _, g := range loadSet(t) {
		t.Run(g.File, func(t *testing.T) {
			inv, err := einvoice.Load(readSample(t, g.File))
			require.NoError(t, err)
			require.Equal(t, g.Fields, inv.Fields)
			require.Equal(t, g.Profile, inv.Profile)
			require.Equal(t, g.TypeCode, inv.TypeCode)
			require.Equal(t, g.TypeCode == "381", inv.CreditNote)
			require.NotNil(t, inv.AmountDue)
			require.InDelta(t, *inv.Fields.Total-val(inv.Prepaid), *inv.AmountDue, 0.001)
		})
		profiles[g.Profile] = true
	}
	for _, p := range []string{"MINIMUM", "BASIC WL", "BASIC", "EN16931", "EXTENDED", "XRECHNUNG", "COMFORT"} {
		require.True(t, profiles[p], "the set has no %s document", p)
	}
}

func val(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}

func TestSyntaxes(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]einvoice.Syntax{
		"cii-en16931.xml": einvoice.SyntaxCII, "zugferd1-comfort.xml": einvoice.SyntaxZUGFeRD1,
		"ubl-invoice.xml": einvoice.SyntaxUBL, "ubl-credit-note.xml": einvoice.SyntaxUBL,
	} {
		require.Equal(t, want, einvoice.Sniff(readSample(t, file)), file)
	}
	require.Empty(t, einvoice.Sniff([]byte(`<?xml version="1.0"?><Invoice><ID>1</ID></Invoice>`)), "no UBL namespace")
	require.Empty(t, einvoice.Sniff([]byte(`<html><body>hi</body></html>`)))
	require.Empty(t, einvoice.Sniff([]byte(`not xml`)))
}

func TestDetails(t *testing.T) {
	t.Parallel()
	inv, err := einvoice.Load(readSample(t, "zugferd1-comfort.xml"))
	require.NoError(t, err)
	require.Equal(t, "Northwind Traders Inc.", inv.Buyer)
	require.Equal(t, 100.0, *inv.Prepaid)
	require.Equal(t, 511.07, *inv.AmountDue)
	require.Equal(t, 20.0, *inv.Allowances)
	require.Equal(t, "urn:ferd:CrossIndustryDocument:invoice:1p0:comfort", inv.Guideline)

	credit, err := einvoice.Load(readSample(t, "ubl-credit-note.xml"))
	require.NoError(t, err)
	require.True(t, credit.CreditNote)
	require.Equal(t, "FR61954506077", credit.BuyerTaxID)

	text := inv.Text()
	for _, want := range []string{"Invoice number: FX-2024-0042", "Seller: Lindqvist & Vogel GmbH", "Total: 611.07 EUR", "Amount due: 511.07 EUR"} {
		require.Contains(t, text, want)
	}
}

// TestArithmetic changes one amount of a valid invoice at a time: each
// breaks one of the XML's sums, and Check says which.
func TestArithmetic(t *testing.T) {
	t.Parallel()
	good := string(readSample(t, "cii-en16931.xml"))
	for name, c := range map[string]struct{ old, new, want string }{
		"line amount":  {"<ram:LineTotalAmount>73.50</ram:LineTotalAmount>", "<ram:LineTotalAmount>74.50</ram:LineTotalAmount>", "line amounts sum to"},
		"tax basis":    {"<ram:TaxBasisTotalAmount>513.50<", "<ram:TaxBasisTotalAmount>523.50<", "≠ tax basis"},
		"tax parts":    {"<ram:CalculatedAmount>97.57<", "<ram:CalculatedAmount>96.57<", "VAT breakdown"},
		"grand total":  {"<ram:GrandTotalAmount>611.07<", "<ram:GrandTotalAmount>621.07<", "≠ grand total"},
		"amount due":   {"<ram:DuePayableAmount>511.07<", "<ram:DuePayableAmount>611.07<", "≠ amount due"},
		"not a number": {"<ram:GrandTotalAmount>611.07<", "<ram:GrandTotalAmount>6II.07<", "is not a number"},
	} {
		require.Contains(t, good, c.old, name)
		_, err := einvoice.Load([]byte(strings.Replace(good, c.old, c.new, 1)))
		require.Error(t, err, name)
		require.Contains(t, err.Error(), c.want, name)
	}
	// The business checks of every tier apply too.
	_, err := einvoice.Load([]byte(strings.Replace(good, ">20240403<", ">20240101<", 1)))
	code, _ := einvoice.CodeOf(err)
	require.Equal(t, einvoice.CodeInvalidFields, code, "%v", err)
	require.Contains(t, err.Error(), "due_date: before issue_date")
}

// TestCorrectiveInvoice: negative totals (a corrected invoice) are valid in
// an e-invoice and checked as their mirror image.
func TestCorrectiveInvoice(t *testing.T) {
	t.Parallel()
	s := string(readSample(t, "cii-minimum.xml"))
	for _, a := range []string{"513.50", "97.57", "611.07", "100.00", "511.07"} {
		s = strings.ReplaceAll(s, ">"+a+"<", ">-"+a+"<")
	}
	s = strings.Replace(s, "<ram:TypeCode>380<", "<ram:TypeCode>384<", 1)
	inv, err := einvoice.Load([]byte(s))
	require.NoError(t, err)
	require.Equal(t, -611.07, *inv.Fields.Total)
	require.Equal(t, "384", inv.TypeCode)
	require.False(t, inv.CreditNote)
}

func TestRefused(t *testing.T) {
	t.Parallel()
	good := readSample(t, "cii-en16931.xml")
	deep := `<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">` +
		strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200) + `</rsm:CrossIndustryInvoice>`
	laughs := `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"><a>&lol3;</a></rsm:CrossIndustryInvoice>`
	external := `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
		`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&xxe;</ID></Invoice>`
	undeclared := `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&lol;</ID></Invoice>`
	oversized := append(bytes.Clone(good[:len(good)-30]), bytes.Repeat([]byte(" "), einvoice.MaxBytes)...)
	for name, c := range map[string]struct {
		data []byte
		code einvoice.Code
	}{
		"malformed":        {good[:len(good)/2], einvoice.CodeMalformed},
		"mismatched tags":  {[]byte(strings.Replace(string(good), "</rsm:ExchangedDocument>", "</rsm:Other>", 1)), einvoice.CodeMalformed},
		"not xml":          {[]byte("%PDF-1.4 hello"), einvoice.CodeMalformed},
		"oversized":        {oversized, einvoice.CodeTooLarge},
		"deeply nested":    {[]byte(deep), einvoice.CodeTooDeep},
		"billion laughs":   {[]byte(laughs), einvoice.CodeMalformed},
		"external entity":  {[]byte(external), einvoice.CodeMalformed},
		"undeclared":       {[]byte(undeclared), einvoice.CodeMalformed},
		"other vocabulary": {[]byte(`<?xml version="1.0"?><order><id>1</id></order>`), einvoice.CodeNotEInvoice},
		"incomplete": {[]byte(strings.Replace(string(good), "<ram:GrandTotalAmount>611.07</ram:GrandTotalAmount>", "", 1)),
			einvoice.CodeIncomplete},
	} {
		_, err := einvoice.Load(c.data)
		require.Error(t, err, name)
		code, ok := einvoice.CodeOf(err)
		require.True(t, ok, "%s: %v", name, err)
		require.Equal(t, c.code, code, "%s: %v", name, err)
	}
}

func TestLatin1(t *testing.T) {
	t.Parallel()
	s := strings.Replace(string(readSample(t, "ubl-invoice.xml")), `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1)
	s = strings.Replace(s, "Lindqvist &amp; Vogel GmbH", "M\xfcller GmbH", 1)
	inv, err := einvoice.Load([]byte(s))
	require.NoError(t, err)
	require.Equal(t, "Müller GmbH", inv.Fields.Issuer)
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"cii-en16931.xml", "zugferd1-comfort.xml", "ubl-credit-note.xml", "cii-minimum.xml"} {
		data, err := os.ReadFile(filepath.Join(samples.EInvoiceDir(), name))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(`<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := einvoice.Load(data)
		if err != nil {
			if _, ok := einvoice.CodeOf(err); !ok {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		_ = inv.Text()
	})
}
