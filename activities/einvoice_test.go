package activities_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
)

var einvoiceTier = router.Tier{Name: "einvoice", Kind: router.KindEInvoice}

func (b *testBundle) extractEInvoice(t *testing.T, id string) *activities.ExtractOutput {
	t.Helper()
	v, err := b.env.ExecuteActivity(b.acts.ExtractEInvoice, activities.ExtractInput{DocumentID: id, DocType: "invoice", Tier: einvoiceTier})
	require.NoError(t, err)
	var out activities.ExtractOutput
	require.NoError(t, v.Get(&out))
	return &out
}

// TestEInvoiceTier: Parse stores the XML of the sample Factur-X PDF and says
// so; the einvoice tier reads it, at no cost, in one attempt.
func TestEInvoiceTier(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, e := range mustLoad(t) {
		if e.File != "einvoice-factur-x.pdf" && e.File != "einvoice-xrechnung.xml" {
			continue
		}
		id := b.put(t, e.File)
		parsed := b.parse(t, id)
		require.True(t, parsed.EInvoice, e.File)
		require.Equal(t, "invoice", parsed.DocType)
		require.Equal(t, 1.0, parsed.Confidence)
		xml, _, err := b.st.EInvoice(b.ctx, id)
		require.NoError(t, err)
		require.NotEmpty(t, xml)

		out := b.extractEInvoice(t, id)
		require.True(t, out.Valid, "%s: %s %s", e.File, out.Code, out.Detail)
		require.Equal(t, parsed.EInvoiceProfile, out.Model)
		ex, err := b.st.Extraction(b.ctx, id, "einvoice")
		require.NoError(t, err)
		var got schema.Fields
		require.NoError(t, json.Unmarshal(ex.Fields, &got))
		require.Equal(t, *e.Fields, got, e.File)

		again := b.extractEInvoice(t, id)
		require.True(t, again.Reused, "a retry does not read it twice")
		attempts, err := b.st.Attempts(b.ctx, id)
		require.NoError(t, err)
		require.Len(t, attempts, 1)
		require.Equal(t, store.OutcomeSuccess, attempts[0].Outcome)
		require.Zero(t, attempts[0].CostUSD)
	}
	require.Equal(t, "CII EN16931", b.parse(t, b.put(t, "einvoice-factur-x.pdf")).EInvoiceProfile)
}

// TestBrokenEInvoice: XML that does not add up is reported with its code,
// its fields kept as partial ones, and the attempt recorded as invalid.
func TestBrokenEInvoice(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.put(t, "einvoice-xrechnung.xml")
	b.parse(t, id)
	xml, name, err := b.st.EInvoice(b.ctx, id)
	require.NoError(t, err)
	broken := []byte(string(xml[:len(xml)/2]))
	require.NoError(t, b.st.SaveEInvoice(b.ctx, id, name, broken))
	out := b.extractEInvoice(t, id)
	require.False(t, out.Valid)
	require.Equal(t, "malformed", out.Code)
	attempts, err := b.st.Attempts(b.ctx, id)
	require.NoError(t, err)
	require.Len(t, attempts, 1)
	require.Equal(t, store.OutcomeInvalid, attempts[0].Outcome)
	require.Equal(t, "malformed", attempts[0].ErrorClass)

	plain := b.put(t, "invoice-classic.pdf")
	require.False(t, b.parse(t, plain).EInvoice)
}
