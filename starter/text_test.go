package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/parsers/parity"
	"github.com/dataforge/dataforge/samples"
)

func TestText(t *testing.T) {
	t.Parallel()
	b := &testBundle{ctx: context.Background(), vars: map[string]string{}}
	code, out, errOut := b.cli("text", sample("invoice-multipage.pdf"), "--pages", "2", "--output", "json")
	require.Equal(t, exitOK, code, errOut)
	var res textResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Equal(t, "ok", res.Verdict)
	require.Greater(t, res.Pages, 1)
	require.Len(t, res.Shown, 1)
	require.Equal(t, 2, res.Shown[0].Number)
	require.NotEmpty(t, strings.TrimSpace(strings.Join(res.Shown[0].Lines, "")))

	code, out, errOut = b.cli("text", sample("invoice-encrypted.pdf"), "--output", "json")
	require.Equal(t, exitFailure, code)
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Equal(t, "encrypted", res.Verdict)
	require.Contains(t, errOut, "encrypted")

	code, _, _ = b.cli("text", sample("invoice-classic.pdf"), "--pages", "3-1")
	require.Equal(t, exitUsage, code)
}

func TestParity(t *testing.T) {
	t.Parallel()
	b := &testBundle{ctx: context.Background(), vars: map[string]string{}}
	dir := t.TempDir()
	data, err := os.ReadFile(sample("invoice-classic.pdf"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.pdf"), data, 0o644))
	code, out, errOut := b.cli("text", sample("invoice-classic.pdf"))
	require.Equal(t, exitOK, code, errOut)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a"+parity.RefSuffix), []byte(out+" extra"), 0o644))

	code, out, errOut = b.cli("parity", dir, "--output", "json")
	require.Equal(t, exitOK, code, errOut)
	var reports []parity.Report
	require.NoError(t, json.Unmarshal([]byte(out), &reports))
	require.Len(t, reports, 1)
	require.Len(t, reports[0].Files, 1)
	f := reports[0].Files[0]
	require.Equal(t, f.Got, f.Matched)
	require.Equal(t, f.Got+1, f.Ref)

	code, _, _ = b.cli("parity")
	require.Equal(t, exitUsage, code)
}

// TestTextReadsScans: a scanned PNG is read by OCR in the sandbox, and the
// JSON says so.
func TestTextReadsScans(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	e := &env{getenv: func(string) string { return "" }, stdout: &stdout, stderr: &stderr, isTerminal: func() bool { return false }}
	e.parse = sandboxParser(e)
	code := run(context.Background(), []string{"text", filepath.Join(samples.Dir(), "scans", "05-fr-eur-text-scan.png"), "-o", "json"}, e)
	require.Equal(t, exitOK, code, stderr.String())
	var res textResult
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &res))
	require.Equal(t, "ocr", res.Source, "this test needs Tesseract (.ci/run installs it)")
	require.Greater(t, res.OCRConfidence, 50.0)
	require.Contains(t, strings.Join(res.Shown[0].Lines, "\n"), "N-12314")
}
