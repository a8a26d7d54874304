package parsers

import (
	"encoding/binary"
	"io"
	"strings"

	"github.com/ledongthuc/pdf"
)

// Bounds of reading an embedded TrueType font's cmap: the most bytes of
// the font read, and the most character codes its subtables are expanded
// into.
const (
	maxFontBytes = 32 << 20
	maxCmapCodes = 1 << 20
)

// glyphUnicode returns the text of each glyph of a TrueType font program
// (a FontFile2 stream): by its Unicode cmap subtable ((3,10), (3,1) or
// (0,*)) reversed, a glyph several code points map to taking the lowest
// (private-use code points left out); else by its name in the post table
// (a symbolic font's (3,0) cmap says nothing of Unicode). It returns nil
// when the font says nothing or cannot be read.
func glyphUnicode(v pdf.Value) (out []string) {
	defer func() {
		if recover() != nil { // a stream the library cannot read
			out = nil
		}
	}()
	if v.Kind() != pdf.Stream {
		return nil
	}
	data, _ := io.ReadAll(io.LimitReader(v.Reader(), maxFontBytes))
	var codes []rune
	if sub := unicodeCmap(data); sub != nil {
		codes = cmapGlyphs(sub)
	}
	found := false
	out = make([]string, len(codes))
	for gid, r := range codes {
		if r != 0 {
			out[gid], found = string(r), true
		}
	}
	postNames(data, func(gid int, name string) {
		if gid >= len(out) {
			out = append(out, make([]string, gid+1-len(out))...)
		}
		if out[gid] == "" {
			out[gid] = glyphText(name)
			found = found || out[gid] != ""
		}
	})
	if !found {
		return nil
	}
	return out
}

// cmapGlyphs returns the lowest code point of each glyph of a cmap
// subtable (formats 4, 6 and 12; 0 for none).
func cmapGlyphs(sub []byte) (out []rune) {
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

// sfntTable returns the table of a TrueType font program with the given
// tag, or nil.
func sfntTable(font []byte, tag string) []byte {
	if len(font) < 12 {
		return nil
	}
	for i, n := 0, int(binary.BigEndian.Uint16(font[4:])); i < n && 12+16*i+16 <= len(font); i++ {
		rec := font[12+16*i:]
		if string(rec[:4]) != tag {
			continue
		}
		off, length := int(binary.BigEndian.Uint32(rec[8:])), int(binary.BigEndian.Uint32(rec[12:]))
		if off < 0 || length < 0 || off > len(font) || length > len(font)-off {
			return nil
		}
		return font[off : off+length]
	}
	return nil
}

// unicodeCmap returns the best Unicode subtable of a TrueType font's cmap
// table, or nil.
func unicodeCmap(font []byte) []byte {
	cmap := sfntTable(font, "cmap")
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

// postNames calls fn with each glyph and its name in a TrueType font's
// post table of version 2.0: a name of the standard Macintosh set, or one
// of the table's own.
func postNames(font []byte, fn func(gid int, name string)) {
	post := sfntTable(font, "post")
	if len(post) < 34 || binary.BigEndian.Uint32(post) != 0x00020000 {
		return
	}
	n := int(binary.BigEndian.Uint16(post[32:]))
	if 34+2*n > len(post) {
		return
	}
	var own []string // the table's names, from index 258
	for at := 34 + 2*n; at < len(post); {
		l := int(post[at])
		if at+1+l > len(post) {
			break
		}
		own = append(own, string(post[at+1:at+1+l]))
		at += 1 + l
	}
	for gid := range n {
		switch i := int(binary.BigEndian.Uint16(post[34+2*gid:])); {
		case i < len(macGlyphs):
			fn(gid, macGlyphs[i])
		case i-len(macGlyphs) < len(own):
			fn(gid, own[i-len(macGlyphs)])
		}
	}
}

// macGlyphs are the 258 standard Macintosh glyph names, by index (Apple's
// TrueType reference, the 'post' table).
var macGlyphs = strings.Fields(`.notdef .null nonmarkingreturn space exclam quotedbl numbersign
dollar percent ampersand quotesingle parenleft parenright asterisk plus comma hyphen period slash
zero one two three four five six seven eight nine colon semicolon less equal greater question at
A B C D E F G H I J K L M N O P Q R S T U V W X Y Z bracketleft backslash bracketright
asciicircum underscore grave a b c d e f g h i j k l m n o p q r s t u v w x y z braceleft bar
braceright asciitilde Adieresis Aring Ccedilla Eacute Ntilde Odieresis Udieresis aacute agrave
acircumflex adieresis atilde aring ccedilla eacute egrave ecircumflex edieresis iacute igrave
icircumflex idieresis ntilde oacute ograve ocircumflex odieresis otilde uacute ugrave ucircumflex
udieresis dagger degree cent sterling section bullet paragraph germandbls registered copyright
trademark acute dieresis notequal AE Oslash infinity plusminus lessequal greaterequal yen mu
partialdiff summation product pi integral ordfeminine ordmasculine Omega ae oslash questiondown
exclamdown logicalnot radical florin approxequal Delta guillemotleft guillemotright ellipsis
nonbreakingspace Agrave Atilde Otilde OE oe endash emdash quotedblleft quotedblright quoteleft
quoteright divide lozenge ydieresis Ydieresis fraction currency guilsinglleft guilsinglright fi fl
daggerdbl periodcentered quotesinglbase quotedblbase perthousand Acircumflex Ecircumflex Aacute
Edieresis Egrave Iacute Icircumflex Idieresis Igrave Oacute Ocircumflex apple Ograve Uacute
Ucircumflex Ugrave dotlessi circumflex tilde macron breve dotaccent ring cedilla hungarumlaut
ogonek caron Lslash lslash Scaron scaron Zcaron zcaron brokenbar Eth eth Yacute yacute Thorn thorn
minus multiply onesuperior twosuperior threesuperior onehalf onequarter threequarters franc Gbreve
gbreve Idotaccent Scedilla scedilla Cacute cacute Ccaron ccaron dcroat`)
