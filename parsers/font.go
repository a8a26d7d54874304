package parsers

import (
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
)

// font is what the walker needs of a font: how a string splits into
// character codes, and the text and width of each code. It is read from the
// font dictionary in our own code, as the pdf library ignores the widths
// of Type0 fonts, a /BaseEncoding, and ToUnicode when /Encoding is set.
type font struct {
	composite bool        // Type0: codes of one to four bytes, by enc
	enc       *cmap       // Type0: the encoding CMap; nil for Identity-H/V (two bytes, CID = code)
	ucs2      bool        // Type0 with a Uni…-UCS2 CMap: the code is UTF-16
	charset   *legacyCMap // Type0 with a predefined CMap of a national character set
	vertical  bool        // Type0 with a vertical CMap (…-V, V, Identity-V): glyphs advance downwards
	cidText   []rune      // Type0 whose codes give CIDs: the text of each CID of its character collection, if known
	identity  bool        // Type0 of the Adobe-Identity collection: a CID nothing else reads is its own code point
	program   pdf.Value   // Type0 with an embedded TrueType program (FontFile2), read for its cmap when needed
	cidToGID  pdf.Value   // the CIDToGIDMap of that font: a stream, or the name Identity
	gids      []byte      // cidToGID read: two bytes per CID
	gidText   []string    // the text of each glyph of the program, by its cmap or post table
	loaded    bool        // program and cidToGID have been read
	data      *fontData
	toUnicode *cmap // nil when the font has none
	simple    [256]string
	// widths in thousandths of text space: by code for a simple font, by
	// CID for a Type0 font. Codes missing take dw.
	widths  map[int]float64
	dw      float64
	guessed bool    // no widths at all: the walker estimates them
	scale   float64 // glyph space to text space: 1/1000, or a Type3 font's matrix
}

// glyph is one character code shown by a font.
type glyph struct {
	text  string
	width float64 // in text space units per unit of font size
	space bool    // the single-byte code 32, to which word spacing applies
}

// fontData is what the fonts of one document share: where the CID tables
// are, and the glyph texts of the TrueType programs read so far, by
// formID of their stream.
type fontData struct {
	cidData string // Limits.CIDToUnicode
	gidText map[string][]string
	glyphs  int // the glyph texts the document's programs may still add
}

// maxDocGlyphs bounds the glyph texts read from the TrueType programs of
// one document (a font has at most 65536 glyphs; a document may have
// thousands of fonts).
const maxDocGlyphs = 1 << 22

func newFontData(cidData string) *fontData {
	return &fontData{cidData: cidData, gidText: map[string][]string{}, glyphs: maxDocGlyphs}
}

// loadFont reads a font dictionary.
func loadFont(v pdf.Value, data *fontData) *font {
	f := &font{widths: map[int]float64{}, scale: 0.001, data: data}
	if tu := v.Key("ToUnicode"); tu.Kind() == pdf.Stream {
		f.toUnicode = readCMap(tu)
	}
	if v.Key("Subtype").Name() == "Type0" {
		f.loadComposite(v)
		// A ToUnicode named Identity-H says the codes are UTF-16.
		f.ucs2 = f.ucs2 || strings.HasPrefix(v.Key("ToUnicode").Name(), "Identity")
		return f
	}
	if v.Key("Subtype").Name() == "Type3" {
		if m := v.Key("FontMatrix"); m.Len() == 6 && m.Index(0).Float64() != 0 {
			f.scale = m.Index(0).Float64()
		}
	}
	encoding := v.Key("Encoding")
	base := encoding.Name()
	if encoding.Kind() == pdf.Dict {
		base = encoding.Key("BaseEncoding").Name()
	}
	if base == "" && v.Key("Subtype").Name() == "TrueType" {
		base = "WinAnsiEncoding"
	}
	f.simple = baseEncoding(base)
	if d := encoding.Key("Differences"); d.Kind() == pdf.Array {
		code := 0
		for i := 0; i < d.Len(); i++ {
			switch x := d.Index(i); x.Kind() {
			case pdf.Integer:
				code = int(x.Int64())
			case pdf.Name:
				if code >= 0 && code < 256 {
					if s := glyphText(x.Name()); s != "" {
						f.simple[code] = s
					}
				}
				code++
			}
		}
	}
	first := int(v.Key("FirstChar").Int64())
	w := v.Key("Widths")
	for i := 0; i < w.Len(); i++ {
		f.widths[first+i] = w.Index(i).Float64()
	}
	f.dw = v.Key("FontDescriptor").Key("MissingWidth").Float64()
	f.guessed = w.Len() == 0
	return f
}

func (f *font) loadComposite(v pdf.Value) {
	f.composite = true
	name := v.Key("Encoding").Name()
	f.vertical = name == "V" || strings.HasSuffix(name, "-V")
	switch e := v.Key("Encoding"); {
	case e.Kind() == pdf.Stream:
		f.enc = readCMap(e)
	case strings.HasPrefix(e.Name(), "Uni") && strings.Contains(e.Name(), "UCS2"):
		f.ucs2 = true
	default:
		f.charset = legacyCMapOf(e.Name())
	}
	cid := v.Key("DescendantFonts").Index(0)
	if v.Key("Encoding").Kind() == pdf.Stream || name == "Identity-H" || name == "Identity-V" {
		// The codes give CIDs: what ToUnicode leaves out is read by the
		// collection's table, as pdftotext reads it, or by the program.
		f.cidText = cidTableOf(f.data.cidData, cid)
		if ff := cid.Key("FontDescriptor").Key("FontFile2"); ff.Kind() == pdf.Stream && cid.Key("Subtype").Name() == "CIDFontType2" {
			f.program, f.cidToGID = ff, cid.Key("CIDToGIDMap")
		}
		info := cid.Key("CIDSystemInfo")
		f.identity = info.Key("Registry").RawString() == "Adobe" && info.Key("Ordering").RawString() == "Identity"
	}
	f.dw = 1000
	if dw := cid.Key("DW"); dw.Kind() == pdf.Integer || dw.Kind() == pdf.Real {
		f.dw = dw.Float64()
	}
	// /W is [c [w1 w2 …]] or [cfirst clast w], repeated.
	w := cid.Key("W")
	budget := maxCMapEntries
	for i := 0; i+1 < w.Len() && budget > 0; {
		c := int(w.Index(i).Int64())
		if x := w.Index(i + 1); x.Kind() == pdf.Array {
			for j := 0; j < x.Len() && budget > 0; j++ {
				f.widths[c+j] = x.Index(j).Float64()
				budget--
			}
			i += 2
			continue
		}
		if i+2 >= w.Len() {
			break
		}
		last, width := int(w.Index(i+1).Int64()), w.Index(i+2).Float64()
		for c2 := c; c2 <= last && budget > 0; c2++ {
			f.widths[c2] = width
			budget--
		}
		i += 3
	}
}

// decode calls fn for each character code of raw.
func (f *font) decode(raw string, fn func(glyph)) {
	for len(raw) > 0 {
		n := 1
		if f.composite {
			n = 2
			switch {
			case f.enc != nil:
				n = f.enc.codeLen(raw, 2)
			case f.charset != nil:
				n = f.charset.codeLen(raw[0])
			}
			n = min(n, len(raw))
		}
		code := raw[:n]
		raw = raw[n:]
		fn(f.glyph(code))
	}
}

func (f *font) glyph(code string) glyph {
	var g glyph
	text, ok := "", false
	if f.toUnicode != nil {
		text, ok = f.toUnicode.textOf(code)
		if ok && (text == "" || text == "\x00") {
			ok = false
		}
	}
	if !f.composite {
		c := int(code[0])
		if !ok {
			text = f.simple[c]
		}
		g.space = c == ' '
		w, known := f.widths[c]
		if !known || w == 0 {
			w = f.dw
		}
		g.width = w * f.scale
		g.text = text
		return g
	}
	if !ok && f.ucs2 {
		u := make([]uint16, 0, 2)
		for i := 0; i+1 < len(code); i += 2 {
			u = append(u, uint16(code[i])<<8|uint16(code[i+1]))
		}
		text = string(utf16.Decode(u))
	}
	if !ok && f.charset != nil {
		if s, ok := f.charset.text(code); ok {
			text = s
		}
	}
	cid := 0
	for i := 0; i < len(code); i++ {
		cid = cid<<8 | int(code[i])
	}
	if f.enc != nil {
		if c, known := f.enc.cidOf(code); known {
			cid = c
		}
	}
	if !ok && text == "" {
		text = f.textOfCID(cid)
	}
	w, known := f.widths[cid]
	if !known {
		w = f.dw
	}
	g.width = w * f.scale
	g.text = text
	g.space = len(code) == 1 && code[0] == ' '
	return g
}

// textOfCID returns the text of a CID that neither ToUnicode nor the
// encoding gives, as pdftotext finds it: in the collection's table; else
// (our addition) by the embedded TrueType program's cmap or glyph names;
// else, in the
// Adobe-Identity collection, the CID read as a code point.
func (f *font) textOfCID(cid int) string {
	if cid < len(f.cidText) && f.cidText[cid] != 0 {
		return string(f.cidText[cid])
	}
	if f.program.Kind() == pdf.Stream {
		f.loadProgram()
		gid := cid
		if f.gids != nil {
			gid = -1
			if 2*cid+1 < len(f.gids) {
				gid = int(f.gids[2*cid])<<8 | int(f.gids[2*cid+1])
			}
		}
		if gid >= 0 && gid < len(f.gidText) && f.gidText[gid] != "" {
			return f.gidText[gid]
		}
	}
	if f.identity && cid > 0 && utf8.ValidRune(rune(cid)) {
		return string(rune(cid))
	}
	return ""
}

// loadProgram reads the glyph texts of the font's TrueType program, once
// per document, and its CIDToGIDMap.
func (f *font) loadProgram() {
	if f.loaded {
		return
	}
	f.loaded = true
	if f.cidToGID.Kind() == pdf.Stream {
		func() {
			defer func() { _ = recover() }() // a stream the library cannot read maps no CID
			f.gids, _ = io.ReadAll(io.LimitReader(f.cidToGID.Reader(), 2<<16))
			if f.gids == nil {
				f.gids = []byte{}
			}
		}()
	}
	id := formID(f.program)
	t, ok := f.data.gidText[id]
	if !ok && f.data.glyphs > 0 {
		t = glyphUnicode(f.program)
		f.data.gidText[id] = t
		f.data.glyphs -= len(t)
	}
	f.gidText = t
}
