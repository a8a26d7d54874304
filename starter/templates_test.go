package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/samples"
)

func TestTemplatesCheck(t *testing.T) {
	t.Parallel()
	b := &testBundle{ctx: context.Background(), vars: map[string]string{}}
	dir := filepath.Join(samples.Dir(), "templates")
	code, out, errOut := b.cli("templates", "check", dir, "--output", "json")
	require.Equal(t, exitOK, code, errOut)
	var res templateCheck
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Len(t, res.Templates, 3)
	require.Empty(t, res.Errors)

	bad := filepath.Join(t.TempDir(), "broken.yml")
	require.NoError(t, os.WriteFile(bad, []byte("issuer: Broken\nkeywords: [Broken]\nfields:\n  total: 'Total\\s+(\\d+'\n"), 0o644))
	code, _, errOut = b.cli("templates", "check", bad)
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, bad+": line 4: fields.total: invalid pattern")

	code, _, errOut = b.cli("templates")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "templates check")
	b.vars["DATAFORGE_TEMPLATES"] = dir
	code, _, errOut = b.cli("templates", "check")
	require.Equal(t, exitOK, code, errOut)
}

func TestExtractWithTemplates(t *testing.T) {
	t.Parallel()
	b := &testBundle{ctx: context.Background(), vars: map[string]string{}}
	doc := filepath.Join(samples.LabelledDir(), "54-de-chf-helvetia-druck.pdf")
	code, out, errOut := b.cli("extract", doc, "--templates", filepath.Join(samples.Dir(), "templates"), "--output", "json")
	require.Equal(t, exitOK, code, errOut)
	var xs []extraction
	require.NoError(t, json.Unmarshal([]byte(out), &xs))
	require.Len(t, xs, 1)
	require.Equal(t, "helvetia-druck", xs[0].Template)
	require.True(t, xs[0].Valid)
	require.Equal(t, "CHF", xs[0].Fields.Currency)
	require.Equal(t, xs[0].Fields.InvoiceNumber, xs[0].Spans["invoice_number"].Text)

	code, out, _ = b.cli("extract", doc, "--output", "json")
	require.Equal(t, exitOK, code)
	xs = nil
	require.NoError(t, json.Unmarshal([]byte(out), &xs))
	require.Empty(t, xs[0].Template, "no template without --templates")
	require.False(t, xs[0].Valid)

	code, _, errOut = b.cli("extract", doc, "--templates", filepath.Join(t.TempDir(), "missing"))
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "templates")
}

// TestTemplatesAccuracyCommand scores the samples with the command's own
// parser, which reads the scanned sample with Tesseract.
func TestTemplatesAccuracyCommand(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	e := &env{getenv: func(string) string { return "" }, stdout: &stdout, stderr: &stderr, isTerminal: func() bool { return false }}
	e.parse = sandboxParser(e)
	code := run(context.Background(), []string{"accuracy", samples.Dir(), "--templates", filepath.Join(samples.Dir(), "templates")}, e)
	require.Equal(t, exitOK, code, stderr.String())
	require.Contains(t, stdout.String(), "invoice_number")
	require.Contains(t, stdout.String(), "10 documents, 10 with every field right", "invoice-scanned.pdf read by OCR (.ci/run installs Tesseract)")
}
