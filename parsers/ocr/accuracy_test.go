package ocr

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/accuracy"
	"github.com/dataforge/dataforge/samples"
)

// TestScanAccuracy scores the rules tier on the scans beside the text-layer
// PDFs of the same invoices (accuracy.Scans). Issue 16 aims at 95 % of the
// fields the text versions reach; the scans reach 60 of 60 since the pages
// are cleaned before OCR (images.Clean) and the rules read spaced thousands
// in item rows and labels without their accents (55 of 60 before).
func TestScanAccuracy(t *testing.T) {
	t.Parallel()
	parse := withOCR(engine(t))
	r, err := accuracy.Evaluate(context.Background(), samples.ScanDir(), accuracy.Rules{}, parse)
	require.NoError(t, err)
	for _, d := range r.Docs {
		require.Empty(t, d.Error, d.File)
		require.Equal(t, d.OCR, d.Source == parsers.SourceOCR, "%s: read by OCR when it is a scan", d.File)
	}
	require.NotNil(t, r.Scans)
	require.Len(t, r.Scans.Pairs, 5)
	for _, p := range r.Scans.Pairs {
		t.Logf("%s: %d/%d fields right at OCR confidence %.1f (text layer %d/%d)", p.Scan, p.Right, p.Compared, p.OCRConfidence, p.TextRight, p.Compared)
	}
	t.Logf("scans: %d fields right, their text layers %d: %.1f %%", r.Scans.Right, r.Scans.TextRight, 100*r.Scans.Share())
	require.GreaterOrEqual(t, r.Scans.Share(), 0.95)
}

// TestScannedSample: the sample invoice-scanned.pdf, which parses only
// with OCR, is read with every field right and accepted by the verdict.
func TestScannedSample(t *testing.T) {
	t.Parallel()
	parse := withOCR(engine(t))
	r, err := accuracy.Evaluate(context.Background(), samples.Dir(), accuracy.Rules{}, parse)
	require.NoError(t, err)
	var scans int
	for _, d := range r.Docs {
		if !d.OCR {
			continue
		}
		scans++
		require.Empty(t, d.Error, d.File)
		require.Empty(t, d.Misses, d.File)
		require.True(t, d.Confident, "%s: accepted (overall %.2f)", d.File, d.Overall)
		require.GreaterOrEqual(t, d.OCRConfidence, 70.0, d.File)
	}
	require.Equal(t, 1, scans, "invoice-scanned.pdf")
}

// withOCR is parsers.Parse reading scans with e.
func withOCR(e *Engine) parsers.ParseFunc {
	return func(ctx context.Context, data []byte, mediaType string, lim parsers.Limits) (*parsers.Document, error) {
		lim.OCR = e.Parse
		return parsers.Parse(ctx, data, mediaType, lim)
	}
}
