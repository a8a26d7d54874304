package pipeline_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/samples"
	"github.com/dataforge/dataforge/workflows"
)

// TestEInvoiceEndToEnd: through a real Temporal server and Postgres, with
// both LLM tiers configured, the sample Factur-X PDF and the bare XRechnung
// complete on the einvoice tier: one attempt, no cost, no request to the
// model, Tier search attribute einvoice.
func TestEInvoiceEndToEnd(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	}))
	t.Cleanup(provider.Close)
	b := setup(t, withLLM(provider.URL+"/v1"))

	items := b.submitAndWait(t, []string{sample(t, "einvoice-factur-x.pdf"), sample(t, "einvoice-xrechnung.xml")}, client.Options{})
	for _, it := range items {
		require.NoError(t, it.Err)
		doc, err := b.st.Document(b.ctx, it.DocumentID)
		require.NoError(t, err)
		require.Equal(t, dftype.StatusCompleted, doc.Status, "%s: %s", it.Name, doc.Reason)
		res, err := b.st.Result(b.ctx, it.DocumentID)
		require.NoError(t, err)
		require.Equal(t, "einvoice", res.Tier)
		require.Equal(t, 1, res.Attempts)
		require.Zero(t, res.CostUSD)
		attempts := attemptsOf(t, b, it.DocumentID)
		require.Len(t, attempts, 1)
		require.Equal(t, "einvoice", attempts[0].Tier)

		desc, err := b.client.DescribeWorkflowExecution(b.ctx, workflows.WorkflowID(it.DocumentID), "")
		require.NoError(t, err)
		var tier string
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(
			desc.WorkflowExecutionInfo.SearchAttributes.IndexedFields["Tier"], &tier))
		require.Equal(t, "einvoice", tier)
	}
	require.Equal(t, "CII EN16931", mustResult(t, b, items[0].DocumentID).Model)
	require.Equal(t, "UBL XRECHNUNG", mustResult(t, b, items[1].DocumentID).Model)
	require.Zero(t, requests.Load(), "no model was asked anything")
}

func mustResult(t *testing.T, b *testBundle, id string) *store.Result {
	t.Helper()
	r, err := b.st.Result(b.ctx, id)
	require.NoError(t, err)
	return r
}

// TestBrokenEInvoiceFallsThrough: an e-invoice whose totals do not add up
// is not trusted; the reason is recorded and the usual tiers take over.
func TestBrokenEInvoiceFallsThrough(t *testing.T) {
	t.Parallel()
	b := setup(t)
	good, err := os.ReadFile(filepath.Join(samples.EInvoiceDir(), "cii-basic.xml"))
	require.NoError(t, err)
	bad := strings.Replace(string(good), "<ram:GrandTotalAmount>611.07<", "<ram:GrandTotalAmount>711.07<", 1)
	require.NotEqual(t, string(good), bad)
	path := filepath.Join(t.TempDir(), "broken.xml")
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))

	items := b.submitAndWait(t, []string{path}, client.Options{})
	id := items[0].DocumentID
	doc, err := b.st.Document(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, dftype.StatusReview, doc.Status, "the rules read the rendered fields, which do not add up either")
	require.True(t, strings.HasPrefix(doc.Reason, "einvoice: arithmetic, rules: "), doc.Reason)
	item, err := b.st.ReviewItemByDocument(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, "einvoice", item.Reasons[0].Tier)
	require.Contains(t, item.Reasons[0].Detail, "≠ grand total 711.07")
	attempts := attemptsOf(t, b, id)
	require.Equal(t, "einvoice", attempts[0].Tier)
	require.Equal(t, store.OutcomeInvalid, attempts[0].Outcome)
}
