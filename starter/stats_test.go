package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/store"
)

// TestStats: one document completes on the rules tier, one goes to review;
// stats reports both, as JSON and as text.
func TestStats(t *testing.T) {
	t.Parallel()
	b := setup(t)
	code, _, errOut := b.cli("submit", sample("invoice-classic.pdf"), sample("invoice-encrypted.pdf"))
	require.Equal(t, exitOK, code, errOut)

	code, out, errOut := b.cli("stats", "--since", "1h", "-o", "json")
	require.Equal(t, exitOK, code, errOut)
	var st store.Stats
	require.NoError(t, json.Unmarshal([]byte(out), &st))
	require.Equal(t, 2, st.Settled)
	require.Equal(t, map[string]int{"rules": 1}, st.CompletedByTier)
	require.InDelta(t, 0.5, st.AutomatedRate, 1e-9)
	require.InDelta(t, 0.5, st.ManualRate, 1e-9)
	require.Equal(t, "parse:encrypted", st.TopReasons[0].Reason)
	require.Equal(t, 1, st.Queue.Pending)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(out), &raw))
	require.JSONEq(t, `{}`, string(raw["breakers"]), "no model was called: no breaker to show")

	code, out, errOut = b.cli("stats")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "Automated completion: 50.0 %")
	require.Contains(t, out, "parse:encrypted ×1")
	require.Contains(t, out, "Circuit breakers")

	code, _, _ = b.cli("stats", "--since", "-1h")
	require.Equal(t, exitUsage, code)
	code, _, _ = b.cli("stats", "extra")
	require.Equal(t, exitUsage, code)
}
