// Package samples gives tests and demos the sample documents kept in this
// directory, and what the pipeline should make of each. The documents and
// expected.json are written by the generator in ./gen:
//
//	go run ./samples/gen
package samples

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/dataforge/dataforge/internal/schema"
)

// Outcome is what the pipeline should achieve on a document without LLM
// tiers.
type Outcome string

// Outcomes.
const (
	OutcomeRules  Outcome = "rules"  // a confident result that passes validation
	OutcomeReview Outcome = "review" // not confident: the document goes to a person
	// OutcomeEInvoice: an e-invoice, read from its EN 16931 XML by the
	// einvoice tier before any other.
	OutcomeEInvoice Outcome = "einvoice"
)

// Expected describes one sample document.
type Expected struct {
	File        string         `json:"file"`
	Description string         `json:"description"`
	Type        schema.DocType `json:"type"`
	// ParseError is the parsers.Code that parsing fails with, or empty.
	ParseError string `json:"parse_error,omitempty"`
	// OCR marks a scan: without OCR parsing fails with no_text_layer, with
	// it Outcome and Fields hold.
	OCR bool `json:"ocr,omitempty"`
	// TextVersion names, for a scan, the same document with a text layer
	// in the same directory, which accuracy reports put beside it.
	TextVersion string `json:"text_version,omitempty"`
	// Outcome is empty when parsing fails.
	Outcome Outcome `json:"outcome,omitempty"`
	// Fields are the true fields of the document, or nil when there is no
	// reliable ground truth.
	Fields *schema.Fields `json:"fields,omitempty"`

	dir string // where File is; the samples directory when empty
}

// ExpectedFile is the name of the file that lists the samples.
const ExpectedFile = "expected.json"

// Dir returns the absolute path of the samples directory, found from this
// source file's location (so it works from any package's tests, but not in
// binaries built with -trimpath).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// LabelledDir returns the directory of the labelled set, documents made to
// measure the rules tier's accuracy (written by go run ./samples/labelled/gen).
func LabelledDir() string { return filepath.Join(Dir(), "labelled") }

// EInvoiceDir returns the directory of the e-invoice test set: one invoice
// in every CII profile, ZUGFeRD 1.0 and UBL (written by go run ./samples/gen).
func EInvoiceDir() string { return filepath.Join(Dir(), "einvoices") }

// ScanDir returns the directory of the scans: invoices of the labelled set
// as scan-like PNG images and image-only PDFs (written by go run ./samples/gen).
func ScanDir() string { return filepath.Join(Dir(), "scans") }

// Load reads the list of samples.
func Load() ([]Expected, error) { return LoadDir(Dir()) }

// LoadDir reads the list of documents in dir's expected.json, such as the
// samples or the labelled set.
func LoadDir(dir string) ([]Expected, error) {
	path := filepath.Join(dir, ExpectedFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list []Expected
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range list {
		list[i].dir = dir
	}
	return list, nil
}

// Path returns the path of the document.
func (e Expected) Path() string {
	if e.dir == "" {
		return filepath.Join(Dir(), e.File)
	}
	return filepath.Join(e.dir, e.File)
}

// WantParseError returns the parsers.Code that parsing fails with, with OCR
// or without it: without, a scan fails with no_text_layer.
func (e Expected) WantParseError(withOCR bool) string {
	if e.OCR && !withOCR {
		return "no_text_layer"
	}
	return e.ParseError
}

// Read returns the bytes of the document.
func (e Expected) Read() ([]byte, error) { return os.ReadFile(e.Path()) }
