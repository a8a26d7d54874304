package ocr

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/hostile"
	"github.com/dataforge/dataforge/parsers/images"
	"github.com/dataforge/dataforge/samples"
)

// engine detects Tesseract and the default languages; the tests fail when
// they are missing (.ci/run installs them).
func engine(t testing.TB) *Engine {
	e, err := Detect(context.Background(), nil)
	require.NoError(t, err, "the OCR tests need Tesseract with eng, deu, fra and nld")
	return e
}

// TestScans reads every generated scan (PNG, image-only PDFs of a JPEG and
// of a PNG), and the text-layer PDFs beside them, through parsers.Parse with
// OCR, and requires the rules tier to find the invoice number and total the
// generator wrote.
func TestScans(t *testing.T) {
	t.Parallel()
	e := engine(t)
	list, err := samples.LoadDir(samples.ScanDir())
	require.NoError(t, err)
	require.NotEmpty(t, list)
	for _, s := range list {
		t.Run(s.File, func(t *testing.T) {
			t.Parallel()
			data, err := s.Read()
			require.NoError(t, err)
			mt := parsers.DetectMediaType(s.File, data)
			lim := parsers.DefaultLimits()
			lim.OCR = e.Parse
			doc, err := parsers.Parse(context.Background(), data, mt, lim)
			require.NoError(t, err)
			require.Equal(t, mt, doc.MediaType)
			require.Equal(t, 1, doc.Pages)
			if strings.Contains(s.File, "-scan") {
				require.Equal(t, parsers.SourceOCR, doc.Source)
				require.Len(t, doc.PageConfidence, 1)
				require.Greater(t, doc.OCRConfidence, 50.0, "mean word confidence")
				require.True(t, strings.HasSuffix(doc.Text, "\f"))
			} else {
				require.Equal(t, parsers.SourceTextLayer, doc.Source)
			}
			ex := parsers.ExtractRules(doc.Text, s.Type)
			require.Equal(t, s.Fields.InvoiceNumber, ex.Fields.InvoiceNumber, "text:\n%s", doc.Text)
			require.NotNil(t, ex.Fields.Total, "text:\n%s", doc.Text)
			require.InDelta(t, *s.Fields.Total, *ex.Fields.Total, 0.001, "text:\n%s", doc.Text)
		})
	}
}

// TestDetectMissingLanguage names the language and its package.
func TestDetectMissingLanguage(t *testing.T) {
	t.Parallel()
	engine(t)
	_, err := Detect(context.Background(), []string{"eng", "xyz"})
	var perr *parsers.Error
	require.ErrorAs(t, err, &perr)
	require.Equal(t, parsers.CodeOCRUnavailable, perr.Code)
	require.Contains(t, perr.Detail, "tesseract-ocr-xyz")
}

// TestDetectMissingTesseract: without tesseract on the PATH, a typed error
// that says what to install.
func TestDetectMissingTesseract(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Detect(context.Background(), nil)
	var perr *parsers.Error
	require.ErrorAs(t, err, &perr)
	require.Equal(t, parsers.CodeOCRUnavailable, perr.Code)
	require.Contains(t, perr.Detail, "tesseract-ocr-eng")
}

// TestTimeout: a context that ends kills Tesseract and is CodeTimeout.
func TestTimeout(t *testing.T) {
	t.Parallel()
	e := engine(t)
	list, err := samples.LoadDir(samples.ScanDir())
	require.NoError(t, err)
	data, err := list[0].Read()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = e.Read(ctx, data)
	var perr *parsers.Error
	require.ErrorAs(t, err, &perr)
	require.Equal(t, parsers.CodeTimeout, perr.Code)
	require.Less(t, time.Since(start), 3*time.Second)
}

// TestMemoryLimit: Tesseract under a data segment too small for its models
// fails typed, as too large, not as a crash of the caller.
func TestMemoryLimit(t *testing.T) {
	t.Parallel()
	e := *engine(t)
	e.Memory = 16 << 20
	list, err := samples.LoadDir(samples.ScanDir())
	require.NoError(t, err)
	data, err := list[0].Read()
	require.NoError(t, err)
	_, err = e.Read(context.Background(), data)
	var perr *parsers.Error
	require.ErrorAs(t, err, &perr, "%v", err)
	require.Equal(t, parsers.CodeTooLarge, perr.Code, "%v", err)
}

func TestParseTSV(t *testing.T) {
	t.Parallel()
	tsv := "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n" +
		"1\t1\t0\t0\t0\t0\t0\t0\t1000\t800\t-1\t\n" +
		"4\t1\t1\t1\t1\t0\t10\t100\t500\t30\t-1\t\n" +
		"5\t1\t1\t1\t1\t1\t10\t104\t80\t22\t96.5\tTotal\n" +
		"5\t1\t1\t1\t1\t2\t400\t102\t110\t26\t90.5\t12,00\n" +
		"5\t1\t1\t1\t1\t3\t520\t102\t10\t26\t20\t \n"
	p := parseTSV([]byte(tsv))
	require.Len(t, p.Words, 2)
	require.Equal(t, Word{Text: "Total", Left: 10, Top: 104, Width: 80, Height: 22, Confidence: 96.5, line: [4]int{1, 1, 1, 1}}, p.Words[0])
	require.InDelta(t, 93.5, p.Confidence, 1e-9)
	var b strings.Builder
	require.True(t, parsers.LayoutBoxes(&b, p.boxes(), 1<<20))
	require.Regexp(t, `^Total {2,}12,00\n$`, b.String())
}

// TestTurnedScan: a scan on its side is set upright and read.
func TestTurnedScan(t *testing.T) {
	t.Parallel()
	e := engine(t)
	require.True(t, e.OSD, "Tesseract's osd data is missing")
	list, err := samples.LoadDir(samples.ScanDir())
	require.NoError(t, err)
	for _, s := range list {
		if !strings.HasSuffix(s.File, "-scan.png") {
			continue
		}
		data, err := s.Read()
		require.NoError(t, err)
		img, _, err := images.Decode(data, parsers.DefaultLimits().MaxPixels)
		require.NoError(t, err)
		doc, err := e.Parse(context.Background(), images.Turn(img, 1), parsers.MediaPNG, parsers.Limits{})
		require.NoError(t, err)
		require.Greater(t, doc.OCRConfidence, float64(UprightConfidence))
		ex := parsers.ExtractRules(doc.Text, s.Type)
		require.Equal(t, s.Fields.InvoiceNumber, ex.Fields.InvoiceNumber, "text:\n%s", doc.Text)
		require.NotNil(t, ex.Fields.Total, "text:\n%s", doc.Text)
		require.InDelta(t, *s.Fields.Total, *ex.Fields.Total, 0.001, "text:\n%s", doc.Text)
		return
	}
	t.Fatal("no PNG scan")
}

// tallPNG returns a PNG whose header claims 1×10^8 pixels.
func tallPNG(t *testing.T) []byte {
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))))
	data := b.Bytes()
	binary.BigEndian.PutUint32(data[20:], 100_000_000) // IHDR's height
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	return data
}

// TestHostileImages: hostile images through Parse with OCR are typed
// before Tesseract sees them.
func TestHostileImages(t *testing.T) {
	t.Parallel()
	e := engine(t)
	list, err := samples.LoadDir(samples.ScanDir())
	require.NoError(t, err)
	var scan []byte
	for _, s := range list {
		if strings.HasSuffix(s.File, "-scan.png") {
			scan, err = s.Read()
			require.NoError(t, err)
			break
		}
	}
	lim := parsers.DefaultLimits()
	lim.OCR = e.Parse
	for _, c := range []struct {
		name string
		data []byte
		want parsers.Code
	}{
		{"1×10^8 PNG", tallPNG(t), parsers.CodeTooLarge},
		{"PNG with a broken header", hostile.WrongMagic(), parsers.CodeCorrupt},
		{"truncated PNG", scan[:len(scan)/2], parsers.CodeCorrupt},
		{"image-only PDF of a flat grey square", hostile.ImageOnly(), parsers.CodeNoText},
		{"image-only PDF of a JBIG2 image", hostile.ImageOnlyJBIG2(), parsers.CodeNoText},
	} {
		_, err := parsers.Parse(context.Background(), c.data, "", lim)
		code, _ := parsers.CodeOf(err)
		require.Equal(t, c.want, code, "%s: %v", c.name, err)
	}
}
