package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/store/storetest"
)

// TestRoutingEval: on a recorded history where the smaller model reads
// simple invoices only (every document tried on both models), `routing
// eval` shows learned routing completing as many documents as fixed
// routing (everything on the primary first) and capability routing, at a
// lower cost than both.
func TestRoutingEval(t *testing.T) {
	t.Parallel()
	st, url := storetest.New(t)
	b := &testBundle{ctx: context.Background(), st: st, vars: map[string]string{"DATABASE_URL": url,
		"DATAFORGE_PRIMARY_MODEL": "gpt-4o", "DATAFORGE_FALLBACK_MODEL": "gpt-4o-mini"}}
	storetest.SmallerReadsSimple(t, st, "gpt-4o", "gpt-4o-mini", 60)

	code, out, errOut := b.cli("routing", "eval", "--since", "7d", "-o", "json")
	require.Equal(t, exitOK, code, errOut)
	var r router.Replay
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	t.Logf("%+v", r)
	require.Equal(t, 180, r.Documents)
	require.Equal(t, 180, r.Compared, "every document was tried on both models")
	pol := map[string]router.Replayed{}
	for _, p := range r.Policies {
		pol[p.Policy] = p
		require.Equal(t, 180, p.Completed, "%s: the primary reads every document", p.Policy)
		require.Zero(t, p.Unknown)
	}
	// fixed: the primary on everything.
	require.InDelta(t, 60*0.005+60*0.005+60*0.01, pol["fixed"].CostUSD, 1e-6)
	// capability: the smaller model first on every simple document.
	require.InDelta(t, 60*0.0005+60*0.0055+60*0.01, pol["capability"].CostUSD, 1e-6)
	// learned: as capability until a model is proven on a kind (20
	// documents at 0.9), then the smaller model on simple invoices only.
	require.InDelta(t, 60*0.0005+20*0.0055+40*0.005+60*0.01, pol["learned"].CostUSD, 1e-6)
	require.Less(t, pol["learned"].CostUSD, pol["capability"].CostUSD)

	code, out, errOut = b.cli("routing", "eval")
	require.Equal(t, exitOK, code, errOut)
	t.Log("\n" + out)
	require.Contains(t, out, "known under every policy: 180")
	require.Contains(t, out, "learned")

	code, _, _ = b.cli("routing", "eval", "--since", "soon")
	require.Equal(t, exitUsage, code)
	code, _, _ = b.cli("routing", "eval", "--since", "0d")
	require.Equal(t, exitUsage, code)
}
