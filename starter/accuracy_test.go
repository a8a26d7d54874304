package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/parsers/accuracy"
)

// TestAccuracyOfALabelledFolder scores a folder labelled the way a person
// labels invoices (expected.json keyed by file name) and lists the misses
// with the value found and where it was read.
func TestAccuracyOfALabelledFolder(t *testing.T) {
	t.Parallel()
	b := &testBundle{ctx: context.Background(), vars: map[string]string{}}
	dir := t.TempDir()
	doc := "Acme Handels GmbH\nRechnungsnummer: RE-2024-17\nRechnungsdatum: 10.01.2024\n" +
		"Nettobetrag   100,00 EUR\nUSt. 19 %   19,00 EUR\nGesamtbetrag   119,00 EUR\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte(doc), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "expected.json"), []byte(`{"a.txt": {
		"invoice_number": "RE-2024-18", "issue_date": "2024-01-10", "issuer": "ACME Handels G.m.b.H.",
		"currency": "EUR", "total": 119.0, "amount_due": 119.0, "type_code": "380"}}`), 0o644))

	code, out, errOut := b.cli("accuracy", dir, "--output", "json")
	require.Equal(t, exitOK, code, errOut)
	var reports []accuracy.Report
	require.NoError(t, json.Unmarshal([]byte(out), &reports))
	require.Len(t, reports, 1)
	r := reports[0]
	require.Equal(t, 5, r.Compared)
	require.Equal(t, 4, r.Right)
	require.Len(t, r.Docs, 1)
	require.Len(t, r.Docs[0].Misses, 1)
	m := r.Docs[0].Misses[0]
	require.Equal(t, "invoice_number", m.Field)
	require.Equal(t, "RE-2024-17", m.Got)
	require.NotNil(t, m.Span)
	require.Equal(t, 2, m.Span.Line)

	code, out, errOut = b.cli("accuracy", dir, "-v")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, `invoice_number: want "RE-2024-18", got "RE-2024-17" at page 1 line 2`)
	require.Contains(t, out, "fields right 4/5 = 80.0%")

	code, _, errOut = b.cli("accuracy", t.TempDir())
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "expected.json")
}
