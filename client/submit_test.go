package client

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExpand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"b.pdf", "a.TXT", "notes.md", "sub/c.pdf", "sub/d.xml"} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
	}
	in := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(dir, n))
		}
		return out
	}

	got, err := Expand([]string{dir})
	require.NoError(t, err)
	require.Equal(t, in("a.TXT", "b.pdf", "sub/c.pdf", "sub/d.xml"), got, "a directory: its documents, recursively, sorted")

	got, err = Expand([]string{filepath.Join(dir, "*.pdf"), filepath.Join(dir, "b.pdf"), filepath.Join(dir, "notes.md")})
	require.NoError(t, err)
	require.Equal(t, in("b.pdf", "notes.md"), got, "globs, no duplicates; files named directly are kept")

	got, err = Expand([]string{filepath.Join(dir, "missing.pdf")})
	require.NoError(t, err)
	require.Equal(t, in("missing.pdf"), got, "a missing file fails at submit, with its cause")

	_, err = Expand([]string{filepath.Join(dir, "*.docx")})
	require.ErrorContains(t, err, "no files match")
	_, err = Expand([]string{"[bad"})
	require.ErrorContains(t, err, "bad pattern")
}
