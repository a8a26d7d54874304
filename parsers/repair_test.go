package parsers

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

const invoiceLine = "BT /F1 12 Tf 72 700 Td (Invoice INV-7 total 12.50) Tj ET"

// A file whose cross-reference table is gone, or points at the wrong
// offsets, is read by rebuilding the table from its "N G obj" headers.
func TestRebuildXref(t *testing.T) {
	good := onePage("%PDF-1.4", invoiceLine, "")
	xref := bytes.LastIndex(good, []byte("xref\n0 "))
	noXref := append(bytes.Clone(good[:xref]), "%%EOF\n"...)
	wrongOffset := bytes.Replace(good, []byte(fmt.Sprintf("startxref\n%d", xref)), []byte("startxref\n12"), 1)
	shifted := append([]byte("%PDF-1.4\n% a comment the offsets do not count\n"), good[len("%PDF-1.4\n"):]...)
	// A /Length that cuts the content stream short, in a file that needs
	// its xref rebuilt anyway.
	shortLength := bytes.Replace(noXref, fmt.Appendf(nil, "/Length %d >>", len(invoiceLine)), []byte("/Length 5 >>"), 1)
	require.NotEqual(t, noXref, shortLength)
	for name, data := range map[string][]byte{"no xref": noXref, "wrong startxref": wrongOffset, "shifted offsets": shifted, "short length": shortLength} {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, pdfText(t, data), "Invoice INV-7 total 12.50")
		})
	}
	_, ok := rebuildXref([]byte("%PDF-1.4\nno objects at all\n%%EOF"))
	require.False(t, ok)
}
