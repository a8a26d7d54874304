package parsers

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/schema"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		text string
		want schema.DocType
	}{
		{"English invoice", "ACME Ltd\nINVOICE\nInvoice no: 12\nBill to: Bob\nDue date: 2024-04-01\nTotal   $100.00\n", schema.Invoice},
		{"Dutch invoice", "Bakker B.V.\nFactuur 2024-11\nVervaldatum: 01-04-2024\nTotaal   € 12,50\n", schema.Invoice},
		{"German invoice", "Muster GmbH\nRechnung Nr. 88\nZahlbar bis 31.03.2024\nGesamtbetrag   119,00 EUR\n", schema.Invoice},
		{"French invoice", "Dupont SARL\nFacture n° 7\nÉchéance : 30/04/2024\nTotal TTC   240,00 €\n", schema.Invoice},
		{"English receipt", "CORNER SHOP\nSALES RECEIPT\nMilk   1.20\nTOTAL   1.20\nCASH   5.00\nCHANGE   3.80\n", schema.Receipt},
		{"German receipt", "Bäckerei Korn\nKassenbon\nBrötchen   0,50\nSumme EUR   0,50\nBar   1,00\nRückgeld   0,50\n", schema.Receipt},
		{"French receipt", "Café du Coin\nTicket de caisse\nCafé   2,00\nTotal   2,00 €\nEspèces   5,00\nRendu   3,00\n", schema.Receipt},
		{"letter", "Dear Ms Smith,\nThank you for your visit last week.\nKind regards,\nJo\n", schema.Other},
		{"empty", "", schema.Other},
		{"numbers only", "12 34 56\n", schema.Other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Classify(tc.text)
			require.Equal(t, tc.want, c.Type)
			require.True(t, c.Confidence >= 0 && c.Confidence <= 1, c.Confidence)
			require.True(t, c.Complexity >= 0 && c.Complexity <= 1, c.Complexity)
		})
	}
}

func TestClassifyFeatures(t *testing.T) {
	t.Parallel()
	c := Classify("Shop\nReceipt\nDate: 05.03.2024\nApples 2 x 0.50   1.00\nPears   2.00\nTOTAL   3.00\n")
	require.Equal(t, Features{Chars: 73, Lines: 6, Words: 13, Amounts: 4, Dates: 1, HasLineItems: true}, c.Features)

	simple := Classify("Shop\nReceipt\nTotal   3.00\n")
	var long string
	for range 200 {
		long += "Widget, blue   2   4.50   9.00\n"
	}
	hard := Classify("Invoice\nDescription   Qty   Price   Amount\n" + long + "Total   1800.00\n")
	require.Less(t, simple.Complexity, hard.Complexity)
}
