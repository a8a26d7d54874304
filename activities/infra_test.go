package activities_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/internal/store/storetest"
)

// cutting is a model that answers, but cuts the database off while it does.
type cutting struct {
	proxy  *storetest.Proxy
	answer activities.Model
}

func (m *cutting) Do(ctx context.Context, req llm.Request) (*llm.Response, error) {
	resp, err := m.answer.Do(ctx, req)
	m.proxy.Cut()
	return resp, err
}

func errorType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

// TestPostgresOutageIsInfrastructure: activities report Postgres down as
// ErrTypeInfrastructure, and a model call made just before the database went
// away is still recorded once it is back.
func TestPostgresOutageIsInfrastructure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.put(t, "invoice-table.pdf")
	b.parse(t, id)
	proxy, proxied := storetest.NewProxy(t, b.st.Pool().Config().ConnString())
	st, err := store.Open(b.ctx, proxied)
	require.NoError(t, err)
	t.Cleanup(st.Close)
	b.acts.Store = st

	rules := activities.ExtractInput{DocumentID: id, DocType: "invoice", Tier: router.Tier{Name: "rules", Kind: router.KindRules}}
	proxy.Cut()
	_, err = b.env.ExecuteActivity(b.acts.ExtractRules, rules)
	require.Equal(t, activities.ErrTypeInfrastructure, errorType(err), "%v", err)
	proxy.Restore()
	st.Pool().Reset()

	sim := b.simulated(t, llmsim.Options{})
	model := b.acts.LLM
	b.acts.LLM = &cutting{proxy: proxy, answer: model}
	in := activities.ExtractInput{DocumentID: id, DocType: "invoice",
		Tier: router.Tier{Name: "primary", Kind: router.KindLLM, Model: "gpt-4o"}}
	_, err = b.env.ExecuteActivity(b.acts.ExtractLLM, in)
	require.Equal(t, activities.ErrTypeInfrastructure, errorType(err), "%v", err)
	attempts, err := b.st.Attempts(b.ctx, id)
	require.NoError(t, err)
	require.Empty(t, attempts, "nothing could be recorded while the database was away")

	proxy.Restore()
	st.Pool().Reset()
	b.acts.LLM = model
	_, err = b.env.ExecuteActivity(b.acts.ExtractLLM, in)
	require.NoError(t, err)
	attempts, err = b.st.Attempts(b.ctx, id)
	require.NoError(t, err)
	require.Len(t, attempts, 2, "the call made before the outage is recorded, then the new one")
	require.Equal(t, activities.ErrTypeInfrastructure, attempts[0].ErrorClass)
	require.Positive(t, attempts[0].CostUSD, "it was paid for")
	require.Equal(t, store.OutcomeSuccess, attempts[1].Outcome)
	require.Equal(t, 2, sim.Stats()["gpt-4o"].Requests, "the lost answer was asked for again")
}
