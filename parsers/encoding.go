package parsers

import (
	"strconv"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/unicode/norm"
)

// baseEncoding returns the text of each code of a simple font's named
// encoding (PDF 32000-1, annex D); an unknown name gives StandardEncoding.
func baseEncoding(name string) [256]string {
	var t [256]string
	switch name {
	case "WinAnsiEncoding", "MacRomanEncoding", "PDFDocEncoding":
		cm := charmap.Windows1252
		if name == "MacRomanEncoding" {
			cm = charmap.Macintosh
		}
		for c := 32; c < 256; c++ {
			switch r := cm.DecodeByte(byte(c)); {
			case r >= 0xFB00 && r <= 0xFB06: // MacRoman's fi and fl ligatures, read as letters by name
				t[c] = norm.NFKC.String(string(r))
			case r != '\uFFFD' && r != 0x7F:
				t[c] = string(r)
			}
		}
		if name != "MacRomanEncoding" {
			// Windows-1252's undefined codes, which WinAnsiEncoding
			// gives to a bullet. Its no-break space stays one (the
			// rules read amounts grouped by it).
			for _, c := range []int{0x7F, 0x81, 0x8D, 0x8F, 0x90, 0x9D} {
				t[c] = "•"
			}
		}
		if name == "WinAnsiEncoding" {
			// Windows-1252's soft hyphen is a second hyphen (PDF
			// 32000-1, annex D, note 6), as pdftotext reads it.
			t[0xAD] = "-"
		}
		if name == "PDFDocEncoding" {
			for c, r := range pdfDocDiffs {
				t[c] = string(r)
			}
		}
	default:
		for c := 32; c < 127; c++ {
			t[c] = string(rune(c))
		}
		t['\''], t['`'] = "’", "‘"
		for c, n := range standardHigh {
			t[c] = glyphText(n)
		}
	}
	return t
}

// pdfDocDiffs are the codes where PDFDocEncoding differs from
// WinAnsiEncoding.
var pdfDocDiffs = map[int]rune{
	0x18: '˘', 0x19: 'ˇ', 0x1A: 'ˆ', 0x1B: '˙', 0x1C: '˝', 0x1D: '˛', 0x1E: '˚', 0x1F: '˜',
	0x80: '•', 0x81: '†', 0x82: '‡', 0x83: '…', 0x84: '—', 0x85: '–', 0x86: 'ƒ', 0x87: '⁄',
	0x88: '‹', 0x89: '›', 0x8A: '−', 0x8B: '‰', 0x8C: '„', 0x8D: '“', 0x8E: '”', 0x8F: '‘',
	0x90: '’', 0x91: '‚', 0x92: '™', 0x93: 'ﬁ', 0x94: 'ﬂ', 0x95: 'Ł', 0x96: 'Œ', 0x97: 'Š',
	0x98: 'Ÿ', 0x99: 'Ž', 0x9A: 'ı', 0x9B: 'ł', 0x9C: 'œ', 0x9D: 'š', 0x9E: 'ž', 0xA0: '€',
}

// standardHigh is StandardEncoding above ASCII, by glyph name.
var standardHigh = map[int]string{
	0241: "exclamdown", 0242: "cent", 0243: "sterling", 0244: "fraction", 0245: "yen",
	0246: "florin", 0247: "section", 0250: "currency", 0251: "quotesingle", 0252: "quotedblleft",
	0253: "guillemotleft", 0254: "guilsinglleft", 0255: "guilsinglright", 0256: "fi", 0257: "fl",
	0261: "endash", 0262: "dagger", 0263: "daggerdbl", 0264: "periodcentered", 0266: "paragraph",
	0267: "bullet", 0270: "quotesinglbase", 0271: "quotedblbase", 0272: "quotedblright",
	0273: "guillemotright", 0274: "ellipsis", 0275: "perthousand", 0277: "questiondown",
	0301: "grave", 0302: "acute", 0303: "circumflex", 0304: "tilde", 0305: "macron", 0306: "breve",
	0307: "dotaccent", 0310: "dieresis", 0312: "ring", 0313: "cedilla", 0315: "hungarumlaut",
	0316: "ogonek", 0317: "caron", 0320: "emdash", 0341: "AE", 0343: "ordfeminine", 0350: "Lslash",
	0351: "Oslash", 0352: "OE", 0353: "ordmasculine", 0361: "ae", 0365: "dotlessi", 0370: "lslash",
	0371: "oslash", 0372: "oe", 0373: "germandbls",
}

// glyphRunes are the glyph names of the standard Latin character set (PDF
// 32000-1, annex D) and a few common others that are not a letter plus an
// accent (see glyphText).
var glyphRunes = map[string]rune{
	"space": ' ', "exclam": '!', "quotedbl": '"', "numbersign": '#', "dollar": '$', "percent": '%',
	"ampersand": '&', "quotesingle": '\'', "quoteright": '’', "parenleft": '(', "parenright": ')',
	"asterisk": '*', "plus": '+', "comma": ',', "hyphen": '-', "period": '.', "slash": '/',
	"zero": '0', "one": '1', "two": '2', "three": '3', "four": '4', "five": '5', "six": '6',
	"seven": '7', "eight": '8', "nine": '9', "colon": ':', "semicolon": ';', "less": '<',
	"equal": '=', "greater": '>', "question": '?', "at": '@', "bracketleft": '[', "backslash": '\\',
	"bracketright": ']', "asciicircum": '^', "underscore": '_', "grave": '`', "quoteleft": '‘',
	"braceleft": '{', "bar": '|', "braceright": '}', "asciitilde": '~', "exclamdown": '¡',
	"cent": '¢', "sterling": '£', "fraction": '⁄', "yen": '¥', "florin": 'ƒ', "section": '§',
	"currency": '¤', "quotedblleft": '“', "guillemotleft": '«', "guilsinglleft": '‹',
	"guilsinglright": '›', "endash": '–',
	"dagger": '†', "daggerdbl": '‡', "periodcentered": '·', "middot": '·', "paragraph": '¶',
	"bullet": '•', "quotesinglbase": '‚', "quotedblbase": '„', "quotedblright": '”',
	"guillemotright": '»', "ellipsis": '…', "perthousand": '‰', "questiondown": '¿', "acute": '´',
	"circumflex": 'ˆ', "tilde": '˜', "macron": '¯', "breve": '˘', "dotaccent": '˙', "dieresis": '¨',
	"ring": '˚', "cedilla": '¸', "hungarumlaut": '˝', "ogonek": '˛', "caron": 'ˇ', "emdash": '—',
	"AE": 'Æ', "ae": 'æ', "ordfeminine": 'ª', "ordmasculine": 'º', "Lslash": 'Ł', "lslash": 'ł',
	"Oslash": 'Ø', "oslash": 'ø', "OE": 'Œ', "oe": 'œ', "dotlessi": 'ı', "germandbls": 'ß',
	"Eth": 'Ð', "eth": 'ð', "Thorn": 'Þ', "thorn": 'þ', "Euro": '€', "trademark": '™',
	"copyright": '©', "registered": '®', "degree": '°', "plusminus": '±', "onehalf": '½',
	"onequarter": '¼', "threequarters": '¾', "onesuperior": '¹', "twosuperior": '²',
	"threesuperior": '³', "mu": 'µ', "multiply": '×', "divide": '÷', "logicalnot": '¬',
	"brokenbar": '¦', "minus": '−', "nbspace": '\u00a0', "nonbreakingspace": '\u00a0',
	"sfthyphen": '\u00ad', "softhyphen": '\u00ad', "notequal": '≠', "lessequal": '≤',
	"greaterequal": '≥', "infinity": '∞', "partialdiff": '∂', "summation": '∑', "product": '∏',
	"pi": 'π', "integral": '∫', "Omega": 'Ω', "radical": '√', "approxequal": '≈', "Delta": '∆',
	"lozenge": '◊', "dotlessj": 'ȷ', "commaaccent": '\u0326', "overscore": '¯', "apple": '\uf8ff',
	"arrowright": '→', "arrowleft": '←', "arrowup": '↑', "arrowdown": '↓', "checkmark": '✓',
	"quotereversed": '‛', "figuredash": '‒', "horizontalbar": '―', "dong": '₫', "lira": '₤',
	"franc": '₣', "peseta": '₧', "afii61289": 'ℓ', "estimated": '℮', "numero": '№',
}

// accents are the combining marks of the accent names that end glyph names
// such as "Aacute" or "scaron".
var accents = []struct {
	name string
	mark rune
}{
	{"circumflex", '\u0302'}, {"hungarumlaut", '\u030B'}, {"commaaccent", '\u0326'},
	{"dotaccent", '\u0307'}, {"dieresis", '\u0308'}, {"cedilla", '\u0327'}, {"ogonek", '\u0328'},
	{"acute", '\u0301'}, {"grave", '\u0300'}, {"tilde", '\u0303'}, {"caron", '\u030C'},
	{"macron", '\u0304'}, {"breve", '\u0306'}, {"ring", '\u030A'},
}

// glyphText returns the text of a glyph name: a name of the standard Latin
// set, a letter and an accent ("Aacute"), "uniXXXX" (one or more UTF-16
// units), "uXXXX[XX]", a name with a suffix ("a.sc", "f_f"), or "" when
// the name says nothing.
func glyphText(name string) string {
	if r, ok := glyphRunes[name]; ok {
		return string(r)
	}
	switch name {
	case "fi", "fl", "ff", "ffi", "ffl": // ligatures by name read as their letters, as in pdftotext
		return name
	}
	if len(name) == 1 && (name[0] >= 'A' && name[0] <= 'Z' || name[0] >= 'a' && name[0] <= 'z') {
		return name
	}
	if base, _, ok := strings.Cut(name, "."); ok && base != "" {
		return glyphText(base)
	}
	if strings.Contains(name, "_") {
		var b strings.Builder
		for part := range strings.SplitSeq(name, "_") {
			s := glyphText(part)
			if s == "" {
				return ""
			}
			b.WriteString(s)
		}
		return b.String()
	}
	if hex, ok := strings.CutPrefix(name, "uni"); ok && len(hex) >= 4 && len(hex)%4 == 0 {
		var b strings.Builder
		for i := 0; i < len(hex); i += 4 {
			v, err := strconv.ParseUint(hex[i:i+4], 16, 16)
			if err != nil {
				return ""
			}
			b.WriteRune(rune(v))
		}
		return b.String()
	}
	if hex, ok := strings.CutPrefix(name, "u"); ok && len(hex) >= 4 && len(hex) <= 6 {
		if v, err := strconv.ParseUint(hex, 16, 32); err == nil && v <= 0x10FFFF {
			return string(rune(v))
		}
	}
	if len(name) >= 2 && (name[0] >= 'A' && name[0] <= 'Z' || name[0] >= 'a' && name[0] <= 'z') {
		for _, a := range accents {
			if base, ok := strings.CutSuffix(name[1:], a.name); ok && base == "" {
				return norm.NFC.String(name[:1] + string(a.mark))
			}
		}
	}
	return ""
}

// legacyCMap is a predefined CMap of a national character set: codes of
// one or two bytes, whose text its encoding gives (when the font has no
// ToUnicode, as pdftotext would with the collection's tables).
type legacyCMap struct {
	enc  encoding.Encoding
	lead func(byte) bool // the byte starts a two-byte code
	high bool            // codes are 7-bit JIS X 0208 row and cell: the high bits make them EUC-JP
}

// text returns the text of code in the character set, or false.
func (m *legacyCMap) text(code string) (string, bool) {
	if m.high {
		b := []byte(code)
		for i := range b {
			b[i] |= 0x80
		}
		code = string(b)
	}
	s, err := m.enc.NewDecoder().String(code)
	return s, err == nil && s != "" && !strings.ContainsRune(s, '\uFFFD')
}

func (m *legacyCMap) codeLen(b byte) int {
	if m.lead(b) {
		return 2
	}
	return 1
}

// legacyCMapOf returns the character set of a predefined CMap name, or nil.
func legacyCMapOf(name string) *legacyCMap {
	between := func(lo, hi byte) func(byte) bool { return func(b byte) bool { return b >= lo && b <= hi } }
	switch {
	case strings.HasPrefix(name, "GBK-EUC-"), strings.HasPrefix(name, "GBK2K-"), strings.HasPrefix(name, "GBKp-EUC-"):
		return &legacyCMap{simplifiedchinese.GBK, between(0x81, 0xFE), false}
	case strings.HasPrefix(name, "GB-EUC-"), strings.HasPrefix(name, "GBpc-EUC-"):
		return &legacyCMap{simplifiedchinese.GBK, between(0xA1, 0xFE), false}
	case strings.HasPrefix(name, "90ms-RKSJ-"), strings.HasPrefix(name, "90msp-RKSJ-"), strings.HasPrefix(name, "83pv-RKSJ-"), strings.HasPrefix(name, "90pv-RKSJ-"):
		return &legacyCMap{japanese.ShiftJIS, func(b byte) bool { return b >= 0x81 && b <= 0x9F || b >= 0xE0 && b <= 0xFC }, false}
	case name == "H" || name == "V": // JIS X 0208, ISO-2022-JP's two-byte codes
		return &legacyCMap{japanese.EUCJP, func(byte) bool { return true }, true}
	case strings.HasPrefix(name, "EUC-"):
		return &legacyCMap{japanese.EUCJP, func(b byte) bool { return b == 0x8E || b >= 0xA1 && b <= 0xFE }, false}
	case strings.HasPrefix(name, "KSC-EUC-"), strings.HasPrefix(name, "KSCms-UHC-"), strings.HasPrefix(name, "KSCpc-EUC-"):
		return &legacyCMap{korean.EUCKR, between(0x81, 0xFE), false}
	case strings.HasPrefix(name, "B5pc-"), strings.HasPrefix(name, "ETen-B5-"), strings.HasPrefix(name, "HKscs-B5-"), strings.HasPrefix(name, "ETenms-B5-"):
		return &legacyCMap{traditionalchinese.Big5, between(0x81, 0xFE), false}
	}
	return nil
}
