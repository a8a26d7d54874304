package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/einvoice"
)

// TestEInvoiceResult: the sample Factur-X PDF completes on the einvoice tier
// and its result shows what the XML says beyond the fields.
func TestEInvoiceResult(t *testing.T) {
	t.Parallel()
	b := setup(t)
	code, out, errOut := b.cli("submit", sample("einvoice-factur-x.pdf"))
	require.Equal(t, exitOK, code, errOut)
	require.Regexp(t, `einvoice-factur-x\.pdf +invoice +completed +einvoice +CII EN16931 +1 +\$0\.0000`, out)

	code, out, errOut = b.cli("result", sample("einvoice-factur-x.pdf"))
	require.Equal(t, exitOK, code, errOut)
	require.Regexp(t, `e-invoice +CII EN16931, type code 380 \(invoice\)`, out)
	require.Regexp(t, `amount due +511\.07 EUR`, out)

	code, out, errOut = b.cli("result", sample("einvoice-factur-x.pdf"), "--output", "json")
	require.Equal(t, exitOK, code, errOut)
	var view struct {
		Tier     string            `json:"tier"`
		EInvoice *einvoice.Invoice `json:"einvoice"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &view))
	require.Equal(t, "einvoice", view.Tier)
	require.Equal(t, "EN16931", view.EInvoice.Profile)
	require.Equal(t, "Northwind Traders Inc.", view.EInvoice.Buyer)
}
