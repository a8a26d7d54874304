package samples

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/schema"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	list, err := Load()
	require.NoError(t, err)
	require.NotEmpty(t, list)
	seen := map[string]bool{}
	for _, e := range list {
		require.False(t, seen[e.File], "duplicate %s", e.File)
		seen[e.File] = true
		_, err := os.Stat(filepath.Join(Dir(), e.File))
		require.NoError(t, err, e.File)
		_, err = schema.ParseDocType(string(e.Type))
		require.NoError(t, err, e.File)
		if e.ParseError != "" {
			require.Empty(t, e.Outcome, "%s: a document that does not parse has no rules outcome", e.File)
			require.False(t, e.OCR, "%s: a scan parses with OCR", e.File)
			continue
		}
		if e.OCR {
			require.Equal(t, "no_text_layer", e.WantParseError(false), e.File)
			require.Empty(t, e.WantParseError(true), e.File)
		}
		require.Contains(t, []Outcome{OutcomeRules, OutcomeReview, OutcomeEInvoice}, e.Outcome, e.File)
		if e.Outcome != OutcomeReview {
			require.NotNil(t, e.Fields, e.File)
		}
		if e.Fields != nil {
			require.NoError(t, schema.ValidateFields(e.Type, e.Fields), e.File)
		}
	}
}
