package parsers

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBrokenName(t *testing.T) {
	t.Parallel()
	for name, broken := range map[string]bool{
		"Liefer ant GmbH":                  true,
		"ELEKTRON Industr ieser vice GmbH": true,
		"Gr undbesitz GmbH & Co.":          true,
		"Lieferant GmbH":                   false,
		"Grundbesitz GmbH & Co. KG":        false,
		"Müller und Söhne mbH":             false,
		"Versicherungsverein a. G.":        false,
		"Bakkerij De Gouden Korenaar B.V.": false,
		"Société des Eaux de l'Ouest SARL": false,
		"Stichting van der Berg":           false,
		"Northwind Traders Inc.":           false,
		"eBay GmbH":                        false, // the first word may be anything
	} {
		require.Equal(t, broken, brokenName(name), name)
	}
}

// TestBrokenIssuerIsDoubted: a name the text layer split is not trusted, so
// the verdict sends the document to a person instead of completing it wrong.
func TestBrokenIssuerIsDoubted(t *testing.T) {
	t.Parallel()
	text := "Liefer ant GmbH\nLieferantenstraße 20\n80333 München\n\nRechnung Nr. 471102 vom 05.03.2018\n\n" +
		"Summe netto           100,00 EUR\nUSt. 19 %              19,00 EUR\nGesamtbetrag          119,00 EUR\n" +
		"USt-IdNr. DE123456789\n"
	ex := ExtractRules(text, "invoice")
	require.Equal(t, "Liefer ant GmbH", ex.Fields.Issuer)
	require.Less(t, ex.Confidence["issuer"], ConfidenceThreshold)
	fixed := ExtractRules(strings.Replace(text, "Liefer ant", "Lieferant", 1), "invoice")
	require.Equal(t, "Lieferant GmbH", fixed.Fields.Issuer)
	require.GreaterOrEqual(t, fixed.Confidence["issuer"], ConfidenceThreshold)
}
