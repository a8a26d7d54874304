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
	name, text           string
	number, date, issuer string
	total                string // "%.2f", or empty
	accept, review       bool   // accept: Overall reaches the threshold; review: it does not
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
		{name: "de a label in parentheses qualifies the one before", text: head +
			"Rechnungssumme Netto (excl. USt.)   198,00 EUR\nUSt. 19 %   37,62\nRechnungssumme Brutto (inkl. USt.)   235,62\n", total: "235.62", accept: true},
		{name: "de insurance premium", text: head + "Gesamtbeitrag   50,00 €\nVersicherungsteuer 19 %   9,50 €\nRechnungsbeitrag   59,50 €\n", total: "59.50"},
		{name: "de Zahlbetrag alone is the total", text: head + "Zahlbetrag   119,00 EUR\n", total: "119.00"},
		{name: "due differs with no payment: doubt", text: head + "Gesamtbetrag   119,00 EUR\nZahlbetrag   100,00 EUR\n", total: "119.00", review: true},
		{name: "charges total is not the total", text: head + "Nettobetrag   100,00 EUR\nUSt.   19,00 EUR\nGesamtbetrag der Zuschläge   5,00\nBruttosumme   119,00 EUR\n", total: "119.00"},
		{name: "fr total TTC and net à payer", text: "Acme SARL\nFacture n° F-12\nDate de facture : 05/03/2024\nTotal HT   100,00 €\nTVA 20 %   20,00 €\nTotal TTC   120,00 €\nAcompte   -20,00 €\nNet à payer   100,00 €\n", total: "120.00", accept: true},
		{name: "es importe total", text: "Acme S.L.\nFactura nº 2024-7\nFecha de factura: 05/03/2024\nBase imponible   100,00 €\nIVA 21 %   21,00 €\nImporte total   121,00 €\n", number: "2024-7", date: "2024-03-05", total: "121.00", accept: true},
		{name: "it totale documento", text: "Acme S.r.l.\nFattura n. 2024/7\nData fattura: 05/03/2024\nImponibile   100,00 €\nIVA 22 %   22,00 €\nTotale documento   122,00 €\n", number: "2024/7", date: "2024-03-05", total: "122.00", accept: true},
		{name: "en amount due after payment", text: "Acme Ltd\nInvoice number: 9001\nInvoice date: 2024-03-05\nSubtotal   £100.00\nVAT   £20.00\nTotal   £120.00\nAmount paid   £20.00\nAmount due   £100.00\n", total: "120.00", accept: true},
	})
}

// TestTitleNumbers reads the invoice number, and the date after it, from a
// title line in the languages the rules know, and numbers under their
// label, printed right-aligned.
func TestTitleNumbers(t *testing.T) {
	t.Parallel()
	const tail = "Nettobetrag   100,00 EUR\nUSt. 19 %   19,00 EUR\nGesamtbetrag   119,00 EUR\n"
	runScanCases(t, []scanCase{
		{name: "de Handelsrechnung with code", text: "Acme GmbH\nHandelsrechnung (380) Nr. 471102 vom 05.06.2018\n" + tail,
			number: "471102", date: "2018-06-05", accept: true},
		{name: "de Gutschrift with a parenthesis", text: "Acme GmbH\nGutschrift (Selbst ausgestellte Rechnung) Nr. 47110818 vom 05.03.2018\n" + tail,
			number: "47110818", date: "2018-03-05"},
		{name: "de wide-spaced title", text: "Acme GmbH\nGutschrift          (Selbst       ausgestellte            Rechnung)         Nr. 471102 vom\n05.03.2018\n" + tail,
			number: "471102", date: "2018-03-05"},
		{name: "de Rechnung #", text: "Acme GmbH\nRechnung # RE-20140703/502 vom 03.07.2014\n" + tail,
			number: "RE-20140703/502", date: "2014-07-03"},
		{name: "de Rechnungskorrektur", text: "Acme GmbH\nRechnungskorrektur Nr. RK21012345 vom 16.09.2018\n" + tail,
			number: "RK21012345", date: "2018-09-16"},
		{name: "en invoice no issued at", text: "Acme Ltd\nInvoice No. INV/2023/03/0008 issued at 2023-03-05\nSubtotal   £100.00\nVAT   £20.00\nTotal   £120.00\n",
			number: "INV/2023/03/0008", date: "2023-03-05", accept: true},
		{name: "fr facture n° du", text: "Acme SARL\nFacture n° F-2024-12 du 05/03/2024\nTotal HT   100,00 €\nTVA   20,00 €\nTotal TTC   120,00 €\n",
			number: "F-2024-12", date: "2024-03-05", accept: true},
		{name: "nl factuur nr van", text: "Acme B.V.\nFactuur nr. 2024-0012 van 5 maart 2024\nSubtotaal   € 100,00\nBTW 21%   € 21,00\nTotaal   € 121,00\n",
			number: "2024-0012", date: "2024-03-05", accept: true},
		{name: "de title with a genitive", text: "Acme GmbH\nRechnung des Versicherers (575) Nr. 01.234.567.8-2018-1 vom 06.12.2018\n" + tail,
			number: "01.234.567.8-2018-1", date: "2018-12-06", accept: true},
		{name: "an order is no title", text: "Acme GmbH\nRechnungsnummer: 4711\nRechnung gemäß Bestellung Nr. 2018-471331 vom 01.03.2018\n" + tail,
			number: "4711"},
		{name: "bare number by its shape", text: "Acme Ltd\nINV/2023/03/0008\nDate: 2023-03-05\nSubtotal   £100.00\nVAT   £20.00\nTotal   £120.00\n",
			number: "INV/2023/03/0008", accept: true},
		{name: "two bare numbers: a guess", text: "Acme Ltd\nINV/2023/03/0008\nsee also INV/2023/02/0007\nDate: 2023-03-05\nTotal   £120.00\n",
			number: "INV/2023/03/0008", review: true},
		{name: "de Beleg-Nr", text: "Acme GmbH\nBeleg-Nr: RK21012345\nBeleg-Datum: 16.09.2013\n" + tail, number: "RK21012345", date: "2013-09-16"},
		{name: "a reference to another invoice is not the title", text: "Acme GmbH\nRechnungsnummer: 2024-9\nRechnungsdatum: 10.01.2024\nGutschrift zu Rechnung Nr. 2023-77 vom 01.12.2023\n" + tail,
			number: "2024-9", date: "2024-01-10"},
		{name: "number in prose ranks below the title", text: "Acme GmbH\nHandelsrechnung Nr. E2018 vom 20.09.2018\nInhalt  Bitte geben Sie Ihre Belegnummer 2018092011804 an\n" + tail,
			number: "E2018", accept: true},
		{name: "number in wide-spaced prose ranks below the title", text: "Acme GmbH\nHandelsrechnung      Nr. E2018     vom 20.09.2018\n" +
			"Bei Schriftwechsel     bitte Ihre Kundennummer      35040727   und Belegnummer    2018092011804\n" + tail,
			number: "E2018", accept: true},
		{name: "right-aligned under the label", text: "Acme GmbH\n" +
			"   Lieferantenstraße 20                                  Rechnungsnummer\n" +
			"   80333 München                                                           471102\n" +
			"                                                         Rechnungsdatum\n" +
			"   Deutschland                                                          05.03.2013\n" + tail,
			number: "471102", date: "2013-03-05"},
	})
}

// TestIssuerBlocks finds the issuer in the seller's block, the letterhead
// or the company name near the VAT number, and never in boilerplate or the
// customer's block.
func TestIssuerBlocks(t *testing.T) {
	t.Parallel()
	const tail = "Rechnungsnummer: 17\nRechnungsdatum: 10.01.2024\nNettobetrag   100,00 EUR\nUSt. 19 %   19,00 EUR\nGesamtbetrag   119,00 EUR\n"
	runScanCases(t, []scanCase{
		{name: "seller heading and name under it", text: "Beispiel-Rechnungen, (c) Muster 2022\nVerkäufer:\nNummer    : 549910\nLieferant GmbH\nLieferantenstraße 20\nKäufer:\nKunden AG\n" + tail,
			issuer: "Lieferant GmbH", accept: true},
		{name: "seller block with a Name line", text: "Verkäufer\n   Nummer:        549910\n   Name:          Grundbesitz GmbH & Co.\n   Anschrift:     Musterstraße 42\nKäufer\n   Name:          Mieter GmbH\n" + tail,
			issuer: "Grundbesitz GmbH & Co.", accept: true},
		{name: "name over two lines", text: "MVM Musterhafter\nVersicherungsverein Musterstadt a.G.\nHerrn Max Mustermann\n" + tail,
			issuer: "MVM Musterhafter Versicherungsverein Musterstadt a.G."},
		{name: "headings side by side", text: "Lieferant                Käufer               RECHNUNG\nGLN 4333741000005        GLN 4304171000002\nMUSTERLIEFERANT GMBH     MUSTER-KUNDE GMBH\n" + tail,
			issuer: "MUSTERLIEFERANT GMBH"},
		{name: "words spaced wide", text: "Verkäufer:\nLieferant   GmbH\nLieferantenstraße 20\n" + tail, issuer: "Lieferant GmbH"},
		{name: "name over two lines, spaced wide", text: "Verkäufer:\nNummer           : 549910\nMVM Musterhafter\nVersicherungsverein     Musterstadt    a.G.\n" + tail,
			issuer: "MVM Musterhafter Versicherungsverein Musterstadt a.G.", accept: true},
		{name: "name begins above its Name row", text: "Verkäufer\n   Nummer:        549910\n                  MVM Musterhafter\n   Name:          Versicherungsverein Musterstadt a.G.\n   Anschrift:     Musterstr. 12\n" + tail,
			issuer: "MVM Musterhafter Versicherungsverein Musterstadt a.G.", accept: true},
		{name: "street line is no name, the name beside a label is", text: "Lieferant                Käufer\nGLN 4333741000005        GLN 4304171000002\n" +
			"KOSTENLIEFERANT GMBH     MUSTER-KUNDE GMBH        Beleg-Nr   : KR87654321012\nBAHNHOFSTRASSE 99        KUNDENWEG 88\n" + tail,
			issuer: "KOSTENLIEFERANT GMBH"},
		{name: "legal form spaced far", text: "Verkäufer:\nMUSTERLIEFERANT      GMBH\nBAHNHOFSTRASSE 99\n" + tail, issuer: "MUSTERLIEFERANT GMBH"},
		{name: "legal name near the VAT id, not the boilerplate", text: "Stylesheet (c) 2020 Beispiel\n" + tail +
			"Acme Handels GmbH • Hauptstraße 1 • 12345 Stadt\nUSt-IdNr: DE123456789\nIBAN DE89 3704 0044 0532 0130 00\n",
			issuer: "Acme Handels GmbH"},
		{name: "letterhead beats the customer's company", text: "Van Dijk Installatietechniek B.V.\nIndustrieweg 8\nFactuuradres:\nWingtip Toys Inc.\n" +
			"Factuur nr. 2024-1\nFactuurdatum: 2024-05-28\nSubtotaal   € 100,00\nBTW 21%   € 21,00\nTotaal   € 121,00\n",
			issuer: "Van Dijk Installatietechniek B.V.", accept: true},
		{name: "several legal names and no clue: review", text: "2024-01-10\n" + tail + "Alpha Trading GmbH\nBeta Logistik GmbH\n", review: true},
	})
}

// TestIssueDates reads the issue date of a title split over two lines,
// and never takes the date of a program's version for it.
func TestIssueDates(t *testing.T) {
	t.Parallel()
	const tail = "Acme GmbH\nNettobetrag   100,00 EUR\nUSt. 19 %   19,00 EUR\nGesamtbetrag   119,00 EUR\n"
	runScanCases(t, []scanCase{
		{name: "title date on the next line", text: "Gutschrift   (Selbst ausgestellte Rechnung)   Nr. 471102 vom\n05.03.2018\n" + tail,
			number: "471102", date: "2018-03-05"},
		{name: "a version date is not the issue date", text: "Stylesheet-Version: 2.0 vom 18.10.2018\nRechnungsnummer: 4711\n" + tail + "Leistung erbracht am 03.03.2018\n",
			date: "2018-03-03"},
	})
}

// TestSummaryTables reads totals printed as a table (a header of labels,
// a row per tax rate, the sum in the last row) and settles subtotal and
// tax by the total they must add up to.
func TestSummaryTables(t *testing.T) {
	t.Parallel()
	const head = "Acme GmbH\nRechnungsnummer: 17\nRechnungsdatum: 10.01.2024\n"
	runScanCases(t, []scanCase{
		{name: "last row of the summary table is the sum", text: head +
			"  Warenwert      Nettobetrag    MwSt-Betrag   MwSt-%      Endbetrag\n" +
			"    326,50         321,40          61,07      19,0          382,47\n" +
			"    130,70         127,59           8,93       7,0          136,52\n" +
			"    457,20         448,99          70,00      EUR           518,99\n",
			total: "518.99", accept: true},
		{name: "tax column header does not hide the tax line", text: head +
			"Art (Kategorie)   Basisbetrag   Steuersatz   Steuerbetrag\n" +
			"Umsatzsteuer (S)      473,00           19          56,87\n" +
			"Rechnungssumme ohne USt.   473,00 EUR\nSteuerbetrag   56,87\nBruttosumme   529,87\n",
			total: "529.87", accept: true},
		{name: "invoice currency beats the tax currency", text: head +
			"Rechnungswährung   : GBP\nWährung der Umsatzsteuerbuchung : EUR\nNettobetrag   100.00\nUSt.   19.00\nGesamtbetrag   119.00\n",
			total: "119.00"},
	})
	x := ExtractRules(head+"Rechnungswährung   : GBP\nWährung der Umsatzsteuerbuchung : EUR\nGesamtbetrag   119.00\n", schema.Invoice)
	require.Equal(t, "GBP", x.Fields.Currency)
}

// TestLanguages reads whole small invoices in each language the rules
// know, laid out the common way: letterhead, title, labels, customer
// block, summary.
func TestLanguages(t *testing.T) {
	t.Parallel()
	runScanCases(t, []scanCase{
		{name: "en", text: "ACME Consulting LLC\n123 Main St, Springfield\nINVOICE\nInvoice #: 1234\nDate: March 5, 2024\n" +
			"Bill To:\nJohn Doe Holdings Inc.\n45 Elm St\nSubtotal   $100.00\nTax (8%)   $8.00\nTotal   $108.00\nBalance Due   $108.00\n",
			number: "1234", date: "2024-03-05", issuer: "ACME Consulting LLC", total: "108.00", accept: true},
		{name: "fr", text: "ACME SAS\n12 rue de la Paix\n75002 Paris\nTVA intracommunautaire : FR12345678901\nFACTURE\n" +
			"Facture n° : F2024-001\nDate : 05/03/2024\nClient :\nDupont SARL\n8 avenue Foch\n" +
			"Total HT   100,00 €\nTVA 20 %   20,00 €\nTotal TTC   120,00 €\nNet à payer   120,00 €\n",
			number: "F2024-001", date: "2024-03-05", issuer: "ACME SAS", total: "120.00", accept: true},
		{name: "nl", text: "Bakker Installaties B.V.\nDorpsstraat 1\n1234 AB Utrecht\nBTW-nummer: NL123456789B01\n" +
			"Factuurnummer: 2024-001\nFactuurdatum: 5 maart 2024\nAan:\nJansen V.O.F.\nSubtotaal   € 100,00\nBTW 21%   € 21,00\nTotaal   € 121,00\n",
			number: "2024-001", date: "2024-03-05", issuer: "Bakker Installaties B.V.", total: "121.00", accept: true},
		{name: "es", text: "Empresa Ejemplo S.L.\nCIF: B12345678\nFACTURA\nNº Factura: 2024/001\nFecha: 05/03/2024\nCliente:\nOtra Empresa S.A.\n" +
			"Base imponible   100,00 €\nIVA 21%   21,00 €\nTotal   121,00 €\n",
			number: "2024/001", date: "2024-03-05", issuer: "Empresa Ejemplo S.L.", total: "121.00", accept: true},
		{name: "it", text: "Azienda Esempio S.r.l.\nP.IVA 01234567890\nFATTURA N. 12/2024 del 05/03/2024\nCliente:\nAltra Ditta S.p.A.\n" +
			"Imponibile   100,00 €\nIVA 22%   22,00 €\nTotale   122,00 €\n",
			number: "12/2024", date: "2024-03-05", issuer: "Azienda Esempio S.r.l.", total: "122.00", accept: true},
		{name: "de letter layout", text: "Muster Software GmbH · Hauptstr. 5 · 10115 Berlin\nKunde GmbH\nAm Markt 3\n12345 Stadt\n" +
			"Rechnung\nRechnungsnummer: RE-2024-0042\nRechnungsdatum: 05.03.2024\n" +
			"Summe netto   1.000,00 €\nzzgl. 19 % USt.   190,00 €\nRechnungsbetrag   1.190,00 €\nUSt-IdNr.: DE123456789\nMuster Software GmbH · IBAN DE89 3704 0044 0532 0130 00\n",
			number: "RE-2024-0042", date: "2024-03-05", issuer: "Muster Software GmbH", total: "1190.00", accept: true},
	})
}
