package parsers

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"
	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/einvoice"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers/hostile"
	"github.com/dataforge/dataforge/samples"
)

// loadSamples returns the sample set with each document's bytes.
func loadSamples(tb testing.TB) ([]samples.Expected, [][]byte) {
	tb.Helper()
	list, err := samples.Load()
	require.NoError(tb, err)
	data := make([][]byte, len(list))
	for i, e := range list {
		data[i], err = e.Read()
		require.NoError(tb, err)
	}
	return list, data
}

func TestSamples(t *testing.T) {
	t.Parallel()
	list, data := loadSamples(t)
	for i, e := range list {
		t.Run(e.File, func(t *testing.T) {
			t.Parallel()
			doc, err := Parse(context.Background(), data[i], DetectMediaType(e.File, data[i]), DefaultLimits())
			if want := e.WantParseError(false); want != "" { // scans: parsers/ocr reads them
				code, ok := CodeOf(err)
				require.True(t, ok, "want a *Error, got %v", err)
				require.Equal(t, Code(want), code, err.Error())
				return
			}
			require.NoError(t, err)
			require.NotEmpty(t, doc.Text)

			c := Classify(doc.Text)
			require.Equal(t, e.Type, c.Type)
			require.GreaterOrEqual(t, c.Confidence, 0.5)

			x := ExtractRules(doc.Text, c.Type)
			switch e.Outcome {
			case samples.OutcomeRules:
				require.Equal(t, *e.Fields, x.Fields)
				require.NoError(t, schema.ValidateFields(e.Type, &x.Fields))
				require.Empty(t, schema.Check(e.Type, &x.Fields))
				require.GreaterOrEqual(t, x.Overall, ConfidenceThreshold, "confidence: %v", x.Confidence)
			case samples.OutcomeReview:
				require.Less(t, x.Overall, ConfidenceThreshold, "confidence: %v", x.Confidence)
			case samples.OutcomeEInvoice:
				require.NotNil(t, doc.EInvoice, "the e-invoice XML is found")
				inv, err := einvoice.Load(doc.EInvoice)
				require.NoError(t, err)
				require.Equal(t, *e.Fields, inv.Fields)
			default:
				t.Fatalf("unknown outcome %q", e.Outcome)
			}
		})
	}
}

// TestSamplePages checks the page count and that a label and its value,
// drawn as separate text objects, stay on one line.
func TestSamplePages(t *testing.T) {
	t.Parallel()
	list, data := loadSamples(t)
	for i, e := range list {
		switch e.File {
		case "invoice-multipage.pdf":
			doc, err := Parse(context.Background(), data[i], MediaPDF, Limits{})
			require.NoError(t, err)
			require.Equal(t, 3, doc.Pages)
			require.Equal(t, 3, strings.Count(doc.Text, "\f"))
			require.Regexp(t, `\nInvoice Date: {2,}2024-02-28\n`, doc.Text)
			_, err = Parse(context.Background(), data[i], MediaPDF, Limits{MaxPages: 2})
			requireCode(t, CodeTooManyPages, err)
		case "invoice-plain.txt":
			doc, err := Parse(context.Background(), data[i], MediaText, Limits{})
			require.NoError(t, err)
			require.Equal(t, 1, doc.Pages)
			require.NotContains(t, doc.Text, "\r")
		}
	}
}

func requireCode(t *testing.T, want Code, err error) {
	t.Helper()
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, want, e.Code, e.Error())
	require.NotEmpty(t, e.Error())
}

// buildPDF assembles a PDF from object bodies, numbered from 1 (object 1 is
// the catalog), with a correct cross-reference table.
func buildPDF(header string, objects ...string) []byte { return hostile.Build(header, objects...) }

func stream(dict, content string) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(content), content)
}

const helvetica = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"

// onePage returns a one-page PDF with the given content stream; the page has
// font F1 and, as object 6, a form XObject X1.
func onePage(header, content, form string) []byte {
	return buildPDF(header,
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> /XObject << /X1 6 0 R >> >> /Contents 5 0 R >>",
		helvetica,
		stream("", content),
		stream("/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >>", form),
	)
}

func TestParsePDFLayout(t *testing.T) {
	t.Parallel()
	content := strings.Join([]string{
		"BT /F1 10 Tf 1 0 0 1 50 800 Tm (Invoice number:) Tj ET",
		"BT /F1 10 Tf 1 0 0 1 200 800 Tm (INV-42) Tj ET",
		"BT /F1 10 Tf 50 780 Td [(T) 80 (otal) -250 (due)] TJ ET",
		"BT /F1 10 Tf 12 TL 50 760 Td (first) Tj T* (second) Tj ET",
		"q 1 0 0 1 0 -20 cm /X1 Do Q",
	}, "\n")
	data := onePage("%PDF-1.4", content, "BT /F1 10 Tf 50 700 Td (From a form) Tj ET")
	doc, err := Parse(context.Background(), data, MediaPDF, Limits{})
	require.NoError(t, err)
	require.Equal(t, "Invoice number:               INV-42\nTotal due\nfirst\nsecond\n\nFrom a form\n\f", doc.Text)
	require.Equal(t, 1, doc.Pages)
}

func TestParsePDFLenient(t *testing.T) {
	t.Parallel()
	content := "BT /F1 10 Tf 50 800 Td (Hello from a PDF 2.0 file) Tj ET"
	for name, data := range map[string][]byte{
		"PDF 2.0 header":  onePage("%PDF-2.0", content, ""),
		"junk after EOF":  append(onePage("%PDF-1.4", content, ""), bytes.Repeat([]byte("junk "), 100)...),
		"junk before PDF": append([]byte("From: scanner@example.com\n\n"), onePage("%PDF-1.4", content, "")...),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, MediaPDF, DetectMediaType("", data))
			doc, err := Parse(context.Background(), data, MediaPDF, Limits{})
			require.NoError(t, err)
			require.Contains(t, doc.Text, "Hello from a PDF 2.0 file")
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(i * 7919 % 251)
	}
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	loop := buildPDF("%PDF-1.4",
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [2 0 R] /Count 5 >>", // a page tree that contains itself
	)
	slow := slowPDF(t)

	for _, tc := range []struct {
		name      string
		data      []byte
		mediaType string
		lim       Limits
		ctx       context.Context
		want      Code
	}{
		{"empty", nil, MediaText, Limits{}, nil, CodeEmpty},
		{"whitespace", []byte(" \n\t\r\n "), "", Limits{}, nil, CodeEmpty},
		{"byte order mark only", []byte("\uFEFF\n"), MediaText, Limits{}, nil, CodeEmpty},
		{"too large", bytes.Repeat([]byte("a"), 1025), MediaText, Limits{MaxBytes: 1024}, nil, CodeTooLarge},
		{"cancelled", []byte("Invoice 1"), MediaText, Limits{}, cancelled, CodeTimeout},
		{"garbage", garbage, "", Limits{}, nil, CodeUnsupported},
		{"garbage as PDF", garbage, MediaPDF, Limits{}, nil, CodeCorrupt},
		{"garbage as text", garbage[:64], MediaText, Limits{}, nil, CodeUnsupported},
		{"PDF header then junk", append([]byte("%PDF-1.7\n"), garbage...), "", Limits{}, nil, CodeCorrupt},
		{"PNG without OCR", png, "", Limits{}, nil, CodeOCRUnavailable},
		{"Word document", []byte("PK\x03\x04..."), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Limits{}, nil, CodeUnsupported},
		{"page tree loop", loop, MediaPDF, Limits{}, nil, CodeCorrupt},
		{"slow", slow, MediaPDF, Limits{Timeout: 20 * time.Millisecond}, nil, CodeTimeout},
		{"too many pages", buildPDF("%PDF-1.4", "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 100000 >>"), MediaPDF, Limits{}, nil, CodeTooManyPages},
		{"no pages", buildPDF("%PDF-1.4", "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>"), MediaPDF, Limits{}, nil, CodeCorrupt},
		{"unterminated hex string", onePage("%PDF-1.4", "BT /F1 10 Tf 50 800 Td <4142", ""), MediaPDF, Limits{Timeout: 2 * time.Second}, nil, CodeNoText},
		{"pages without content", buildPDF("%PDF-1.4", "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R >>"), MediaPDF, Limits{}, nil, CodeNoText},
		{"unknown stream filter", buildPDF("%PDF-1.4", "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>", stream("/Filter /NoSuchFilter", "BT ET")), MediaPDF, Limits{}, nil, CodeCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			start := time.Now()
			doc, err := Parse(ctx, tc.data, tc.mediaType, tc.lim)
			require.Nil(t, doc)
			requireCode(t, tc.want, err)
			require.Less(t, time.Since(start), 5*time.Second)
		})
	}
}

// slowPDF returns a small PDF whose page has millions of drawing operators.
func slowPDF(t *testing.T) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	for range 2_000_000 {
		_, err := w.Write([]byte("0 0 m\n"))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return buildPDF("%PDF-1.4",
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
		fmt.Sprintf("<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", z.Len(), z.Bytes()),
	)
}

// TestReadPDFStops checks that the goroutine doing the PDF work ends soon
// after its context does.
func TestReadPDFStops(t *testing.T) {
	t.Parallel()
	data := slowPDF(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	lim := DefaultLimits()
	_, err := readPDFOnce(ctx, data, lim, func(r *pdf.Reader, _ []byte, pages []page) (*Document, error) {
		return readText(ctx, r, pages, lim)
	})
	requireCode(t, CodeTimeout, err)
	require.True(t, errors.Is(err, context.DeadlineExceeded))
	require.Less(t, time.Since(start), time.Second)
}

func TestParseTextLimit(t *testing.T) {
	t.Parallel()
	// A small compressed stream that expands into much more text.
	data := compressedPage(t, func(w io.Writer) {
		for range 2000 {
			fmt.Fprintf(w, "BT /F1 10 Tf 50 800 Td (%s) Tj ET\n", strings.Repeat("A", 100))
		}
	})
	require.Less(t, len(data), 50_000)
	_, err := Parse(context.Background(), data, MediaPDF, Limits{MaxBytes: 50_000})
	requireCode(t, CodeTooLarge, err)
}

func TestParseEncryptedWithoutUserPassword(t *testing.T) {
	t.Parallel()
	// The library can open this (the user password is empty), but any
	// /Encrypt entry means the document is protected.
	data := buildPDF("%PDF-1.4",
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [] /Count 1 >>",
	)
	data = bytes.Replace(data, []byte("/Root 1 0 R"), []byte("/Root 1 0 R /Encrypt << /Filter /Unknown >>"), 1)
	_, err := Parse(context.Background(), data, MediaPDF, Limits{})
	requireCode(t, CodeEncrypted, err)
}

func TestParseText(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"CRLF":          {[]byte("Invoice 1\r\nTotal 2\rDue\n"), "Invoice 1\nTotal 2\nDue\n"},
		"byte order":    {[]byte("\uFEFFInvoice"), "Invoice"},
		"Latin-1":       {[]byte("Caf\xe9 Lux\nTotal \x80 12,00\n"), "Café Lux\nTotal € 12,00\n"},
		"UTF-16LE":      {[]byte("\xff\xfeI\x00n\x00v\x00\n\x00"), "Inv\n"},
		"UTF-16BE":      {[]byte("\xfe\xff\x00I\x00n\x00v"), "Inv"},
		"utf-8 charset": {[]byte("Ærø € 5"), "Ærø € 5"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			doc, err := Parse(context.Background(), tc.data, "text/plain; charset=utf-8", Limits{})
			require.NoError(t, err)
			require.Equal(t, tc.want, doc.Text)
			require.Equal(t, MediaText, doc.MediaType)
		})
	}
}

func TestDetectMediaType(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		data string
		want string
	}{
		{"a.pdf", "%PDF-1.4\n...", MediaPDF},
		{"noext", "%PDF-1.4\n...", MediaPDF},
		{"a.txt", "Invoice 12\nTotal 3.00\n", MediaText},
		{"a.txt", "<html><body>Invoice</body></html>", MediaText},
		{"a.html", "<html><body>Invoice</body></html>", "text/html"},
		{"broken.pdf", "\x00\x01\x02\x03binary", MediaPDF},
		{"a.bin", "\x00\x01\x02\x03binary", "application/octet-stream"},
		{"a.png", "\x89PNG\r\n\x1a\n", "image/png"},
		{"empty.txt", "", MediaText},
	} {
		require.Equal(t, tc.want, DetectMediaType(tc.name, []byte(tc.data)), "%s %q", tc.name, tc.data)
	}
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	err := error(&Error{Code: CodeEncrypted})
	require.Equal(t, "PDF is encrypted (password protected)", err.Error())
	err = fmt.Errorf("parse a.pdf: %w", newError(CodeTooLarge, "%d bytes", 30))
	require.Equal(t, "parse a.pdf: document is too large: 30 bytes", err.Error())
	code, ok := CodeOf(err)
	require.True(t, ok)
	require.Equal(t, CodeTooLarge, code)
	_, ok = CodeOf(errors.New("other"))
	require.False(t, ok)
	for c := range codeText {
		require.NotEqual(t, string(c), (&Error{Code: c}).Error(), "code %s has no description", c)
	}
}

// TestParsePDFColumns checks that columns line up from line to line, as in
// pdftotext -layout, and that text drawn twice over itself is read once.
func TestParsePDFColumns(t *testing.T) {
	t.Parallel()
	content := strings.Join([]string{
		"BT /F1 10 Tf 1 0 0 1 50 800 Tm (Acme Ltd) Tj 1 0 0 1 300 800 Tm (Invoice no:) Tj 1 0 0 1 380 800 Tm (A-1) Tj ET",
		"BT /F1 10 Tf 1 0 0 1 50 788 Tm (1 Main Street, Springfield) Tj 1 0 0 1 300 788 Tm (Date:) Tj 1 0 0 1 380 788 Tm (2024-01-02) Tj ET",
		"BT /F1 10 Tf 1 0 0 1 50 700 Tm (Total) Tj 1 0 0 1 50.4 700 Tm (Total) Tj 1 0 0 1 300 700 Tm (9.00) Tj ET",
	}, "\n")
	doc, err := Parse(context.Background(), onePage("%PDF-1.4", content, ""), MediaPDF, Limits{})
	require.NoError(t, err)
	lines := strings.Split(doc.Text, "\n")
	require.Len(t, lines, 5, doc.Text) // three lines, a blank one, the form feed
	col := func(line, s string) int { return strings.Index(line, s) }
	require.Equal(t, col(lines[0], "Invoice"), col(lines[1], "Date"), doc.Text)
	require.Equal(t, col(lines[0], "A-1"), col(lines[1], "2024"), doc.Text)
	require.Equal(t, col(lines[0], "Invoice"), col(lines[3], "9.00"), doc.Text)
	require.Regexp(t, `^Total +9\.00$`, lines[3])
}

// TestParseLayoutLimit checks that padding words to their columns cannot
// make the text outgrow Limits.MaxBytes: a small stream of one-letter words,
// each on its own line far to the right.
func TestParseLayoutLimit(t *testing.T) {
	t.Parallel()
	data := compressedPage(t, func(w io.Writer) {
		fmt.Fprint(w, "BT /F1 1 Tf 1 0 0 1 0 0 Tm (A) Tj ")
		for i := range 100_000 {
			fmt.Fprintf(w, "1 0 0 1 5000 %d Tm (B) Tj ", 2*i+2)
		}
		fmt.Fprint(w, "ET")
	})
	_, err := Parse(context.Background(), data, MediaPDF, Limits{MaxBytes: 1 << 20})
	requireCode(t, CodeTooLarge, err)
}

// compressedPage returns a one-page PDF with font F1 whose content stream,
// written by content, is compressed.
func compressedPage(t *testing.T, content func(io.Writer)) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	content(w)
	require.NoError(t, w.Close())
	return buildPDF("%PDF-1.4",
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		helvetica,
		fmt.Sprintf("<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", z.Len(), z.Bytes()),
	)
}
