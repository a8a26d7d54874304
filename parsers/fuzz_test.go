package parsers

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dataforge/dataforge/internal/schema"
)

var mediaTypes = []string{MediaPDF, MediaText, MediaXML, ""}

// sampleTexts returns the text of every sample that parses.
func sampleTexts(f *testing.F) []string {
	list, data := loadSamples(f)
	var texts []string
	for i, e := range list {
		if doc, err := Parse(context.Background(), data[i], DetectMediaType(e.File, data[i]), Limits{}); err == nil {
			texts = append(texts, doc.Text)
		}
	}
	return texts
}

func FuzzParse(f *testing.F) {
	list, data := loadSamples(f)
	for i := range list {
		for m := range mediaTypes {
			f.Add(data[i], uint8(m))
		}
	}
	hostileFiles, err := filepath.Glob(filepath.Join("testdata", "hostile", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range hostileFiles {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(2))
	}
	f.Add([]byte("%PDF-1.4\n%%EOF"), uint8(0))
	f.Add(onePage("%PDF-1.4", "BT /F1 10 Tf 50 800 Td [(A) -300 (B)] TJ ET /X1 Do", "BT /F1 9 Tf (C) Tj ET"), uint8(0))
	f.Add(pageWithFont("<< /Type /Font /Subtype /Type0 /Encoding /Identity-H /ToUnicode 6 0 R /DescendantFonts [7 0 R] >>",
		"BT /F1 10 Tf 100 700 Td <00010002> Tj BI /W 1 /H 1 ID\n~>\nEI [<0003> -120 <0004>] TJ ET",
		stream("", "1 begincodespacerange <0000> <FFFF> endcodespacerange 1 beginbfrange <0001> <0004> [<0041> <00660066> <0042> <0043>] endbfrange"),
		"<< /Type /Font /Subtype /CIDFontType2 /DW 500 /W [1 [600 700] 3 4 500] >>"), uint8(0))
	for _, enc := range []string{encRC4, encAES128, encAES256} {
		f.Add(encryptedPage(f, "", enc), uint8(0))
	}
	f.Add(fpdfProtected(f, ""), uint8(0))
	noXref := onePage("%PDF-1.4", "BT /F1 10 Tf 50 800 Td (Invoice) Tj ET", "")
	f.Add(append(noXref[:bytes.LastIndex(noXref, []byte("xref"))], "%%EOF"...), uint8(0))
	lim := Limits{MaxBytes: 1 << 20, MaxPages: 50, Timeout: 5 * time.Second}
	f.Fuzz(func(t *testing.T, data []byte, m uint8) {
		doc, err := Parse(context.Background(), data, mediaTypes[int(m)%len(mediaTypes)], lim)
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if _, known := codeText[e.Code]; !known || doc != nil {
				t.Fatalf("bad failure: code %q, doc %v", e.Code, doc)
			}
			return
		}
		switch {
		case doc == nil:
			t.Fatal("nil document without an error")
		case doc.MediaType != MediaPDF && doc.MediaType != MediaText && doc.MediaType != MediaXML:
			t.Fatalf("media type %q", doc.MediaType)
		case doc.Pages < 1:
			t.Fatalf("%d pages", doc.Pages)
		case !utf8.ValidString(doc.Text) || strings.ContainsRune(doc.Text, 0):
			t.Fatalf("text is not valid UTF-8 without NUL: %q", doc.Text)
		case strings.TrimSpace(doc.Text) == "":
			t.Fatal("empty text without an error")
		}
	})
}

func FuzzExtractRules(f *testing.F) {
	for _, s := range sampleTexts(f) {
		for typ := range schema.Types {
			f.Add(s, uint8(typ))
		}
	}
	f.Add("Invoice #1 Date: 01/02/03 Total: €1.234,5 IBAN NL91ABNA0417164300", uint8(0))
	f.Add("Verkäufer\n   Nummer:   549910\n             MVM Musterhafter\n   Name:     Verein a.G.\n"+
		"Handelsrechnung (380) Nr. 471102 vom\n05.06.2018\nLieferant   GMBH\n", uint8(0))
	f.Add("  Nettobetrag   MwSt-Betrag   Endbetrag\n   100,00   19,00   119,00\n   -5,00   -0,95   -5,95\n"+
		"Bruttosumme   -8,79\nZahlbetrag   -8,79\nINV/2023/03/0008\n", uint8(0))
	f.Fuzz(func(t *testing.T, text string, typ uint8) {
		dt := schema.Types[int(typ)%len(schema.Types)]
		x := ExtractRules(text, dt)
		if x.Overall < 0 || x.Overall > 1 {
			t.Fatalf("overall %v", x.Overall)
		}
		raw, err := json.Marshal(x.Fields)
		if err != nil {
			t.Fatal(err)
		}
		var present map[string]any
		if err := json.Unmarshal(raw, &present); err != nil {
			t.Fatal(err)
		}
		for name, v := range present {
			_, has := x.Confidence[name]
			if found := v != nil && v != ""; found != has {
				t.Fatalf("field %s: value %v, confidence entry %v", name, v, has)
			}
		}
		for name, c := range x.Confidence {
			if _, ok := present[name]; !ok || c < 0 || c > 1 {
				t.Fatalf("confidence %s = %v", name, c)
			}
		}
		for name, sp := range x.Spans {
			if _, ok := x.Confidence[name]; !ok || sp != SpanOf(text, sp.Start, sp.End) || sp.Text == "" {
				t.Fatalf("span %s = %+v", name, sp)
			}
		}
		if x.Overall >= ConfidenceThreshold {
			if p := schema.Check(dt, &x.Fields); len(p) > 0 {
				t.Fatalf("confident (%.2f) but invalid: %v", x.Overall, p)
			}
		}
	})
}

func FuzzClassify(f *testing.F) {
	for _, s := range sampleTexts(f) {
		f.Add(s)
	}
	f.Add("Rechnung\nKassenbon\nDear Sir\n")
	f.Fuzz(func(t *testing.T, text string) {
		c := Classify(text)
		valid := false
		for _, dt := range schema.Types {
			valid = valid || c.Type == dt
		}
		ft := c.Features
		switch {
		case !valid:
			t.Fatalf("type %q", c.Type)
		case c.Confidence < 0 || c.Confidence > 1 || c.Complexity < 0 || c.Complexity > 1:
			t.Fatalf("confidence %v, complexity %v", c.Confidence, c.Complexity)
		case ft.Chars < 0 || ft.Lines < 0 || ft.Words < 0 || ft.Amounts < 0 || ft.Dates < 0:
			t.Fatalf("features %+v", ft)
		}
	})
}

func FuzzParseAmountAndDate(f *testing.F) {
	for _, s := range []string{"€ 717,97", "$1,234.56", "1.234,56 EUR", "1\u00a0234,56 €", "CHF 1'234.50", "-12", "19 april 2014", "03/20/2023", "20.03.2023", "2023-03-20", "5. März 2024"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(','))
	}
	f.Fuzz(func(t *testing.T, s string, mark uint8) {
		if v, cur, ok := ParseAmount(s, rune(mark)); ok {
			if math.IsNaN(v) || math.IsInf(v, 0) || cur != "" && !schema.IsCurrency(cur) {
				t.Fatalf("ParseAmount(%q) = %v %q", s, v, cur)
			}
		}
		for _, monthFirst := range []bool{false, true} {
			if d, ok := ParseDate(s, monthFirst); ok {
				if _, err := time.Parse(time.DateOnly, d); err != nil {
					t.Fatalf("ParseDate(%q) = %q", s, d)
				}
			}
		}
		sp := SpanOf(s, len(s)/3, len(s)/2)
		if sp.Text != s[len(s)/3:len(s)/2] || sp.Page < 1 || sp.Line < 1 {
			t.Fatalf("SpanOf: %+v", sp)
		}
	})
}

// FuzzTrueTypeTables reads the cmap and post tables of arbitrary font
// programs: no panic, and no glyph past the 65536 a font may have.
func FuzzTrueTypeTables(f *testing.F) {
	f.Add([]byte(sfnt(map[string][]byte{"cmap": cmapTable(3, 1, map[uint16]uint16{'A': 36, 'z': 93})})))
	f.Add([]byte(sfnt(map[string][]byte{"cmap": cmapTable(3, 0, map[uint16]uint16{0xF041: 1}), "post": postTable([]uint16{0, 36, 258}, "uni4E2D")})))
	f.Fuzz(func(t *testing.T, data []byte) {
		var glyphs []rune
		if sub := unicodeCmap(data); sub != nil {
			glyphs = cmapGlyphs(sub)
		}
		n := 0
		postNames(data, func(gid int, _ string) { n = max(n, gid+1) })
		if len(glyphs) > 1<<16 || n > 1<<16 {
			t.Fatalf("%d glyphs by the cmap, %d by the post table", len(glyphs), n)
		}
	})
}
