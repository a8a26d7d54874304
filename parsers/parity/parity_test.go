package parity

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/parsers"
)

func TestMatchedCountsWordsAsMultisets(t *testing.T) {
	ref := Words("Invoice  no. 42\n\fTotal 42 EUR")
	require.Equal(t, []string{"Invoice", "no.", "42", "Total", "42", "EUR"}, ref)
	require.Equal(t, 4, Matched(ref, Words("I n v o i c e no. 42 Total EUR EUR")))
	require.InDelta(t, 2*4.0/(6+9), f1(4, 6, 9), 1e-9)
	require.Equal(t, 0.0, f1(0, 6, 0))
}

func TestRunScoresRefusedFilesAsEmpty(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	write("a.pdf", "a")
	write("a"+RefSuffix, "one two three")
	write("b.pdf", "b")
	write("b"+RefSuffix, "four five")
	write("c.pdf", "c") // no reference: pdftotext could not read it
	extract := func(_ context.Context, data []byte) (*parsers.Document, error) {
		if string(data) == "b" {
			return nil, errors.New("refused")
		}
		return &parsers.Document{Text: "one two 3", Pages: 1}, nil
	}
	r, err := Run(context.Background(), dir, extract, nil)
	require.NoError(t, err)
	require.Len(t, r.Files, 2)
	require.InDelta(t, 2*2.0/(3+3), r.Files[0].F1, 1e-9)
	require.Equal(t, []string{"b.pdf"}, r.Refused)
	require.Equal(t, []string{"c.pdf"}, r.Skipped)
	require.Equal(t, []string{"b.pdf", "a.pdf"}, r.Below)
	require.InDelta(t, 2*2.0/(5+3), r.F1, 1e-9) // micro: 2 matched of 5 reference and 3 extracted words
}

// floors are the word F1 the shared corpora reach today; raise them as
// extraction improves, never lower them. The text corpus's floor counts on
// poppler-data's CID tables (Limits.CIDToUnicode), which .ci/run installs.
var floors = map[string]float64{
	"text":      0.9895,
	"einvoices": 0.997,
}

// TestCorpusParity measures text extraction on the shared real-world
// corpora, ../shared/corpus beside the repository or $DATAFORGE_CORPUS. A
// clone without them passes with a note, except in CI ($CI set), where the
// corpora are expected and their absence fails.
func TestCorpusParity(t *testing.T) {
	root := os.Getenv("DATAFORGE_CORPUS")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(root); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but the corpus is missing: %v (set DATAFORGE_CORPUS)", err)
		}
		t.Logf("corpus not found (%v): parity not measured; set DATAFORGE_CORPUS to measure it", err)
		return
	}
	for name, floor := range floors {
		t.Run(name, func(t *testing.T) {
			r, err := Run(context.Background(), filepath.Join(root, name), ParsePDF, nil)
			require.NoError(t, err)
			t.Logf("%s: %d files, word F1 %.4f (macro %.4f), %d refused %v, %d below %.2f",
				name, len(r.Files), r.F1, r.MacroF1, len(r.Refused), r.Refused, len(r.Below), Threshold)
			require.GreaterOrEqual(t, r.F1, floor, "word F1 of %s fell below its floor", name)
		})
	}
}
