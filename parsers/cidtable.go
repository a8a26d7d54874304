package parsers

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/ledongthuc/pdf"
)

// DefaultCIDToUnicode is where Debian's poppler-data package keeps the
// CID → Unicode tables of Adobe's character collections (Adobe-Japan1,
// Adobe-GB1, Adobe-CNS1, Adobe-Korea1); see Limits.CIDToUnicode.
const DefaultCIDToUnicode = "/usr/share/poppler/cidToUnicode"

// EnvCIDToUnicode names the environment variable that sets
// Limits.CIDToUnicode when it is empty.
const EnvCIDToUnicode = "DATAFORGE_CID_DATA"

// Bounds of a CID → Unicode table: the largest file read, and the most
// CIDs (a CID is two bytes).
const (
	maxCIDTableBytes = 2 << 20
	maxCIDs          = 1 << 16
)

// cidTables caches the tables read, by path. Only tables found are kept:
// a collection installed later is read when next asked for.
var cidTables sync.Map // string → []rune

// cidTableOf returns the Unicode of each CID of the character collection
// a CIDFont's /CIDSystemInfo names, read from dir, or nil when dir has no
// table for it. A table is a text file named Registry-Ordering with one
// line per CID, from CID 0: the code point in hex, 0000 for none.
func cidTableOf(dir string, cidFont pdf.Value) []rune {
	info := cidFont.Key("CIDSystemInfo")
	registry, ordering := info.Key("Registry").RawString(), info.Key("Ordering").RawString()
	if dir == "" || !plainName(registry) || !plainName(ordering) || ordering == "Identity" || ordering == "UCS" {
		return nil // Adobe-Identity and Adobe-UCS have no table: their CIDs are the font's own
	}
	path := filepath.Join(dir, registry+"-"+ordering)
	if t, ok := cidTables.Load(path); ok {
		return t.([]rune)
	}
	t := readCIDTable(path)
	if t != nil {
		cidTables.Store(path, t)
	}
	return t
}

// plainName reports whether s is a name of letters and digits, as the
// registries and orderings of character collections are (so that it can
// name no other file).
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return s != "" && len(s) <= 32
}

// readCIDTable reads a table file, or returns nil when it cannot be read
// or holds no code point.
func readCIDTable(path string) []rune {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var t []rune
	found := false
	sc := bufio.NewScanner(io.LimitReader(f, maxCIDTableBytes))
	for sc.Scan() && len(t) < maxCIDs {
		v, err := strconv.ParseUint(string(sc.Bytes()), 16, 32)
		r := rune(v)
		if err != nil || v > 0x10FFFF || r >= 0xD800 && r <= 0xDFFF {
			r = 0
		}
		found = found || r != 0
		t = append(t, r)
	}
	if !found {
		return nil
	}
	return t
}
