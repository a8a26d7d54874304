package parsers

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/schema"
)

func TestParseAmount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in        string
		value     float64
		decimals  int
		currency  string
		ambiguous bool
		percent   bool
	}{
		{"1,234.56", 1234.56, 2, "", false, false},
		{"1.234,56", 1234.56, 2, "", false, false},
		{"1234,56", 1234.56, 2, "", false, false},
		{"1 234", 0, 0, "", false, false}, // two tokens: not one amount
		{"1'234.50", 1234.50, 2, "", false, false},
		{"1.234.567,89", 1234567.89, 2, "", false, false},
		{"1,234,567", 1234567, 0, "", false, false},
		{"€12,00", 12, 2, "EUR", false, false},
		{"12,00€", 12, 2, "EUR", false, false},
		{"$12.00", 12, 2, "USD", false, false},
		{"-$5.00", -5, 2, "USD", false, false},
		{"US$7.5", 7.5, 1, "USD", false, false},
		{"£1,608.00", 1608, 2, "GBP", false, false},
		{"EUR12.00", 12, 2, "EUR", false, false},
		{"12.00CHF", 12, 2, "CHF", false, false},
		{"1.250", 1250, 0, "", true, false},
		{"0.250", 0.25, 3, "", false, false},
		{"310,5", 310.5, 1, "", false, false},
		{"21%", 21, 0, "", false, true},
		{"42", 42, 0, "", false, false},
	} {
		a, ok := parseAmount(tc.in)
		if tc.value == 0 {
			require.False(t, ok, tc.in)
			continue
		}
		require.True(t, ok, tc.in)
		require.InDelta(t, tc.value, a.value, 1e-9, tc.in)
		require.Equal(t, tc.decimals, a.decimals, tc.in)
		require.Equal(t, tc.currency, a.currency, tc.in)
		require.Equal(t, tc.ambiguous, a.ambiguous, tc.in)
		require.Equal(t, tc.percent, a.percent, tc.in)
	}
	for _, bad := range []string{"", "abc", "1.2.3", "1,23,45", "12:30", "24/6", "010-4477", "80g", "3.3V", "1.234.56", ".5", "5.", "€", "12345678901234567890123456"} {
		_, ok := parseAmount(bad)
		require.False(t, ok, bad)
	}
}

func TestAmountsAttachCurrency(t *testing.T) {
	t.Parallel()
	got := amounts("Total EUR 8,90   VAT 20 %   12.00 USD   $ 3.00")
	require.Len(t, got, 4)
	require.Equal(t, "EUR", got[0].currency)
	require.True(t, got[1].percent)
	require.Equal(t, "USD", got[2].currency)
	require.False(t, got[2].dollar)
	require.True(t, got[3].dollar)
}

func TestDates(t *testing.T) {
	t.Parallel()
	eu := dateReader{orderConf: 0.85}
	us := dateReader{monthFirst: true, orderConf: 0.85}
	for _, tc := range []struct {
		dr   dateReader
		in   string
		want string
	}{
		{eu, "2024-03-05", "2024-03-05"},
		{eu, "2024/3/5", "2024-03-05"},
		{eu, "05.03.2024", "2024-03-05"},
		{us, "05.03.2024", "2024-03-05"}, // dots are day first everywhere
		{eu, "05/03/2024", "2024-03-05"},
		{us, "03/05/2024", "2024-03-05"},
		{us, "25/03/2024", "2024-03-25"}, // settled by the day
		{eu, "03/25/2024", "2024-03-25"}, // settled by the month
		{eu, "5 March 2024", "2024-03-05"},
		{eu, "5th Mar 2024", "2024-03-05"},
		{eu, "March 5, 2024", "2024-03-05"},
		{eu, "Tuesday, March 5th 2024", "2024-03-05"},
		{eu, "5. März 2024", "2024-03-05"},
		{eu, "5 maart 2024", "2024-03-05"},
		{eu, "1er mars 2024", "2024-03-01"},
		{eu, "5 août 2024", "2024-08-05"},
		{eu, "05.03.24", "2024-03-05"},
	} {
		ds := tc.dr.find("Date: " + tc.in + " ok")
		require.NotEmpty(t, ds, tc.in)
		require.Equal(t, tc.want, ds[0].iso, tc.in)
		require.True(t, ds[0].conf > 0 && ds[0].conf <= 1)
	}
	for _, bad := range []string{"2024-02-30", "31/31/2024", "12:30", "1.234,56", "2024", "Page 1 of 3", "5 Marches 2024"} {
		require.Empty(t, eu.find(bad), bad)
	}
	// The order of 03/05 comes from the document and the currency.
	lines := splitLines("Date: 03/05/2024\nDue: 04/06/2024")
	require.Equal(t, dateReader{monthFirst: true, orderConf: 0.85}, newDateReader(lines, "USD"))
	require.Equal(t, dateReader{orderConf: 0.85}, newDateReader(lines, "EUR"))
	require.Equal(t, dateReader{orderConf: 0.6}, newDateReader(lines, ""))
	lines = splitLines("Date: 03/05/2024\nDue: 28/05/2024")
	require.Equal(t, dateReader{orderConf: 0.95}, newDateReader(lines, "USD"))
}

func TestIBAN(t *testing.T) {
	t.Parallel()
	require.True(t, ibanValid("NL91ABNA0417164300"))
	require.True(t, ibanValid("DE89370400440532013000"))
	require.False(t, ibanValid("NL92ABNA0417164300"))
	x := ExtractRules("IBAN: DE89 3704 0044 0532 0130 00   BIC: COBADEFFXXX\nNL12 3456789B01", schema.Other)
	require.Equal(t, "DE89370400440532013000", x.Fields.IBAN)
}

func TestExtractRulesLanguages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		text string
		typ  schema.DocType
		want schema.Fields
	}{
		{
			"German", "Muster GmbH\nMusterstraße 1, 10115 Berlin\nUSt-IdNr.: DE123456789\nRECHNUNG\n" +
				"Rechnungsnummer: RE-2024-17\nRechnungsdatum: 5. März 2024\nZahlbar bis: 4. April 2024\n" +
				"Nettobetrag   1.000,00 €\nMwSt. 19%   190,00 €\nGesamtbetrag   1.190,00 €\n",
			schema.Invoice,
			schema.Fields{
				InvoiceNumber: "RE-2024-17", IssueDate: "2024-03-05", DueDate: "2024-04-04", Issuer: "Muster GmbH",
				IssuerTaxID: "DE123456789", Currency: "EUR", Subtotal: ptr(1000), Tax: ptr(190), Total: ptr(1190),
			},
		},
		{
			"French", "Dupont et Fils SARL\nN° TVA : FR12345678901\nFacture n° F-2024-88\nDate : 5 mars 2024\n" +
				"Total HT   100,00 €\nTVA 20 %   20,00 €\nTotal TTC   120,00 €\n",
			schema.Invoice,
			schema.Fields{
				InvoiceNumber: "F-2024-88", IssueDate: "2024-03-05", Issuer: "Dupont et Fils SARL",
				IssuerTaxID: "FR12345678901", Currency: "EUR", Subtotal: ptr(100), Tax: ptr(20), Total: ptr(120),
			},
		},
		{
			"single-spaced text", "Acme Corp\nInvoice #A-17 Invoice Date: 2024-01-10 Due Date: 2024-02-09\nTotal: USD 50.00\n",
			schema.Invoice,
			schema.Fields{
				InvoiceNumber: "A-17", IssueDate: "2024-01-10", DueDate: "2024-02-09", Issuer: "Acme Corp",
				Currency: "USD", Total: ptr(50),
			},
		},
		{
			"values under their labels", "From:\nAcme Corp\nInvoice number:\nA-17\nDate:\n10 January 2024\nTotal:\n€ 50,00\n",
			schema.Invoice,
			schema.Fields{InvoiceNumber: "A-17", IssueDate: "2024-01-10", Issuer: "Acme Corp", Currency: "EUR", Total: ptr(50)},
		},
		{
			"receipt with an unlabelled date", "Kiosk Lena\n2024-03-09 08:12\nWater   1.50\nGum   0.80\nTOTAL EUR   2.30\n",
			schema.Receipt,
			schema.Fields{
				IssueDate: "2024-03-09", Issuer: "Kiosk Lena", Currency: "EUR", Total: ptr(2.30),
				LineItems: []schema.LineItem{
					{Description: "Water", Amount: ptr(1.50)},
					{Description: "Gum", Amount: ptr(0.80)},
				},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := ExtractRules(tc.text, tc.typ)
			require.Equal(t, tc.want, x.Fields)
			require.GreaterOrEqual(t, x.Overall, ConfidenceThreshold, "%v", x.Confidence)
			require.NoError(t, schema.ValidateFields(tc.typ, &x.Fields))
		})
	}
}

func TestExtractRulesDoubts(t *testing.T) {
	t.Parallel()
	const head = "Acme Corp\nInvoice number: 17\nInvoice date: 2024-01-10\n"
	for _, tc := range []struct {
		name string
		text string
		max  float64
	}{
		{"missing total", head + "Thanks!\n", 0},
		{"totals disagree", head + "Total   EUR 10.00\nTotal due   EUR 12.00\n", 0.6},
		{"sum does not add up", head + "Subtotal   EUR 10.00\nVAT   EUR 2.00\nTotal   EUR 13.00\n", 0.4},
		{"items do not add up", head + "Item   Qty   Price   Amount\nAlpha   1   5.00   5.00\nBeta   1   4.00   4.00\nTotal   EUR 10.00\n", 0.75},
		{"ambiguous amount", head + "Total   EUR 1.250\n", 0.5},
		{"no currency", head + "Total   10.00\n", 0},
		{"issuer after the customer", "INVOICE\nBill to: Bob\nAcme Corp\nAlpha Street 1\nBeta Town\nGamma Land\nInvoice number: 17\nInvoice date: 2024-01-10\nTotal   EUR 10.00\n", 0.5},
		{"due before issue", head + "Due date: 2023-12-01\nTotal   EUR 10.00\n", 0.4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := ExtractRules(tc.text, schema.Invoice)
			require.LessOrEqual(t, x.Overall, tc.max, "%+v %v", x.Fields, x.Confidence)
			require.Less(t, x.Overall, ConfidenceThreshold)
		})
	}
}

func TestExtractRulesDropsUnsureOptionalFields(t *testing.T) {
	t.Parallel()
	x := ExtractRules("Acme Corp\nInvoice number: 17\nInvoice date: 2024-01-10\nTotal   EUR 10.00\n"+
		"IBAN NL91 ABNA 0417 1643 00\nIBAN DE89 3704 0044 0532 0130 00\n", schema.Invoice)
	require.Empty(t, x.Fields.IBAN)
	require.NotContains(t, x.Confidence, "iban")
	require.GreaterOrEqual(t, x.Overall, ConfidenceThreshold)
}

func TestExtractRulesOther(t *testing.T) {
	t.Parallel()
	x := ExtractRules("Greenfield Garden\n12 February 2024\nDear members,\nSee you soon.\n", schema.Other)
	require.Equal(t, schema.Fields{}, x.Fields)
	require.Empty(t, x.Confidence)
	require.Equal(t, 1.0, x.Overall)
}

func TestExtractRulesSpans(t *testing.T) {
	t.Parallel()
	text := "Muster GmbH\nRECHNUNG\n\fRechnungsnummer:   RE-17\nDatum:   5.\u00a0März 2024\nSumme netto   1\u00a0000,00 €\nMwSt. 19 %   190,00 €\nGesamtbetrag   1\u00a0190,00 €\n"
	x := ExtractRules(text, schema.Invoice)
	require.InDelta(t, 1190, *x.Fields.Total, 1e-9)
	for field, want := range map[string]Span{
		"invoice_number": {Page: 2, Line: 1, Text: "RE-17"},
		"issue_date":     {Page: 2, Line: 2, Text: "5.\u00a0März 2024"},
		"total":          {Page: 2, Line: 5, Text: "1\u00a0190,00 €"},
		"issuer":         {Page: 1, Line: 1, Text: "Muster GmbH"},
	} {
		sp := x.Spans[field]
		require.Equal(t, want.Text, text[sp.Start:sp.End], field)
		want.Start, want.End = sp.Start, sp.End
		require.Equal(t, want, sp, field)
	}
	for field := range x.Confidence {
		require.Contains(t, x.Spans, field)
	}
}

func TestExtractRulesLayouts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text string
		want       schema.Fields
	}{
		{
			"values under labels, other cells between",
			"Atelier Moreau SARL\nFACTURE\n Facture n°    Date de facture   Date d'échéance   N° de commande\n" +
				" F24/915       26/10/2024        25/11/2024        PO-7300\nTotal TTC   1 234,50 €\n",
			schema.Fields{InvoiceNumber: "F24/915", IssueDate: "2024-10-26", DueDate: "2024-11-25", Issuer: "Atelier Moreau SARL", Currency: "EUR", Total: ptr(1234.50)},
		},
		{
			"a name that starts with a label word",
			"Van Dijk Installatietechniek B.V.\nFactuurnummer: 2024-1\nFactuurdatum: 01-02-2024\nTe betalen   € 10,00\n",
			schema.Fields{InvoiceNumber: "2024-1", IssueDate: "2024-02-01", Issuer: "Van Dijk Installatietechniek B.V.", Currency: "EUR", Total: ptr(10)},
		},
		{
			"total paid, balance zero",
			"Acme Inc.\nInvoice number: 77\nDate: 2024-01-02\nTotal   $50.00\nAmount paid   $50.00\nBalance due   $0.00\n",
			schema.Fields{InvoiceNumber: "77", IssueDate: "2024-01-02", Issuer: "Acme Inc.", Currency: "USD", Total: ptr(50)},
		},
		{
			"a date in a tax label's line",
			"Redbrick Ltd\nInvoice No: 99\nTax point:   4 January 2023\nNet total   £10.00\nVAT 20%   £2.00\nTotal   £12.00\n",
			schema.Fields{InvoiceNumber: "99", IssueDate: "2023-01-04", Issuer: "Redbrick Ltd", Currency: "GBP", Subtotal: ptr(10), Tax: ptr(2), Total: ptr(12)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := ExtractRules(tc.text, schema.Invoice)
			require.Equal(t, tc.want, x.Fields, "%v", x.Confidence)
			require.GreaterOrEqual(t, x.Overall, ConfidenceThreshold, "%v", x.Confidence)
		})
	}
}

func TestExtractRulesWith(t *testing.T) {
	t.Parallel()
	text := "Acme Cloud\nDocumentkenmerk   AC123\nTotaal   € 12,10\n"
	k := &Known{Template: "acme", Fields: schema.Fields{InvoiceNumber: "AC123", IssueDate: "2024-01-02", Total: ptr(12.1)},
		Spans: map[string]Span{"invoice_number": SpanOf(text, 29, 34), "total": {Start: -1, End: 99}}}
	x := ExtractRulesWith(text, schema.Invoice, k)
	require.Equal(t, "acme", x.Template)
	require.Equal(t, "AC123", x.Fields.InvoiceNumber)
	require.Equal(t, "EUR", x.Fields.Currency, "filled in by the rules")
	require.Equal(t, "Acme Cloud", x.Fields.Issuer)
	require.Equal(t, knownConfidence, x.Confidence["invoice_number"])
	require.Equal(t, "AC123", x.Spans["invoice_number"].Text)
	require.NotContains(t, x.Spans, "total", "a span outside the text is dropped")
	require.NotContains(t, x.Spans, "issue_date", "a static value has no span")

	// A template's total that does not add up is doubted.
	k.Fields.Subtotal, k.Fields.Tax = ptr(10), ptr(1)
	require.Less(t, ExtractRulesWith(text, schema.Invoice, k).Overall, ConfidenceThreshold)
}

// TestExtractRulesBadInput checks that text that is not a readable invoice
// yields low confidence, never a panic or a confident guess.
func TestExtractRulesBadInput(t *testing.T) {
	t.Parallel()
	garbled := strings.Repeat("\u00bf\u00c3\u00a9\u00e2\u20ac\u2122 \ufffd\ufffd #$%& 0x1F ", 40)
	for name, text := range map[string]string{
		"empty":            "",
		"whitespace":       " \n\f\n\t",
		"garbled":          garbled,
		"digits only":      "12 34 56\n78.90 12,34\n",
		"mixed languages":  "Rechnung\nInvoice number: 17\nFactuurdatum: 01-02-2024\nDate: 03/04/2024\nTotal TTC   12,00 €\nGesamtbetrag   13.00 USD\n",
		"labels no values": "Invoice number:\nDate:\nTotal:\n",
		"control bytes":    "Invoice\x00 number: 1\x01\nTotal \x7f 5.00",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, typ := range schema.Types[:2] {
				x := ExtractRules(text, typ)
				require.Less(t, x.Overall, ConfidenceThreshold, "%+v %v", x.Fields, x.Confidence)
			}
		})
	}
}

func TestParseAmountAndDate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in       string
		mark     rune
		want     float64
		currency string
	}{
		{"€ 717,97", 0, 717.97, "EUR"},
		{"$1,234.56", 0, 1234.56, "USD"},
		{"1.234,56 EUR", 0, 1234.56, "EUR"},
		{"1\u00a0234,56 €", 0, 1234.56, "EUR"},
		{"CHF 1'234.50", 0, 1234.5, "CHF"},
		{"1.250", 0, 1250, ""},
		{"1.250", '.', 1.25, ""},
		{"1,250", ',', 1.25, ""},
		{"Total: -12,5", ',', -12.5, ""},
	} {
		v, cur, ok := ParseAmount(tc.in, tc.mark)
		require.True(t, ok, tc.in)
		require.InDelta(t, tc.want, v, 1e-9, tc.in)
		require.Equal(t, tc.currency, cur, tc.in)
	}
	_, _, ok := ParseAmount("20%", 0)
	require.False(t, ok)
	for in, want := range map[string]string{
		"19 april 2014": "2014-04-19", "2023-03-20": "2023-03-20", "03/20/2023": "2023-03-20",
		"20.03.2023": "2023-03-20", "March 20, 2023": "2023-03-20", "20 mars 2023": "2023-03-20",
	} {
		got, ok := ParseDate(in, false)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	got, _ := ParseDate("03/04/2023", true)
	require.Equal(t, "2023-03-04", got)
}

func ptr(v float64) *float64 { return &v }
