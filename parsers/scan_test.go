package parsers

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/schema"
)

// scanCase is a small invoice text and the values the rules should read
// from it; empty wants are not checked.
type scanCase struct {
	name, text              string
	number, date, issuer    string
	total                   string // "%.2f", or empty
	accept, review, checked bool   // accept: Overall reaches the threshold; review: it does not
}

func runScanCases(t *testing.T, cases []scanCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := ExtractRules(tc.text, schema.Invoice)
			f := x.Fields
			if tc.number != "" {
				require.Equal(t, tc.number, f.InvoiceNumber, "invoice number; %v", x.Confidence)
			}
			if tc.date != "" {
				require.Equal(t, tc.date, f.IssueDate, "issue date; %v", x.Confidence)
			}
			if tc.issuer != "" {
				require.Equal(t, tc.issuer, f.Issuer, "issuer; %v", x.Confidence)
			}
			if tc.total != "" {
				require.NotNil(t, f.Total, "total")
				require.Equal(t, tc.total, fmt.Sprintf("%.2f", *f.Total), "total; %v", x.Confidence)
			}
			if tc.accept {
				require.GreaterOrEqual(t, x.Overall, ConfidenceThreshold, "%+v %v", f, x.Confidence)
			}
			if tc.review {
				require.Less(t, x.Overall, ConfidenceThreshold, "%+v %v", f, x.Confidence)
			}
		})
	}
}

// TestTotalsSummaryBlock reads the total from the summary block at the end
// of an invoice, in the languages the rules know: the grand total, not
// the amount left to pay after a prepayment, nor a sum of charges.
func TestTotalsSummaryBlock(t *testing.T) {
	t.Parallel()
	const head = "Acme GmbH\nRechnungsnummer: 17\nRechnungsdatum: 10.01.2024\n"
	runScanCases(t, []scanCase{
		{name: "de Bruttosumme and Zahlbetrag after a prepayment", text: head +
			"Positionssumme   180,76\nGesamtbetrag   der Zuschläge   5,80\nGesamtbetrag der Abschläge   -9,07\n" +
			"Rechnungssumme ohne USt.   177,49 EUR\nSteuerbetrag   20,16\nBruttosumme   197,65\n" +
			"Erhaltene Anzahlungen   -50,00\nZahlbetrag   147,65\n", total: "197.65", accept: true},
		{name: "de Rechnungsbetrag", text: head + "Nettobetrag   100,00 €\nUSt. 19 %   19,00 €\nRechnungsbetrag   119,00 €\n", total: "119.00", accept: true},
		{name: "de Endbetrag", text: head + "Summe netto: 100,00 €\nzzgl. MwSt.: 19,00 €\nEndbetrag: 119,00 €\n", total: "119.00", accept: true},
		{name: "de Summe inkl", text: head + "Summe netto: 496,00 €\nZuzügl. USt: 75,04 €\nSumme inkl. USt: 571,04 €\n", total: "571.04", accept: true},
		{name: "de Zahlbetrag alone is the total", text: head + "Zahlbetrag   119,00 EUR\n", total: "119.00"},
		{name: "due differs with no payment: doubt", text: head + "Gesamtbetrag   119,00 EUR\nZahlbetrag   100,00 EUR\n", total: "119.00", review: true},
		{name: "charges total is not the total", text: head + "Nettobetrag   100,00 EUR\nUSt.   19,00 EUR\nGesamtbetrag der Zuschläge   5,00\nBruttosumme   119,00 EUR\n", total: "119.00"},
		{name: "fr total TTC and net à payer", text: "Acme SARL\nFacture n° F-12\nDate de facture : 05/03/2024\nTotal HT   100,00 €\nTVA 20 %   20,00 €\nTotal TTC   120,00 €\nAcompte   -20,00 €\nNet à payer   100,00 €\n", total: "120.00", accept: true},
		{name: "es importe total", text: "Acme S.L.\nFactura nº 2024-7\nFecha de factura: 05/03/2024\nBase imponible   100,00 €\nIVA 21 %   21,00 €\nImporte total   121,00 €\n", number: "2024-7", date: "2024-03-05", total: "121.00", accept: true},
		{name: "it totale documento", text: "Acme S.r.l.\nFattura n. 2024/7\nData fattura: 05/03/2024\nImponibile   100,00 €\nIVA 22 %   22,00 €\nTotale documento   122,00 €\n", number: "2024/7", date: "2024-03-05", total: "122.00", accept: true},
		{name: "en amount due after payment", text: "Acme Ltd\nInvoice number: 9001\nInvoice date: 2024-03-05\nSubtotal   £100.00\nVAT   £20.00\nTotal   £120.00\nAmount paid   £20.00\nAmount due   £100.00\n", total: "120.00", accept: true},
	})
}
