package parsers

import (
	"errors"
	"fmt"
)

// Code is a stable reason code for a parse failure. Codes are used as review
// reasons and error types, so their values never change.
type Code string

// Parse failure codes.
const (
	CodeUnsupported  Code = "unsupported"    // not a PDF or a text file
	CodeEmpty        Code = "empty"          // zero bytes or only whitespace
	CodeTooLarge     Code = "too_large"      // more bytes (or text) than Limits.MaxBytes
	CodeTooManyPages Code = "too_many_pages" // more pages than Limits.MaxPages
	CodeEncrypted    Code = "encrypted"      // the PDF has an /Encrypt entry
	CodeNoText       Code = "no_text_layer"  // image-only PDF, needs OCR
	CodeCorrupt      Code = "corrupt"        // unreadable structure
	CodeTimeout      Code = "timeout"        // Limits.Timeout passed or the context ended
	// CodeOCRUnavailable: an image or image-only document, and no OCR
	// (Tesseract missing, or not configured) to read it.
	CodeOCRUnavailable Code = "ocr_unavailable"
)

var codeText = map[Code]string{
	CodeUnsupported:    "unsupported document format",
	CodeEmpty:          "document is empty",
	CodeTooLarge:       "document is too large",
	CodeTooManyPages:   "document has too many pages",
	CodeEncrypted:      "PDF is encrypted (password protected)",
	CodeNoText:         "PDF has no text layer (scanned or image-only, needs OCR)",
	CodeCorrupt:        "document is damaged or unreadable",
	CodeTimeout:        "parsing took too long or was cancelled",
	CodeOCRUnavailable: "image documents need OCR, which is not available",
}

// Error is a typed parse failure.
type Error struct {
	Code   Code
	Detail string // specifics, for people; may be empty
	err    error  // underlying cause, if any
}

// Error names the cause in plain words, followed by the detail.
func (e *Error) Error() string {
	msg, ok := codeText[e.Code]
	if !ok {
		msg = string(e.Code)
	}
	if e.Detail == "" {
		return msg
	}
	return msg + ": " + e.Detail
}

// Unwrap returns the underlying cause, such as context.DeadlineExceeded.
func (e *Error) Unwrap() error { return e.err }

// CodeOf returns the code of the *Error in err's chain.
func CodeOf(err error) (Code, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Code, true
	}
	return "", false
}

func newError(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}
