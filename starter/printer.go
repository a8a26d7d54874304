package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// printer writes what a command prints on stdout, in the format of
// --output: text for people, json for programs (the shapes are in JSON.md).
type printer struct {
	format string // text or json, checked once by the root command
	w      io.Writer
}

// Print writes v as JSON, or calls text to write it as text.
func (p *printer) Print(v any, text func() error) error {
	if p.format == "json" {
		return p.JSON(v)
	}
	return text()
}

// JSON writes v as indented JSON.
func (p *printer) JSON(v any) error {
	enc := json.NewEncoder(p.w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Table returns a writer that aligns tab-separated cells in columns; the
// caller writes rows and flushes it.
func (p *printer) Table() *tabwriter.Writer {
	return tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
}

// Printf writes text.
func (p *printer) Printf(format string, args ...any) {
	fmt.Fprintf(p.w, format, args...)
}
