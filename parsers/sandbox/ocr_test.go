package sandbox

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/ocr"
	"github.com/dataforge/dataforge/samples"
)

// scans returns the generated scans: a PNG and an image-only PDF.
func scans(t *testing.T) []samples.Expected {
	list, err := samples.LoadDir(samples.ScanDir())
	require.NoError(t, err)
	var out []samples.Expected
	for _, s := range list {
		if strings.HasSuffix(s.File, "-scan.png") || strings.HasSuffix(s.File, "-scan-jpeg.pdf") {
			out = append(out, s)
		}
	}
	require.NotEmpty(t, out)
	return out
}

// TestOCR: the child reads scans with the engine it is sent, and the OCR
// fields of the document come back to the parent.
func TestOCR(t *testing.T) {
	t.Parallel()
	e, err := ocr.Detect(context.Background(), nil)
	require.NoError(t, err, "the OCR tests need Tesseract with eng, deu, fra and nld")
	s := newSandbox(t, Options{OCR: e})
	for _, sc := range scans(t)[:2] {
		data, err := sc.Read()
		require.NoError(t, err)
		mt := parsers.DetectMediaType(sc.File, data)
		doc, err := s.Parse(context.Background(), data, mt, parsers.DefaultLimits())
		require.NoError(t, err, sc.File)
		require.Equal(t, parsers.SourceOCR, doc.Source)
		require.Equal(t, mt, doc.MediaType)
		require.Greater(t, doc.OCRConfidence, 50.0)
		require.Len(t, doc.PageConfidence, 1)
		require.InDelta(t, doc.OCRConfidence, doc.PageConfidence[0], 1e-9)
		require.Contains(t, doc.Text, sc.Fields.InvoiceNumber)
	}
}

// TestOCRKilledWithChild: Tesseract dies with a child its parent kills.
func TestOCRKilledWithChild(t *testing.T) {
	e, err := ocr.Detect(context.Background(), nil)
	require.NoError(t, err, "the OCR tests need Tesseract with eng, deu, fra and nld")
	// A mark in the environment, which the child and Tesseract inherit.
	mark := "DATAFORGE_TEST_MARK=" + strconv.FormatInt(time.Now().UnixNano(), 36)
	k, v, _ := strings.Cut(mark, "=")
	t.Setenv(k, v)
	s := newSandbox(t, Options{OCR: e, Procs: 1})
	data, err := scans(t)[0].Read()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Parse(ctx, data, "", parsers.DefaultLimits())
		done <- err
	}()
	for i := 0; i < 500 && !tesseract(t, mark); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	require.True(t, tesseract(t, mark), "no Tesseract process started")
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	noChildren(t)
	for i := 0; i < 50 && tesseract(t, mark); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	require.False(t, tesseract(t, mark), "a Tesseract process outlived its parse child")
}

// tesseract reports whether a tesseract process has mark in its
// environment.
func tesseract(t *testing.T, mark string) bool {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	require.NoError(t, err)
	for _, d := range dirs {
		comm, err := os.ReadFile(filepath.Join(d, "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != "tesseract" {
			continue // gone meanwhile, or another program
		}
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err == nil && bytes.Contains(env, []byte(mark)) {
			return true
		}
	}
	return false
}
