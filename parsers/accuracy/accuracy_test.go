package accuracy

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/templates"
	"github.com/dataforge/dataforge/samples"
)

// TestAccuracy runs the rules tier over the samples and the labelled set,
// logs the per-field report (go test -v shows it) and guards against
// regressions.
func TestAccuracy(t *testing.T) {
	t.Parallel()
	set, err := templates.LoadDir(filepath.Join(samples.Dir(), "templates"))
	require.NoError(t, err)
	for _, tc := range []struct {
		name     string
		dir      string
		tier     Tier
		minField float64 // lowest accuracy of any field
		minExact int     // documents with every field right
	}{
		{"samples", samples.Dir(), Rules{}, 1, 9},
		{"labelled, rules alone", samples.LabelledDir(), Rules{}, 0.8, 50},
		{"labelled, with templates", samples.LabelledDir(), set, 0.94, 56},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := Evaluate(context.Background(), tc.dir, tc.tier, parsers.Parse)
			require.NoError(t, err)
			var out bytes.Buffer
			require.NoError(t, r.Write(&out, true))
			t.Log("\n" + out.String())
			for _, f := range r.Fields {
				require.GreaterOrEqual(t, f.Accuracy(), tc.minField, "%s: %+v", tc.name, f)
			}
			require.GreaterOrEqual(t, r.Exact, tc.minExact)
			for _, d := range r.Docs {
				require.Empty(t, d.Error, d.File)
			}
		})
	}
}
