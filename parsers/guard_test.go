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
		{"ToUnicode with unterminated hex", hostile.ToUnicodeHex(), CodeCorrupt},
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
	// no more objects than they have.
	for _, data := range [][]byte{hostile.XrefTableStart(6), hostile.XrefStreamSize(7)} {
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
