// Package parsers turns document bytes into text, classifies documents and
// extracts their fields with rules. It is the pipeline's deterministic,
// offline tier: no network, no Temporal.
package parsers

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
)

// Media types Parse accepts.
const (
	MediaPDF  = "application/pdf"
	MediaText = "text/plain"
	MediaPNG  = "image/png"  // read by Limits.OCR
	MediaJPEG = "image/jpeg" // read by Limits.OCR
)

// Limits bound the work of parsing one document. A zero or negative field
// takes its value from DefaultLimits.
type Limits struct {
	MaxBytes int64         // largest input, and largest extracted text, in bytes
	MaxPages int           // most pages a PDF may have
	Timeout  time.Duration // longest time one Parse may take
	// MaxPixels bounds each image (a PNG or JPEG, or a PDF's page image):
	// checked from its header, before it is decoded.
	MaxPixels int64
	// CIDToUnicode is a directory of CID → Unicode tables of Adobe's
	// character collections (Debian's poppler-data: Adobe-Japan1, -GB1,
	// -CNS1, -Korea1), read for Chinese, Japanese and Korean fonts that
	// have neither a ToUnicode CMap nor a character-set encoding; without
	// them such fonts give no text. Empty: $DATAFORGE_CID_DATA, else
	// DefaultCIDToUnicode. A directory that does not exist holds no tables.
	CIDToUnicode string
	// OCR reads images and PDFs without a text layer (see package
	// parsers/ocr). When it is nil, images fail with CodeOCRUnavailable
	// and image-only PDFs with CodeNoText. A function is not encoded (gob
	// ignores it), so a sandboxed parse gets its own (see
	// parsers/sandbox.Options.OCR).
	OCR OCRFunc `json:"-"`
}

// OCRFunc reads the text of an image (MediaPNG, MediaJPEG) or of an
// image-only PDF (MediaPDF) by optical character recognition, within lim.
// Its document's Source is SourceOCR; failures are *Error values.
type OCRFunc func(ctx context.Context, data []byte, mediaType string, lim Limits) (*Document, error)

// DefaultLimits returns 20 MiB, 500 pages, 30 seconds and 40 million
// pixels (an A4 page scanned at 600 dpi is 35 million).
func DefaultLimits() Limits {
	return Limits{MaxBytes: 20 << 20, MaxPages: 500, Timeout: 30 * time.Second, MaxPixels: 40_000_000}
}

// WithDefaults returns l with its zero fields set from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxPages <= 0 {
		l.MaxPages = d.MaxPages
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = d.MaxPixels
	}
	if l.CIDToUnicode == "" {
		l.CIDToUnicode = cmp.Or(os.Getenv(EnvCIDToUnicode), DefaultCIDToUnicode)
	}
	return l
}

// Source says where a document's text came from.
type Source string

// Sources of text.
const (
	SourceTextLayer Source = "text_layer" // the text a PDF draws
	SourceOCR       Source = "ocr"        // read from page images by Limits.OCR
	SourceFile      Source = "file"       // a text file's own characters
	SourceEInvoice  Source = "einvoice"   // written from the e-invoice XML
	// SourceVision: no text at all (no text layer, no OCR); only vision
	// models read the document, from its page images. Parse never returns
	// it: the pipeline records it when it sends such a scan on.
	SourceVision Source = "vision"
)

// Document is the text of a parsed document.
type Document struct {
	MediaType string // MediaPDF, MediaText, MediaXML, MediaPNG or MediaJPEG
	// Text of a PDF is laid out like pdftotext -layout output: one line per
	// visual line, each word that follows a wide gap at the character
	// column of its position on the page (so columns line up and stay at
	// least two spaces apart), a blank line for a wide vertical gap, and a
	// form feed after each page.
	// Text read by OCR is laid out the same way from the words' boxes.
	// Text of a text file is as written, with line endings normalised to \n.
	Text  string
	Pages int
	// EInvoice is the EN 16931 XML (CII or UBL) the document carries: a
	// PDF's embedded factur-x.xml and the like, or a bare XML document's
	// own bytes; nil when there is none.
	EInvoice []byte
	// EInvoiceName is the name of the PDF attachment EInvoice came from.
	EInvoiceName string
	// Source is where Text came from.
	Source Source
	// OCRConfidence is, for SourceOCR, the mean confidence of the words
	// read, from 0 to 100 (Tesseract's scale); PageConfidence holds the
	// mean of each page (0 for a page without words).
	OCRConfidence  float64
	PageConfidence []float64
}

var textExts = map[string]bool{".txt": true, ".text": true, ".csv": true, ".md": true, ".eml": true}

// DetectMediaType sniffs data, using the extension of name as a hint, and
// returns MediaPDF, MediaText, MediaXML (any XML: Parse accepts CII and UBL
// only), MediaPNG or MediaJPEG (by the content's signature, which Parse reads
// with Limits.OCR) or another media type, which Parse rejects as unsupported. A ".pdf" file whose content is unrecognisable is reported as
// MediaPDF, so that Parse calls it corrupt rather than unsupported.
func DetectMediaType(name string, data []byte) string {
	head := data[:min(len(data), 1024)]
	if bytes.Contains(head, []byte("%PDF-")) {
		return MediaPDF
	}
	sniffed, _, _ := strings.Cut(http.DetectContentType(data), ";")
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case sniffed == "text/xml" || (ext == ".xml" && strings.HasPrefix(sniffed, "text/")):
		return MediaXML
	case sniffed == MediaText:
		return MediaText
	case ext == ".pdf" && sniffed == "application/octet-stream":
		return MediaPDF
	case textExts[ext] && strings.HasPrefix(sniffed, "text/"):
		return MediaText
	}
	return sniffed
}

// ParseFunc is the signature of Parse, for callers that parse through a
// sandbox (see package parsers/sandbox) or in-process.
type ParseFunc func(ctx context.Context, data []byte, mediaType string, lim Limits) (*Document, error)

// Parse turns document bytes into text. mediaType is MediaPDF, MediaText or
// MediaXML (parameters such as charset are ignored); an empty mediaType is
// detected with DetectMediaType. Failures are *Error values carrying a Code.
func Parse(ctx context.Context, data []byte, mediaType string, lim Limits) (*Document, error) {
	lim = lim.WithDefaults()
	if len(data) == 0 {
		return nil, newError(CodeEmpty, "0 bytes")
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, newError(CodeTooLarge, "%d bytes, limit %d", len(data), lim.MaxBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, newError(CodeEmpty, "only whitespace")
	}
	if err := ctx.Err(); err != nil {
		return nil, timeoutError(err, lim.Timeout)
	}
	if mediaType == "" {
		mediaType = DetectMediaType("", data)
	}
	mt, _, err := mime.ParseMediaType(mediaType)
	if err != nil {
		mt = mediaType
	}
	switch mt {
	case MediaPDF:
		return parsePDF(ctx, data, lim)
	case MediaText:
		return parseText(data)
	case MediaXML:
		return parseXML(data)
	case MediaPNG, MediaJPEG:
		if lim.OCR == nil {
			return nil, newError(CodeOCRUnavailable, "%s needs OCR, and none is configured", mt)
		}
		ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
		defer cancel()
		return lim.OCR(ctx, data, mt, lim)
	}
	return nil, newError(CodeUnsupported, "%s (want a PDF, an image, a text file or a CII/UBL e-invoice)", mediaType)
}

func timeoutError(err error, limit time.Duration) *Error {
	e := &Error{Code: CodeTimeout, Detail: "cancelled", err: err}
	if errors.Is(err, context.DeadlineExceeded) {
		e.Detail = "no result within " + limit.String()
	}
	return e
}

// parseText decodes UTF-8 (or UTF-16 with a byte order mark, or Windows-1252,
// the superset of Latin-1 that documents actually use) and normalises line
// endings.
func parseText(data []byte) (*Document, error) {
	var s string
	switch {
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}), bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		b, err := xunicode.UTF16(xunicode.BigEndian, xunicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return nil, newError(CodeCorrupt, "invalid UTF-16: %v", err)
		}
		s = string(b)
	case utf8.Valid(data):
		s = string(data)
	default:
		b, err := charmap.Windows1252.NewDecoder().Bytes(data)
		if err != nil {
			return nil, newError(CodeCorrupt, "invalid text encoding: %v", err)
		}
		s = string(b)
	}
	s = strings.TrimPrefix(s, "\uFEFF")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	// Control characters (NUL above all, which Postgres text refuses) are
	// dropped; more than a few mean the data is not text at all.
	var control, total int
	s = strings.Map(func(r rune) rune {
		total++
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\f' {
			control++
			return -1
		}
		return r
	}, s)
	if control*100 > total {
		return nil, newError(CodeUnsupported, "binary data, not text")
	}
	if strings.TrimSpace(s) == "" {
		return nil, newError(CodeEmpty, "only whitespace")
	}
	return &Document{MediaType: MediaText, Text: s, Pages: 1 + strings.Count(strings.TrimRight(s, "\f\n"), "\f"), Source: SourceFile}, nil
}
