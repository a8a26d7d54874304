package parsers

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// pageWithFont returns a one-page PDF whose font F1 is fontObj (object 4);
// extra objects follow as 6, 7, ….
func pageWithFont(fontObj, content string, extra ...string) []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		fontObj,
		stream("", content),
	}
	return buildPDF("%PDF-1.7", append(objs, extra...)...)
}

func pdfText(t *testing.T, data []byte) string {
	t.Helper()
	doc, err := Parse(context.Background(), data, MediaPDF, Limits{})
	require.NoError(t, err)
	return strings.TrimSpace(doc.Text)
}

// A Type0 font's glyphs placed one by one, each at the advance its /W
// width gives, make one word; a gap of a third of an em separates words.
func TestType0WidthsJoinGlyphs(t *testing.T) {
	toUnicode := stream("", `/CIDInit /ProcSet findresource begin 12 dict begin begincmap
1 begincodespacerange <0000> <FFFF> endcodespacerange
2 beginbfrange <0001> <0003> <0041> <0010> <0011> [<0078> <00660066>] endbfrange
1 beginbfchar <0020> <20AC> endbfchar
endcmap CMapName currentdict /CMap defineresource pop end end`)
	font := "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /ToUnicode 6 0 R /DescendantFonts [7 0 R] >>"
	cid := "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /DW 1000 /W [1 [600 700] 3 3 500 16 17 400 32 [556]] >>"
	// A (600) B (700) C (500) drawn one per Tj at their advances; then
	// x ff € after a gap.
	content := "BT /F1 10 Tf 100 700 Td <0001> Tj 6 0 Td <0002> Tj 7 0 Td <0003> Tj 8.5 0 Td <0010 0011 0020> Tj ET"
	require.Equal(t, "ABC xff€", pdfText(t, pageWithFont(font, content, toUnicode, cid)))
}

// /Differences over a /BaseEncoding name glyphs by name, including
// uniXXXX names and ligatures; the codes it leaves keep the base encoding's
// text; a ToUnicode CMap wins over both.
func TestSimpleFontDifferencesAndToUnicode(t *testing.T) {
	font := "<< /Type /Font /Subtype /Type1 /BaseFont /X /FirstChar 65 /LastChar 70 /Widths [600 600 600 600 600 600]" +
		" /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [65 /Zcaron /uni20AC /f_f /Aacute.sc] >> >>"
	require.Equal(t, "Ž€ffÁEF \u00e9", pdfText(t, pageWithFont(font, `BT /F1 10 Tf 100 700 Td (ABCDEF \351) Tj ET`)))

	toUnicode := stream("", "1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <41> <005A> endbfchar")
	font = "<< /Type /Font /Subtype /TrueType /BaseFont /X /FirstChar 65 /LastChar 66 /Widths [600 600]" +
		" /Encoding << /Differences [65 /B] >> /ToUnicode 6 0 R >>"
	require.Equal(t, "ZB", pdfText(t, pageWithFont(font, `BT /F1 10 Tf 100 700 Td (AB) Tj ET`, toUnicode)))
}

// MacRomanEncoding's ligatures read as their letters, as their glyph names
// do.
func TestMacRomanLigatures(t *testing.T) {
	font := "<< /Type /Font /Subtype /TrueType /BaseFont /X /Encoding /MacRomanEncoding /FirstChar 32 /LastChar 222 /Widths [" +
		strings.Repeat(" 500", 191) + "] >>"
	require.Equal(t, "first flat", pdfText(t, pageWithFont(font, `BT /F1 10 Tf 100 700 Td (\336rst \337at) Tj ET`)))
}

// WinAnsiEncoding's code 255 is a second hyphen (PDF 32000-1, annex D),
// not Windows-1252's soft hyphen.
func TestWinAnsiSecondHyphen(t *testing.T) {
	require.Equal(t, "acido-basique", pdfText(t, pageWithFont(helvetica, `BT /F1 10 Tf 100 700 Td (acido\255basique) Tj ET`)))
}

func TestGlyphText(t *testing.T) {
	for name, want := range map[string]string{
		"A": "A", "eacute": "é", "Scaron": "Š", "uni00410042": "AB", "u1F600": "😀",
		"germandbls": "ß", "f_i": "fi", "fl": "fl", "one.oldstyle": "1", "Euro": "€", "g123": "", "": "",
	} {
		require.Equal(t, want, glyphText(name), name)
	}
}

// A Type0 font with a predefined national CMap and no ToUnicode reads its
// codes, of one or two bytes, in that character set.
func TestType0LegacyCMap(t *testing.T) {
	font := "<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /GBK-EUC-H /DescendantFonts [6 0 R] >>"
	cid := "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun /DW 1000 >>"
	require.Equal(t, "AB中文", pdfText(t, pageWithFont(font, "BT /F1 10 Tf 100 700 Td <4142D6D0CEC4> Tj ET", cid)))
}

// The JIS X 0208 CMaps H and V read their two-byte codes as Japanese; with
// V (vertical writing) the glyphs advance down the page, one em each: a
// column read top to bottom is one line, columns right to left, as
// pdftotext reads them.
func TestType0JISCMapsAndVerticalText(t *testing.T) {
	cid := "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /Ryumin /DW 1000 /CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> >>"
	font := func(cmap string) string {
		return "<< /Type /Font /Subtype /Type0 /BaseFont /Ryumin-Light-" + cmap + " /Encoding /" + cmap + " /DescendantFonts [6 0 R] >>"
	}
	require.Equal(t, "あい", pdfText(t, pageWithFont(font("H"), "BT /F1 10 Tf 100 700 Td <24222424> Tj ET", cid)))
	vertical := "BT /F1 10 Tf 100 700 Td <2422> Tj <2424> Tj ET BT /F1 10 Tf 80 700 Td <24262428> Tj ET"
	require.Equal(t, "あい\nうえ", pdfText(t, pageWithFont(font("V"), vertical, cid)))
}

// A Type0 font whose ToUnicode is the name Identity-H has UTF-16 codes.
func TestType0IdentityToUnicode(t *testing.T) {
	font := "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /ToUnicode /Identity-H /DescendantFonts [6 0 R] >>"
	cid := "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /W [72 [722 222]] >>"
	require.Equal(t, "Hi", pdfText(t, pageWithFont(font, "BT /F1 10 Tf 100 700 Td <00480069> Tj ET", cid)))
}

// Rotated text is read along its baseline; mirrored text glyph by glyph
// in page order, reversed, as pdftotext reads it, in the direction its up
// vector gives: up and mirrored text is read as lines running down the page.
func TestTurnedAndMirroredText(t *testing.T) {
	font := "<< /Type /Font /Subtype /Type1 /BaseFont /X /FirstChar 97 /LastChar 99 /Widths [500 500 500] >>"
	require.Equal(t, "abc", pdfText(t, pageWithFont(font, "BT /F1 10 Tf 0 1 -1 0 300 100 Tm (abc) Tj ET")))
	require.Equal(t, "abc", pdfText(t, pageWithFont(font, "BT /F1 10 Tf -1 0 0 -1 300 500 Tm (abc) Tj ET")))
	require.Equal(t, "cba", pdfText(t, pageWithFont(font, "-1 0 0 1 400 0 cm BT /F1 10 Tf 100 500 Td (abc) Tj ET")))
	up := "BT /F1 10 Tf 0 1 1 0 300 100 Tm (abc) Tj 0 -12 Td (cab) Tj ET"
	require.Equal(t, "cba\nbac", pdfText(t, pageWithFont(font, up)))
}

// Superscripts and subscripts in a smaller size stay on their line, joined
// to the word they touch.
func TestSuperscriptsStayOnTheLine(t *testing.T) {
	font := "<< /Type /Font /Subtype /Type1 /BaseFont /X /FirstChar 43 /LastChar 80 /Widths [584 0 0 0 0 0 0 556 556" +
		strings.Repeat(" 0", 28) + " 667] >>"
	content := "BT /F1 10 Tf 100 700 Td (P) Tj /F1 6 Tf 6.67 -2 Td (2) Tj /F1 10 Tf 20 2 Td (P) Tj /F1 6 Tf 6.67 4 Td (+) Tj ET"
	require.Regexp(t, `^P2 +P\+$`, pdfText(t, pageWithFont(font, content)))
}

// Form fields' appearance streams are read, placed in their rectangles;
// other annotations (a note's icon) are not, as in pdftotext.
func TestFormFieldAppearances(t *testing.T) {
	ap := stream("/Type /XObject /Subtype /Form /BBox [0 0 100 20] /Resources << /Font << /F1 4 0 R >> >>", "BT /F1 10 Tf 2 5 Td (ACME Ltd) Tj ET")
	note := stream("/Type /XObject /Subtype /Form /BBox [0 0 20 20] /Resources << /Font << /F1 4 0 R >> >>", "BT /F1 10 Tf 2 5 Td (Note) Tj ET")
	data := buildPDF("%PDF-1.7",
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R /Annots [6 0 R 8 0 R] >>",
		helvetica,
		stream("", "BT /F1 10 Tf 100 505 Td (Supplier:) Tj ET"),
		"<< /Type /Annot /Subtype /Widget /FT /Tx /Rect [200 500 300 520] /AP << /N 7 0 R >> >>",
		ap,
		"<< /Type /Annot /Subtype /Text /Rect [400 500 420 520] /AP << /N 9 0 R >> >>",
		note,
	)
	require.Regexp(t, `^Supplier: +ACME Ltd$`, pdfText(t, data))
}

// Character spacing that opens a gap of more than a tenth of an em ends a
// word, and a TJ adjustment that takes the gap back joins the glyphs again:
// a table cell "0" spaced away from "37,752" stays its own word.
func TestCharacterSpacingSplitsWords(t *testing.T) {
	font := "<< /Type /Font /Subtype /Type1 /BaseFont /X /FirstChar 44 /LastChar 57 /Widths [250 0 0 0 500 500 500 500 500 500 500 500 500 500] >>"
	content := "BT 3.9 Tc 6 0 0 6 100 700 Tm /F1 1 Tf [ (03) 3916 (7) 3916 (,) 3889 (7) 3916 (5) 3916 (2) ] TJ ET"
	require.Regexp(t, `^0 +37,752$`, pdfText(t, pageWithFont(font, content)))
}

// Text drawn again over itself, slightly offset (fake bold, a shadow), is
// read once, even when each copy is split into strings differently.
func TestFakeBoldReadOnce(t *testing.T) {
	font := "<< /Type /Font /Subtype /Type1 /BaseFont /X /FirstChar 48 /LastChar 58 /Widths [500 500 500 500 500 500 500 500 500 500 1000] >>"
	content := "BT /F1 18 Tf 1 0 0 1 100 300 Tm (0:) Tj (123) Tj ET " +
		"BT /F1 18 Tf 1 0 0 1 100.24 300.24 Tm (0) Tj (:123) Tj ET " +
		"BT /F1 18 Tf 1 0 0 1 100.24 300 Tm (0:123) Tj ET " +
		"BT /F1 18 Tf 1 0 0 1 200 300 Tm (0) Tj ET"
	require.Regexp(t, `^0:123 +0$`, pdfText(t, pageWithFont(font, content)))
}

// Form XObjects that draw each other without end are drawn once down the
// chain, as in pdftotext: a form already being drawn is not drawn again.
func TestRecursiveFormsDrawnOnce(t *testing.T) {
	form := func(other int, text string) string {
		return stream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 1000 1000] /Resources << /Font << /F1 4 0 R >> /XObject << /X 7 0 R /Y %d 0 R >> >>", other),
			"BT /F1 10 Tf 0 0 Td ("+text+") Tj ET 0.5 0 0 0.5 0 -40 cm /Y Do")
	}
	data := buildPDF("%PDF-1.7",
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /X 6 0 R >> >> /Contents 5 0 R >>",
		helvetica,
		stream("", "1 0 0 1 50 700 cm /X Do"),
		form(7, "first"),
		form(6, "second"),
	)
	require.Equal(t, "first\nsecond", regexp.MustCompile(`\n+`).ReplaceAllString(pdfText(t, data), "\n"))
}

// A space belongs to the word drawn before it, as in pdftotext: drawn
// after "S", it parts "S" from a ")" placed close behind it, and not from
// a "(" placed just before it but drawn later.
func TestSpaceFollowsTheWordDrawnBeforeIt(t *testing.T) {
	font := "<< /Type /Font /Subtype /TrueType /BaseFont /X /FirstChar 32 /LastChar 120 /Widths [250 0 0 0 0 0 0 0 300 300" +
		strings.Repeat(" 500", 41) + " 460" + strings.Repeat(" 500", 37) + "] >>"
	content := "BT /F1 10 Tf 1 0 0 1 70 478 Tm (Tax ) Tj 1 0 0 1 134 478 Tm (S) Tj 1 0 0 1 129 477 Tm ( ) Tj " +
		"1 0 0 1 131 477 Tm (\\() Tj 1 0 0 1 139 478 Tm (\\)) Tj ET"
	require.Regexp(t, `^Tax +\(S \)$`, pdfText(t, pageWithFont(font, content)))
}

// Runs of two sizes parted by a small gap (digits in another font between
// Chinese characters) read as separate words, as in pdftotext, even when
// the sizes are less than a percent apart (pdftotext compares them
// exactly); runs of one size so close stay one word, and so does a
// superscript that touches.
func TestSizeChangeWithGapPartsWords(t *testing.T) {
	font := "<< /Type /Font /Subtype /TrueType /BaseFont /X /FirstChar 48 /LastChar 57 /Widths [500 500 500 500 500 500 500 500 500 500] >>"
	content := "BT /F1 16 Tf 1 0 0 1 100 700 Tm (20) Tj /F1 16.6 Tf 1 0 0 1 117 700 Tm (5) Tj ET " +
		"BT /F1 16 Tf 1 0 0 1 100 600 Tm (20) Tj 1 0 0 1 117 600 Tm (5) Tj ET " +
		"BT /F1 16 Tf 1 0 0 1 100 500 Tm (20) Tj /F1 10 Tf 1 0 0 1 116 506 Tm (5) Tj ET " +
		"BT /F1 10.56 Tf 1 0 0 1 100 400 Tm (20) Tj /F1 10.6 Tf 1 0 0 1 111.1 400 Tm (5) Tj ET"
	require.Equal(t, "20 5\n\n205\n\n205\n\n20 5", pdfText(t, pageWithFont(font, content)))
}

// A CID font without ToUnicode whose codes are CIDs (Identity-H, here) is
// read through its character collection's CID → Unicode table, from the
// directory Limits.CIDToUnicode names (poppler-data's format: one hex code
// point per CID), for the codes its ToUnicode leaves out if it has one;
// without a table it gives no text, as before.
func TestType0CIDToUnicodeTable(t *testing.T) {
	dir := t.TempDir()
	// CIDs 0-3 of a made-up Adobe-Japan1: none, あ, い, 漢 (five hex digits
	// for a code point past the BMP are allowed too).
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Adobe-Japan1"), []byte("0000\n3042\n3044\n20bb7\n"), 0o600))
	cid := "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /Ryumin-Light /DW 1000 /CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> >>"
	font := "<< /Type /Font /Subtype /Type0 /BaseFont /Ryumin-Light-Identity-H /Encoding /Identity-H /DescendantFonts [6 0 R] >>"
	data := pageWithFont(font, "BT /F1 10 Tf 100 700 Td <000100020003> Tj ET", cid)
	doc, err := Parse(context.Background(), data, MediaPDF, Limits{CIDToUnicode: dir})
	require.NoError(t, err)
	require.Equal(t, "あい\U00020BB7", strings.TrimSpace(doc.Text))

	_, err = Parse(context.Background(), data, MediaPDF, Limits{CIDToUnicode: filepath.Join(dir, "absent")})
	code, _ := CodeOf(err)
	require.Equal(t, CodeNoText, code)

	// A collection the directory has no table for reads nothing either,
	// nor does a predefined CMap whose codes are not CIDs.
	gb1 := strings.ReplaceAll(cid, "Japan1", "GB1")
	_, err = Parse(context.Background(), pageWithFont(font, "BT /F1 10 Tf 100 700 Td <0001> Tj ET", gb1), MediaPDF, Limits{CIDToUnicode: dir})
	code, _ = CodeOf(err)
	require.Equal(t, CodeNoText, code)
	utf16 := strings.ReplaceAll(font, "/Identity-H", "/UniJIS-UTF16-H")
	_, err = Parse(context.Background(), pageWithFont(utf16, "BT /F1 10 Tf 100 700 Td <0001> Tj ET", cid), MediaPDF, Limits{CIDToUnicode: dir})
	code, _ = CodeOf(err)
	require.Equal(t, CodeNoText, code)

	// The codes a ToUnicode CMap leaves out are read by the table.
	toUnicode := stream("", "1 begincodespacerange <0000> <FFFF> endcodespacerange 1 beginbfchar <0001> <0041> endbfchar")
	partial := strings.ReplaceAll(font, "/DescendantFonts", "/ToUnicode 7 0 R /DescendantFonts")
	doc, err = Parse(context.Background(), pageWithFont(partial, "BT /F1 10 Tf 100 700 Td <00010002> Tj ET", cid, toUnicode), MediaPDF, Limits{CIDToUnicode: dir})
	require.NoError(t, err)
	require.Equal(t, "Aい", strings.TrimSpace(doc.Text))
}

// sfnt returns a TrueType font program of the given tables.
func sfnt(tables map[string][]byte) string {
	tags := slices.Sorted(maps.Keys(tables))
	var b []byte
	b = binary.BigEndian.AppendUint32(b, 0x00010000)
	b = binary.BigEndian.AppendUint16(b, uint16(len(tags)))
	b = append(b, 0, 0, 0, 0, 0, 0)
	off := 12 + 16*len(tags)
	for _, tag := range tags {
		b = append(b, tag...)
		b = binary.BigEndian.AppendUint32(b, 0)
		b = binary.BigEndian.AppendUint32(b, uint32(off))
		b = binary.BigEndian.AppendUint32(b, uint32(len(tables[tag])))
		off += len(tables[tag])
	}
	for _, tag := range tags {
		b = append(b, tables[tag]...)
	}
	return string(b)
}

// cmapTable returns a cmap table with one format 4 subtable of the given
// platform and encoding, mapping each code point of gids to its glyph.
func cmapTable(platform, encoding uint16, gids map[uint16]uint16) []byte {
	codes := slices.Sorted(maps.Keys(gids))
	segs := append(codes, 0xFFFF)
	var sub []uint16
	sub = append(sub, 4, uint16(16+8*len(segs)), 0, uint16(2*len(segs)), 0, 0, 0)
	sub = append(sub, segs...) // end codes
	sub = append(sub, 0)       // padding
	sub = append(sub, segs...) // start codes
	for _, c := range codes {
		sub = append(sub, gids[c]-c) // deltas
	}
	sub = append(sub, 1)
	sub = append(sub, make([]uint16, len(segs))...) // range offsets
	var b []byte
	for _, v := range append([]uint16{0, 1, platform, encoding, 0, 12}, sub...) {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

// postTable returns a post table of version 2.0 naming glyphs by index
// (below 258: the standard Macintosh names), and the table's own names,
// indexed from 258.
func postTable(index []uint16, names ...string) []byte {
	b := binary.BigEndian.AppendUint32(nil, 0x00020000)
	b = append(b, make([]byte, 28)...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(index)))
	for _, i := range index {
		b = binary.BigEndian.AppendUint16(b, i)
	}
	for _, n := range names {
		b = append(append(b, byte(len(n))), n...)
	}
	return b
}

// An embedded TrueType CID font without ToUnicode is read through its
// program's Unicode cmap, reversed (CID → glyph by its CIDToGIDMap, glyph
// → code point), or its glyph names; a font of the Adobe-Identity collection that nothing
// reads gives its CIDs as code points, as pdftotext reads them.
func TestType0TrueTypeCmap(t *testing.T) {
	font := "<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEE+Arial /Encoding /Identity-H /DescendantFonts [6 0 R] >>"
	cid := func(extra string) string {
		return "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEE+Arial /DW 500" +
			" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 7 0 R " + extra + " >>"
	}
	descriptor := "<< /Type /FontDescriptor /FontName /ABCDEE+Arial /Flags 32 /FontFile2 8 0 R >>"
	program := stream("", sfnt(map[string][]byte{"cmap": cmapTable(3, 1, map[uint16]uint16{'P': 51, 'e': 72, 'ž': 268})}))
	// Identity CIDToGIDMap: the CIDs are glyphs.
	content := "BT /F1 10 Tf 100 700 Td <00330048010C> Tj ET"
	require.Equal(t, "Pež", pdfText(t, pageWithFont(font, content, cid("/CIDToGIDMap /Identity"), descriptor, program)))
	// A CIDToGIDMap stream: CID 1 is glyph 51, CID 2 glyph 72.
	content = "BT /F1 10 Tf 100 700 Td <00010002> Tj ET"
	require.Equal(t, "Pe", pdfText(t, pageWithFont(font, content, cid("/CIDToGIDMap 9 0 R"), descriptor, program,
		stream("", "\x00\x00\x00\x33\x00\x48"))))
	// A symbolic (3,0) cmap says nothing of Unicode: the glyphs' names
	// in the post table do (P is standard name 51; uni4E2D the table's
	// own, index 258); glyph 3 is not named.
	symbolic := cmapTable(3, 0, map[uint16]uint16{0xF050: 1, 0xF051: 2})
	named := stream("", sfnt(map[string][]byte{"cmap": symbolic, "post": postTable([]uint16{0, 51, 258}, "uni4E2D")}))
	content = "BT /F1 10 Tf 100 700 Td <00010002> Tj ET"
	require.Equal(t, "P中", pdfText(t, pageWithFont(font, content, cid(""), descriptor, named)))
	// Without names, the Identity collection's CIDs are read as code
	// points, as pdftotext reads them.
	content = "BT /F1 10 Tf 100 700 Td <4E2D56FD> Tj ET"
	require.Equal(t, "中国", pdfText(t, pageWithFont(font, content, cid(""), descriptor, stream("", sfnt(map[string][]byte{"cmap": symbolic})))))
}

func TestMacGlyphNames(t *testing.T) {
	require.Len(t, macGlyphs, 258)
	for i, name := range map[int]string{0: ".notdef", 3: "space", 51: "P", 97: "asciitilde", 98: "Adieresis", 257: "dcroat"} {
		require.Equal(t, name, macGlyphs[i])
	}
}
