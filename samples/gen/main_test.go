package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/samples"
)

// TestGenerateIsDeterministic regenerates the samples and compares them with
// the committed files: the output must be byte-identical, so the committed
// set is exactly what the generator makes.
func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	requireGenerated(t, generate, samples.Dir())
}

// TestGenerateLabelledIsDeterministic does the same for the labelled set.
func TestGenerateLabelledIsDeterministic(t *testing.T) {
	t.Parallel()
	requireGenerated(t, generateLabelled, samples.LabelledDir())
}

// TestGenerateEInvoicesIsDeterministic does the same for the e-invoices.
func TestGenerateEInvoicesIsDeterministic(t *testing.T) {
	t.Parallel()
	requireGenerated(t, generateEInvoices, samples.EInvoiceDir())
}

// TestGenerateScansIsDeterministic does the same for the scans.
func TestGenerateScansIsDeterministic(t *testing.T) {
	t.Parallel()
	requireGenerated(t, generateScans, samples.ScanDir())
}

// requireGenerated runs gen in a new directory and requires its output to
// be the files listed in dir.
func requireGenerated(t *testing.T, gen func(string) (int, error), dir string) {
	out := t.TempDir()
	n, err := gen(out)
	require.NoError(t, err)
	list, err := samples.LoadDir(dir)
	require.NoError(t, err)
	require.Len(t, list, n)
	for _, name := range append([]string{samples.ExpectedFile}, files(list)...) {
		want, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(out, name))
		require.NoError(t, err)
		require.Equal(t, want, got, "%s differs from the generator's output; run go run ./samples/gen", name)
	}
}

func files(list []samples.Expected) []string {
	var out []string
	for _, e := range list {
		out = append(out, e.File)
	}
	return out
}
