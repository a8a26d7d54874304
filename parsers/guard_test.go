package parsers

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/parsers/hostile"
)

// TestGuards: the inputs that would make the pdf library allocate without
// bound or loop forever are refused in-process, before it does.
func TestGuards(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		data []byte
		want Code
	}{
		{"xref table subsection at 2e9", hostile.XrefTableStart(2_000_000_000), CodeCorrupt},
		{"xref table subsection at 5e7", hostile.XrefTableStart(50_000_000), CodeCorrupt},
		{"xref stream /Size 2e9", hostile.XrefStreamSize(2_000_000_000), CodeCorrupt},
		{"xref stream /S#69ze 2e9", bytes.Replace(hostile.XrefStreamSize(2_000_000_000), []byte("/Size"), []byte("/S#69ze"), 1), CodeCorrupt},
		// Found by FuzzParse: the library reads the table startxref points
		// at, whatever precedes its keyword.
		{"xref table glued to endobj", bytes.Replace(hostile.XrefTableStart(2_000_000_000), []byte("endobj\nxref"), []byte("endobjixref"), 1), CodeCorrupt},
		{"xref table with a comment among its entries", bytes.Replace(hostile.XrefTableStart(2_000_000_000),
			[]byte("65535 f \n"), []byte("65535 f \n% a comment\n"), 1), CodeCorrupt},
		{"bomb of spaces", hostile.BombSpaces(1 << 30), CodeTooLarge},
		{"bomb of text operators", hostile.BombShows(1 << 30), CodeTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(context.Background(), c.data, MediaPDF, Limits{})
			code, ok := CodeOf(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, c.want, code, "%v", err)
		})
	}
	// What the guards allow still parses: a table and a stream that claim
	// no more objects than they have, and a page whose CMap never ends (our
	// lexer reads CMaps; the library's looped on it).
	// An e-invoice's attachment states its length in bytes as /Params
	// << /Size N >>, which is no object count.
	attachment := hostile.Build("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		hostile.Stream("", []byte("BT /F1 10 Tf 50 800 Td (Invoice number: HX-1) Tj ET")),
		hostile.Stream("/Type /EmbeddedFile /Params << /Size 2000000000 >>", []byte("<xml/>")))
	for _, data := range [][]byte{hostile.XrefTableStart(6), hostile.XrefStreamSize(7), hostile.ToUnicodeHex(), attachment} {
		doc, err := Parse(context.Background(), data, MediaPDF, Limits{})
		require.NoError(t, err)
		require.Contains(t, doc.Text, "Invoice number: HX-1")
	}
}

// TestHostileTestdata: the files under testdata/hostile are what the
// generator makes (run go generate ./parsers after changing it).
func TestHostileTestdata(t *testing.T) {
	t.Parallel()
	kept := 0
	for _, c := range hostile.Cases() {
		if c.Big {
			continue
		}
		kept++
		got, err := os.ReadFile(filepath.Join("testdata", "hostile", c.Name))
		require.NoError(t, err, "go generate ./parsers")
		require.Equal(t, c.Data, got, "%s is stale: go generate ./parsers", c.Name)
	}
	files, err := os.ReadDir(filepath.Join("testdata", "hostile"))
	require.NoError(t, err)
	require.Len(t, files, kept)
}
