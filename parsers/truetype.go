package parsers

import (
	"encoding/binary"
	"io"

	"github.com/ledongthuc/pdf"
)

// Bounds of reading an embedded TrueType font's cmap: the most bytes of
// the font read, and the most character codes its subtables are expanded
// into.
const (
	maxFontBytes = 32 << 20
	maxCmapCodes = 1 << 20
)

// glyphUnicode returns the Unicode of each glyph of a TrueType font
// program (a FontFile2 stream), by reversing its Unicode cmap subtable
// ((3,10), (3,1) or (0,*)): a glyph several code points map to takes the
// lowest; private-use code points are left out. It returns nil when the
// font has no such subtable or cannot be read.
func glyphUnicode(v pdf.Value) (out []rune) {
	defer func() {
		if recover() != nil { // a stream the library cannot read
			out = nil
		}
	}()
	if v.Kind() != pdf.Stream {
		return nil
	}
	data, _ := io.ReadAll(io.LimitReader(v.Reader(), maxFontBytes))
	sub := unicodeCmap(data)
	if sub == nil {
		return nil
	}
	budget := maxCmapCodes
	set := func(code, gid uint32) {
		if gid == 0 || gid >= 1<<16 || code == 0 || code > 0x10FFFF ||
			code >= 0xD800 && code <= 0xF8FF || code >= 0xF0000 { // surrogates, private use
			return
		}
		if int(gid) >= len(out) {
			out = append(out, make([]rune, int(gid)+1-len(out))...)
		}
		if out[gid] == 0 || rune(code) < out[gid] {
			out[gid] = rune(code)
		}
	}
	u16 := func(off int) uint32 { return uint32(binary.BigEndian.Uint16(sub[off:])) }
	u32 := func(off int) uint32 { return binary.BigEndian.Uint32(sub[off:]) }
	switch u16(0) {
	case 4: // segments of 16-bit codes
		if len(sub) < 14 {
			return nil
		}
		segs := int(u16(6) / 2)
		ends, starts, deltas, offsets := 14, 16+2*segs, 16+4*segs, 16+6*segs
		if offsets+2*segs > len(sub) {
			return nil
		}
		for s := 0; s < segs; s++ {
			start, end := u16(starts+2*s), u16(ends+2*s)
			delta, ro := u16(deltas+2*s), u16(offsets+2*s)
			for c := start; c <= end && c != 0xFFFF && budget > 0; c++ {
				budget--
				gid := (c + delta) & 0xFFFF
				if ro != 0 {
					at := offsets + 2*s + int(ro) + 2*int(c-start)
					if at+2 > len(sub) {
						break
					}
					if gid = u16(at); gid != 0 {
						gid = (gid + delta) & 0xFFFF
					}
				}
				set(c, gid)
			}
		}
	case 12: // groups of 32-bit codes
		if len(sub) < 16 {
			return nil
		}
		n := int(u32(12))
		for g := 0; g < n && 16+12*g+12 <= len(sub); g++ {
			start, end, gid := u32(16+12*g), u32(20+12*g), u32(24+12*g)
			for c := start; c <= end && budget > 0; c++ {
				budget--
				set(c, gid+c-start)
			}
		}
	case 6: // a trimmed table
		if len(sub) < 10 {
			return nil
		}
		first, n := u16(6), int(u16(8))
		for i := 0; i < n && 10+2*i+2 <= len(sub); i++ {
			set(first+uint32(i), u16(10+2*i))
		}
	}
	return out
}

// unicodeCmap returns the best Unicode subtable of a TrueType font's cmap
// table, or nil.
func unicodeCmap(font []byte) []byte {
	if len(font) < 12 {
		return nil
	}
	var cmap []byte
	for i, n := 0, int(binary.BigEndian.Uint16(font[4:])); i < n && 12+16*i+16 <= len(font); i++ {
		rec := font[12+16*i:]
		if string(rec[:4]) != "cmap" {
			continue
		}
		off, length := int(binary.BigEndian.Uint32(rec[8:])), int(binary.BigEndian.Uint32(rec[12:]))
		if off < 0 || length < 0 || off > len(font) || length > len(font)-off {
			return nil
		}
		cmap = font[off : off+length]
	}
	if len(cmap) < 4 {
		return nil
	}
	best, rank := -1, 0
	for i, n := 0, int(binary.BigEndian.Uint16(cmap[2:])); i < n && 4+8*i+8 <= len(cmap); i++ {
		rec := cmap[4+8*i:]
		r := 0
		switch platform, enc := binary.BigEndian.Uint16(rec), binary.BigEndian.Uint16(rec[2:]); {
		case platform == 3 && enc == 10:
			r = 4
		case platform == 3 && enc == 1:
			r = 3
		case platform == 0:
			r = 2
		}
		if off := int(binary.BigEndian.Uint32(rec[4:])); r > rank && off >= 0 && off+2 <= len(cmap) {
			best, rank = off, r
		}
	}
	if best < 0 {
		return nil
	}
	return cmap[best:]
}
