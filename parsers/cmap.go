package parsers

import (
	"io"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"
)

// maxCMapEntries bounds the codes a CMap's ranges are expanded into; the
// ranges past it are kept as ranges and searched.
const maxCMapEntries = 1 << 16

// codeKey identifies a character code by its bytes: codes of different
// lengths are different codes, so the length is part of the key.
type codeKey uint64

func keyOf(b string) codeKey {
	var v codeKey
	for i := 0; i < len(b); i++ {
		v = v<<8 | codeKey(b[i])
	}
	return v | codeKey(len(b))<<32
}

// codespace is a range of codes of n bytes, each byte between lo and hi.
type codespace struct {
	lo, hi string
}

// cmapRange maps the codes lo..hi (of the same length) to consecutive
// values starting at the value of lo.
type cmapRange struct {
	lo, hi codeKey
	uni    []uint16 // UTF-16 of lo's text, for ToUnicode ranges
	arr    []string // one text per code, for ToUnicode ranges written as arrays
	cid    int      // CID of lo, for CID ranges
	isCID  bool
}

// cmap is a CMap, either a ToUnicode CMap (code → text) or an encoding CMap
// of a Type0 font (code → CID). Codes are split by its codespace ranges.
type cmap struct {
	spaces []codespace
	text   map[codeKey]string
	cids   map[codeKey]int
	ranges []cmapRange // what did not fit in the maps
}

// maxCMapBytes bounds the decoded size of a CMap stream read.
const maxCMapBytes = 4 << 20

// readCMap parses a CMap stream. A malformed one gives what could be read.
func readCMap(v pdf.Value) (m *cmap) {
	m = &cmap{text: map[codeKey]string{}, cids: map[codeKey]int{}}
	defer func() { _ = recover() }() // a stream the library cannot read gives what was read
	data, _ := io.ReadAll(io.LimitReader(v.Reader(), maxCMapBytes))
	budget := maxCMapEntries
	var args []pdfToken
	lex := contentLexer{data: data}
	for {
		t, ok := lex.next()
		if !ok {
			return m
		}
		if t.kind != tokKeyword {
			if len(args) < 3*10000 {
				args = append(args, t)
			}
			continue
		}
		switch t.s {
		case "endcodespacerange":
			for i := 0; i+1 < len(args); i += 2 {
				lo, hi := args[i].s, args[i+1].s
				if len(lo) > 0 && len(lo) == len(hi) && len(lo) <= 4 {
					m.spaces = append(m.spaces, codespace{lo, hi})
				}
			}
		case "endbfchar":
			for i := 0; i+1 < len(args); i += 2 {
				m.text[keyOf(args[i].s)] = utf16Text(args[i+1].s)
			}
		case "endcidchar":
			for i := 0; i+1 < len(args); i += 2 {
				m.cids[keyOf(args[i].s)] = int(args[i+1].n)
			}
		case "endbfrange", "endcidrange":
			for i := 0; i+2 < len(args); i += 3 {
				m.addRange(args[i].s, args[i+1].s, args[i+2], t.s == "endcidrange", &budget)
			}
		}
		args = args[:0]
	}
}

func (m *cmap) addRange(lo, hi string, dst pdfToken, cid bool, budget *int) {
	if len(lo) == 0 || len(lo) != len(hi) || len(lo) > 4 {
		return
	}
	klo, khi := keyOf(lo), keyOf(hi)
	if khi < klo {
		return
	}
	r := cmapRange{lo: klo, hi: khi, isCID: cid}
	switch {
	case cid:
		r.cid = int(dst.n)
	case dst.kind == tokArray:
		for i := 0; i < len(dst.arr) && i <= int(khi-klo); i++ {
			r.arr = append(r.arr, utf16Text(dst.arr[i].s))
		}
	default:
		s := dst.s
		if len(s) == 0 {
			return
		}
		if len(s)%2 == 1 {
			s = "\x00" + s
		}
		for i := 0; i+1 < len(s); i += 2 {
			r.uni = append(r.uni, uint16(s[i])<<8|uint16(s[i+1]))
		}
	}
	size := int(khi-klo) + 1
	if size > *budget {
		m.ranges = append(m.ranges, r)
		return
	}
	*budget -= size
	for k := klo; k <= khi; k++ {
		if cid {
			m.cids[k] = r.cid + int(k-klo)
		} else if s, ok := r.lookup(k); ok {
			m.text[k] = s
		}
	}
}

// lookup returns the text of code k, which lies in r.
func (r *cmapRange) lookup(k codeKey) (string, bool) {
	off := int(k - r.lo)
	if r.arr != nil {
		if off < len(r.arr) {
			return r.arr[off], true
		}
		return "", false
	}
	u := append([]uint16(nil), r.uni...)
	u[len(u)-1] += uint16(off)
	return string(utf16.Decode(u)), true
}

// textOf returns the text a ToUnicode CMap gives code.
func (m *cmap) textOf(code string) (string, bool) {
	k := keyOf(code)
	if s, ok := m.text[k]; ok {
		return s, true
	}
	for i := range m.ranges {
		if r := &m.ranges[i]; !r.isCID && k >= r.lo && k <= r.hi {
			return r.lookup(k)
		}
	}
	return "", false
}

// cidOf returns the CID an encoding CMap gives code.
func (m *cmap) cidOf(code string) (int, bool) {
	k := keyOf(code)
	if c, ok := m.cids[k]; ok {
		return c, true
	}
	for _, r := range m.ranges {
		if r.isCID && k >= r.lo && k <= r.hi {
			return r.cid + int(k-r.lo), true
		}
	}
	return 0, false
}

// codeLen returns the length of the code that starts raw, by the
// codespace ranges; def when none matches.
func (m *cmap) codeLen(raw string, def int) int {
	for n := 1; n <= 4 && n <= len(raw); n++ {
		for _, s := range m.spaces {
			if len(s.lo) != n {
				continue
			}
			in := true
			for i := 0; i < n && in; i++ {
				in = raw[i] >= s.lo[i] && raw[i] <= s.hi[i]
			}
			if in {
				return n
			}
		}
	}
	return def
}

// utf16Text decodes the UTF-16BE of a ToUnicode CMap; an odd length is read
// as bytes.
func utf16Text(s string) string {
	if len(s)%2 == 1 {
		r := make([]rune, len(s))
		for i := range len(s) {
			r[i] = rune(s[i])
		}
		return string(r)
	}
	u := make([]uint16, len(s)/2)
	for i := range u {
		u[i] = uint16(s[2*i])<<8 | uint16(s[2*i+1])
	}
	return string(utf16.Decode(u))
}
