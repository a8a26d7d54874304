package parsers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/samples"
)

// TestOCRNoise: what OCR does to a clean invoice (a speck before a label,
// rows indented by a space, accents dropped, a plain space as thousands
// separator in item rows) costs no field.
func TestOCRNoise(t *testing.T) {
	t.Parallel()
	e := sampleNamed(t, "invoice-plain.txt")
	data, err := e.Read()
	require.NoError(t, err)
	clean := strings.ReplaceAll(string(data), "\r\n", "\n")
	noisy := strings.NewReplacer("\nSubtotal", "\n‘Subtotal", "\nWooden", "\n Wooden", "\nPuzzle", "\n Puzzle",
		"\nTotal ", "\n. Total ").Replace(clean)
	require.NotEqual(t, clean, noisy)
	x := ExtractRules(noisy, schema.Invoice)
	require.Equal(t, *e.Fields, x.Fields)
	require.GreaterOrEqual(t, x.Overall, ConfidenceThreshold, "%v", x.Confidence)

	// French, as Tesseract may read it: "échéance" without its accents,
	// "1 720,56" with a plain space.
	fr := "Atelier Moreau SARL\nFacture\nNuméro de facture :  N-12314\nDate :   23/11/2022\n" +
		"Date d'echeance :   07/12/2022\n\n" +
		"Description             Qté  Prix unitaire    Montant\n" +
		"Déplacement               8         215,07   1 720,56\n" +
		"Livraison                 8          44,96     359,68\n\n" +
		"Total HT                                   2 080,24 €\n" +
		"TVA 20%                                      416,05 €\n" +
		"Montant total                              2 496,29 €\n"
	x = ExtractRules(fr, schema.Invoice)
	require.Equal(t, "2022-12-07", x.Fields.DueDate)
	require.Len(t, x.Fields.LineItems, 2, "%v", x.Confidence)
	li := x.Fields.LineItems[0]
	require.Equal(t, "Déplacement", li.Description)
	require.NotNil(t, li.Quantity)
	require.Equal(t, [3]float64{8, 215.07, 1720.56}, [3]float64{*li.Quantity, *li.UnitPrice, *li.Amount})
}

// TestSpacedThousandsNeedArithmetic: a space is read as a thousands
// separator only where quantity × unit price then make the amount.
func TestSpacedThousandsNeedArithmetic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		row            string
		amount, qty    float64
		withQuantities bool
	}{
		{"Déplacement   8   215,07   1 720,56", 1720.56, 8, true},
		{"Beratung   2   1 250,00   2500,00", 2500, 2, true},
		{"Kabel   3 120,00", 120, 0, false}, // 3 and 120,00, or 3 120,00: nothing says which
		{"Box 12   2   5,00   10,00", 10, 2, true},
	} {
		it, ok := parseItemRow(splitLines(tc.row)[0])
		require.True(t, ok, tc.row)
		require.Equal(t, tc.amount, *it.Amount, tc.row)
		require.Equal(t, tc.withQuantities, it.Quantity != nil, tc.row)
		if tc.withQuantities {
			require.Equal(t, tc.qty, *it.Quantity, tc.row)
		}
	}
}

// sampleNamed returns the sample called name.
func sampleNamed(t *testing.T, name string) samples.Expected {
	t.Helper()
	list, err := samples.Load()
	require.NoError(t, err)
	for _, e := range list {
		if e.File == name {
			_, err := os.Stat(filepath.Join(samples.Dir(), name))
			require.NoError(t, err)
			return e
		}
	}
	t.Fatalf("no sample %s", name)
	return samples.Expected{}
}
