package parsers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode"

	"github.com/ledongthuc/pdf"

	"github.com/dataforge/dataforge/einvoice"
)

// errTextLimit stops a walk whose text outgrows Limits.MaxBytes.
var errTextLimit = errors.New("extracted text exceeds the size limit")

func parsePDF(ctx context.Context, data []byte, lim Limits) (*Document, error) {
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	doc, err := readPDF(ctx, data, lim, func(r *pdf.Reader, _ []byte, pages []page) (*Document, error) {
		return readText(ctx, r, pages, lim)
	})
	var noText *Error
	if !errors.As(err, &noText) || noText.Code != CodeNoText || lim.OCR == nil {
		return doc, err
	}
	doc, err = lim.OCR(ctx, data, MediaPDF, lim)
	var ocrErr *Error
	if errors.As(err, &ocrErr) && ocrErr.Code == CodeUnsupported {
		// Images OCR cannot take: the PDF is still one without text.
		return nil, &Error{Code: CodeNoText, Detail: noText.Detail + "; OCR: " + ocrErr.Detail, err: err}
	}
	return doc, err
}

// pdfReader reads an opened PDF: r reads file (data, or data repaired),
// whose pages are pages.
type pdfReader func(r *pdf.Reader, file []byte, pages []page) (*Document, error)

// PDFPage is a page of a PDF: its dictionary and the resources it has or
// inherits.
type PDFPage struct {
	Dict, Resources pdf.Value
}

// ReadPDF opens data with the checks and repairs Parse makes before it reads
// a PDF's text, and calls read with the bytes the pdf library reads (data,
// or data repaired: offsets of stream data are offsets in file) and the
// pages, within lim.Timeout. The pdf library panics on damaged objects;
// a panic in read becomes a CodeCorrupt error. An encrypted PDF fails with
// CodeEncrypted, even one opened with the empty password.
func ReadPDF(ctx context.Context, data []byte, lim Limits, read func(file []byte, pages []PDFPage) error) error {
	lim = lim.WithDefaults()
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	_, err := readPDF(ctx, data, lim, func(r *pdf.Reader, file []byte, pages []page) (*Document, error) {
		if !r.Trailer().Key("Encrypt").IsNull() || encryptRef.Match(data) {
			return nil, newError(CodeEncrypted, "the page images of an encrypted PDF are not read")
		}
		list := make([]PDFPage, len(pages))
		for i, p := range pages {
			list[i] = PDFPage{Dict: p.v, Resources: p.res}
		}
		return nil, read(file, list)
	})
	return err
}

// readPDF checks and opens a PDF and reads it with read, within ctx. A file
// the pdf library finds corrupt is read again with a cross-reference table
// rebuilt by scanning it.
func readPDF(ctx context.Context, data []byte, lim Limits, read pdfReader) (*Document, error) {
	i := bytes.Index(data[:min(len(data), 1024)], []byte("%PDF-"))
	if i < 0 {
		return nil, newError(CodeCorrupt, "no %%PDF- header")
	}
	data = normalizePDF(data[i:])
	if err := checkXref(data); err != nil {
		return nil, err
	}
	type result struct {
		doc *Document
		err error
	}
	done := make(chan result, 1) // buffered: a late result must not block the goroutine
	go func() {
		doc, err := readPDFOnce(ctx, data, lim, read)
		if code, _ := CodeOf(err); code == CodeCorrupt && ctx.Err() == nil {
			if fixed, ok := rebuildXref(data); ok {
				if doc2, err2 := readPDFOnce(ctx, fixed, lim, read); err2 == nil {
					doc, err = doc2, nil
				}
			}
		}
		done <- result{doc, err}
	}()
	select {
	case r := <-done:
		return r.doc, r.err
	case <-ctx.Done():
		return nil, timeoutError(ctx.Err(), lim.Timeout)
	}
}

// normalizePDF loosens two checks of the pdf library that viewers do not
// make: the header must read "%PDF-1.[0-7]" and a newline, and "%%EOF" must
// be within the last 100 bytes. It returns data itself when both hold.
func normalizePDF(data []byte) []byte {
	goodHeader := len(data) >= 9 && bytes.HasPrefix(data, []byte("%PDF-1.")) &&
		data[7] >= '0' && data[7] <= '7' && (data[8] == '\n' || data[8] == '\r')
	end := bytes.LastIndex(data, []byte("%%EOF"))
	trailing := end >= 0 && len(bytes.TrimSpace(data[end+5:])) > 0
	if goodHeader && !trailing {
		return data
	}
	out := bytes.Clone(data)
	if trailing {
		out = out[:end+5]
	}
	if !goodHeader && len(out) >= 9 {
		copy(out, "%PDF-1.7\n")
	}
	return out
}

// ctxReaderAt fails every read once ctx is done, which stops the pdf library
// in whatever loop it is in.
type ctxReaderAt struct {
	ctx context.Context
	r   *bytes.Reader
}

func (c ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}

// readPDFOnce opens a PDF as it is and reads it with read. The pdf library
// reports many problems by panicking; they are recovered here.
func readPDFOnce(ctx context.Context, data []byte, lim Limits, read pdfReader) (doc *Document, err error) {
	defer func() {
		x := recover()
		switch {
		case x == nil:
		case ctx.Err() != nil:
			doc, err = nil, timeoutError(ctx.Err(), lim.Timeout)
		case x == errTextLimit:
			doc, err = nil, newError(CodeTooLarge, "more than %d bytes of text", lim.MaxBytes)
		default:
			doc, err = nil, newError(CodeCorrupt, "%v", x)
		}
	}()
	// A file encrypted with the empty user password is decrypted here, as
	// viewers open it; other passwords are not known, and the library
	// refuses the file.
	if clear, ok := decryptEmpty(data); ok {
		data = clear
	}
	r, err := pdf.NewReader(ctxReaderAt{ctx, bytes.NewReader(data)}, int64(len(data)))
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, timeoutError(ctx.Err(), lim.Timeout)
	case err != nil && (errors.Is(err, pdf.ErrInvalidPassword) || bytes.Contains(data, []byte("/Encrypt"))):
		return nil, newError(CodeEncrypted, "%v", err)
	case err != nil:
		return nil, newError(CodeCorrupt, "%v", err)
	}
	if n := r.NumPage(); n > lim.MaxPages {
		return nil, newError(CodeTooManyPages, "%d pages, limit %d", n, lim.MaxPages)
	}
	pages, err := pageList(r.Trailer().Key("Root").Key("Pages"), lim.MaxPages)
	if err != nil {
		return nil, err
	}
	return read(r, data, pages)
}

// readText reads the text layer of an opened PDF.
func readText(ctx context.Context, r *pdf.Reader, pages []page, lim Limits) (*Document, error) {
	xml, xmlName := embeddedInvoice(r)
	if err := checkStreams(ctx, pages, lim); err != nil {
		return nil, err
	}
	w := &walker{ctx: ctx, budget: lim.MaxBytes, maxContent: 2 * lim.MaxBytes,
		fonts: newFontData(lim.CIDToUnicode)}
	var b strings.Builder
	for _, p := range pages {
		var words []word
		w.drawn = glyphSet{}
		w.walk(p.v.Key("Contents"), p.res, identity, &words, 0)
		w.annotations(p, &words)
		if !layoutPage(&b, words, lim.MaxBytes) {
			return nil, newError(CodeTooLarge, "more than %d bytes of laid-out text", lim.MaxBytes)
		}
		b.WriteByte('\f')
	}
	doc := &Document{MediaType: MediaPDF, Text: b.String(), Pages: len(pages), EInvoice: xml, EInvoiceName: xmlName, Source: SourceTextLayer}
	if w.readable == 0 || w.garbled > w.readable {
		// An image-only e-invoice: its XML is what can be read.
		if inv, err := einvoice.Read(xml); xml != nil && err == nil {
			doc.Text, doc.Source = inv.Text(), SourceEInvoice
			return doc, nil
		}
		if w.readable == 0 && w.broken != "" {
			return nil, newError(CodeCorrupt, "unreadable content stream: %s", w.broken)
		}
		return nil, newError(CodeNoText, "%d readable characters on %d pages", w.readable, len(pages))
	}
	return doc, nil
}

// page is a page object and the resources it has or inherits.
type page struct {
	v   pdf.Value
	res pdf.Value
}

// pageList walks the page tree from root, passing inherited resources down.
// It replaces the library's Reader.Page and Page.Resources, which loop
// forever on a tree that contains itself; here the number of nodes visited
// is bounded.
func pageList(root pdf.Value, maxPages int) ([]page, error) {
	var out []page
	budget := 4*maxPages + 64
	tooMany := false
	var walk func(v, res pdf.Value, depth int) bool
	walk = func(v, res pdf.Value, depth int) bool {
		if budget--; budget < 0 || depth > 64 {
			return false
		}
		if r := v.Key("Resources"); !r.IsNull() {
			res = r
		}
		kids := v.Key("Kids")
		if kids.Kind() != pdf.Array {
			if v.Kind() == pdf.Dict {
				out = append(out, page{v, res})
			}
			tooMany = len(out) > maxPages
			return !tooMany
		}
		for i := 0; i < kids.Len(); i++ {
			if !walk(kids.Index(i), res, depth+1) {
				return false
			}
		}
		return true
	}
	ok := walk(root, pdf.Value{}, 0)
	switch {
	case tooMany:
		return nil, newError(CodeTooManyPages, "more than %d pages", maxPages)
	case !ok:
		return nil, newError(CodeCorrupt, "the page tree loops or is too deep")
	case len(out) == 0:
		return nil, newError(CodeCorrupt, "no pages")
	}
	return out, nil
}

// matrix is a PDF transformation matrix [a b c d e f].
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul returns m × n: the transformation m followed by n.
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func translate(x, y float64) matrix { return matrix{1, 0, 0, 1, x, y} }

func matrixOf(v pdf.Value) (matrix, bool) {
	if v.Len() != 6 {
		return identity, false
	}
	var m matrix
	for i := range m {
		m[i] = v.Index(i).Float64()
	}
	return m, true
}

// word is a run of characters drawn without a space, in page coordinates.
type word struct {
	x, y, end float64 // start and end of the baseline
	size      float64 // font size in page units
	rot       int     // direction of the baseline in quarter turns: x and y are measured along and across it
	estimated bool    // the width is a guess (the font has no widths)
	spaced    bool    // a space character was shown after it: a word follows it however close
	text      string
}

// gstate is the part of the graphics state that places text.
type gstate struct {
	ctm                         matrix
	font                        *font
	size, tc, tw, th, tl, trise float64
}

// walker extracts positioned text from content streams. It is the pdf
// library's Page.Content reduced to text, plus Td/TD (which GetTextByRow
// ignores), word spacing, form XObjects, and limits on time and size.
type walker struct {
	ctx               context.Context
	budget            int64 // bytes of text left before errTextLimit
	ops               int
	readable, garbled int
	maxContent        int64           // most bytes of content read for one stream or form
	broken            string          // why a content stream could not be read, if one could not
	drawn             glyphSet        // the glyphs drawn on the page so far
	forms             map[string]bool // the form XObjects being drawn, by formID
	fonts             *fontData       // what the document's fonts share

}

const maxFormDepth = 8

func (w *walker) walk(content, res pdf.Value, ctm matrix, out *[]word, depth int) {
	if content.Kind() != pdf.Stream && content.Kind() != pdf.Array {
		return
	}
	fonts := map[string]*font{}
	fontNamed := func(name string) *font {
		if f, ok := fonts[name]; ok {
			return f
		}
		f := loadFont(res.Key("Font").Key(name), w.fonts)
		fonts[name] = f
		return f
	}
	g := gstate{ctm: ctm, th: 1}
	var saved []gstate
	tm, tlm := identity, identity
	newline := func() {
		tlm = translate(0, -g.tl).mul(tlm)
		tm = tlm
	}

	interpret(w.content(content), func(op string, args []pdfToken) {
		w.tick()
		num := func(i int) float64 { return args[i].n }
		switch {
		case op == "q":
			saved = append(saved, g)
		case op == "Q" && len(saved) > 0:
			g = saved[len(saved)-1]
			saved = saved[:len(saved)-1]
		case op == "cm" && len(args) == 6:
			var m matrix
			for i := range m {
				m[i] = num(i)
			}
			g.ctm = m.mul(g.ctm)
		case op == "BT":
			tm, tlm = identity, identity
		case op == "Tf" && len(args) == 2:
			g.font = fontNamed(args[0].s)
			g.size = num(1)
		case op == "Tc" && len(args) == 1:
			g.tc = num(0)
		case op == "Tw" && len(args) == 1:
			g.tw = num(0)
		case op == "Tz" && len(args) == 1:
			g.th = num(0) / 100
		case op == "TL" && len(args) == 1:
			g.tl = num(0)
		case op == "Ts" && len(args) == 1:
			g.trise = num(0)
		case (op == "Td" || op == "TD") && len(args) == 2:
			if op == "TD" {
				g.tl = -num(1)
			}
			tlm = translate(num(0), num(1)).mul(tlm)
			tm = tlm
		case op == "Tm" && len(args) == 6:
			for i := range tm {
				tm[i] = num(i)
			}
			tlm = tm
		case op == "T*":
			newline()
		case op == "'" && len(args) == 1:
			newline()
			w.show(&g, &tm, args[0], out)
		case op == "\"" && len(args) == 3:
			g.tw, g.tc = num(0), num(1)
			newline()
			w.show(&g, &tm, args[2], out)
		case (op == "Tj" || op == "TJ") && len(args) == 1:
			w.show(&g, &tm, args[0], out)
		case op == "Do" && len(args) == 1 && depth < maxFormDepth:
			xo := res.Key("XObject").Key(args[0].s)
			if xo.Key("Subtype").Name() != "Form" {
				return
			}
			m, _ := matrixOf(xo.Key("Matrix"))
			xres := xo.Key("Resources")
			if xres.IsNull() {
				xres = res
			}
			// A form that draws itself, directly or through others, is
			// drawn once on the way down, as in pdftotext.
			id := formID(xo)
			if w.forms[id] {
				return
			}
			if w.forms == nil {
				w.forms = map[string]bool{}
			}
			w.forms[id] = true
			w.walk(xo, xres, m.mul(g.ctm), out, depth+1)
			delete(w.forms, id)
		}
	})
}

// formID identifies a form XObject by the offset of its stream in the
// file, which the library prints after its dictionary.
func formID(v pdf.Value) string {
	s := v.String()
	return s[strings.LastIndexByte(s, '@')+1:]
}

// maxAnnots bounds the annotations read on one page.
const maxAnnots = 1000

// annotations walks the normal appearance streams of a page's visible
// form fields and free-text annotations, placed in their /Rect, as viewers
// draw them and pdftotext reads them (it leaves out the others: notes'
// icons, stamps, highlights).
func (w *walker) annotations(p page, out *[]word) {
	annots := p.v.Key("Annots")
	for i := 0; i < annots.Len() && i < maxAnnots; i++ {
		a := annots.Index(i)
		if st := a.Key("Subtype").Name(); st != "Widget" && st != "FreeText" || a.Key("F").Int64()&2 != 0 { // hidden
			continue
		}
		ap := a.Key("AP").Key("N")
		if ap.Kind() == pdf.Dict { // appearance states: the current one
			ap = ap.Key(a.Key("AS").Name())
		}
		rect, bbox := a.Key("Rect"), ap.Key("BBox")
		if ap.Kind() != pdf.Stream || rect.Len() != 4 || bbox.Len() != 4 {
			continue
		}
		m, _ := matrixOf(ap.Key("Matrix"))
		// Map the appearance's box (its BBox through its Matrix, taken
		// as not rotated) onto the annotation's rectangle.
		x0, y0 := bbox.Index(0).Float64()*m[0]+m[4], bbox.Index(1).Float64()*m[3]+m[5]
		x1, y1 := bbox.Index(2).Float64()*m[0]+m[4], bbox.Index(3).Float64()*m[3]+m[5]
		rx0, ry0 := min(rect.Index(0).Float64(), rect.Index(2).Float64()), min(rect.Index(1).Float64(), rect.Index(3).Float64())
		rx1, ry1 := max(rect.Index(0).Float64(), rect.Index(2).Float64()), max(rect.Index(1).Float64(), rect.Index(3).Float64())
		sx, sy := 1.0, 1.0
		if x1-x0 != 0 && y1-y0 != 0 {
			sx, sy = (rx1-rx0)/(x1-x0), (ry1-ry0)/(y1-y0)
		}
		place := matrix{sx, 0, 0, sy, rx0 - min(x0, x1)*sx, ry0 - min(y0, y1)*sy}
		res := ap.Key("Resources")
		if res.IsNull() {
			res = p.res
		}
		w.walk(ap, res, m.mul(place), out, 1)
	}
}

// content returns the decoded bytes of a content stream, or of an array of
// them joined. A stream that fails to decode part way (a bad checksum, a
// truncated file) gives what was decoded, as viewers show it.
func (w *walker) content(v pdf.Value) []byte {
	var b bytes.Buffer
	read := func(s pdf.Value) {
		n := b.Len()
		defer func() {
			// The library panics on some broken streams, such as one
			// with an unknown filter.
			if x := recover(); x != nil && b.Len() == n {
				w.broken = fmt.Sprint(x)
			}
		}()
		if s.Kind() != pdf.Stream {
			return
		}
		rd := s.Reader()
		defer rd.Close()
		_, _ = io.Copy(&b, io.LimitReader(rd, w.maxContent-int64(b.Len())))
		b.WriteByte('\n')
	}
	if v.Kind() == pdf.Array {
		for i := 0; i < v.Len() && int64(b.Len()) < w.maxContent; i++ {
			read(v.Index(i))
		}
	} else {
		read(v)
	}
	return b.Bytes()
}

// tick is called once per operator: it stops the walk when the context is
// done.
func (w *walker) tick() {
	w.ops++
	if w.ops%256 == 0 {
		if err := w.ctx.Err(); err != nil {
			panic(err)
		}
	}
}

// show draws a string (Tj) or an array of strings and kerning adjustments
// (TJ), appends its words with their positions, and advances the text
// matrix past it.
func (w *walker) show(g *gstate, tm *matrix, v pdfToken, out *[]word) {
	if g.font == nil {
		return // no Tf: invalid, nothing sensible to decode
	}
	scale := matrix{g.size * g.th, 0, 0, g.size, 0, g.trise}
	at := func() matrix { return scale.mul(*tm).mul(g.ctm) }
	m := at()
	// Text drawn in another direction is measured along it: x along the
	// baseline, y across it, as if the page were turned to read it.
	// Vertical text (a font of writing mode 1) advances down its glyphs'
	// up vector, each glyph one em (the default vertical metrics).
	vertical := g.font.vertical
	cos, sin := m[0], m[1]
	if vertical {
		cos, sin = -m[2], -m[3]
	}
	if n := math.Hypot(cos, sin); n > 0 {
		cos, sin = cos/n, sin/n
	} else {
		cos, sin = 1, 0
	}
	// Mirrored text (a reflecting matrix) is read as pdftotext reads it:
	// glyph by glyph in page order, so its words come out reversed. Its
	// direction is that of the glyphs' up vector (m[2], m[3]) turned a
	// quarter clockwise, except that mostly horizontal mirrored text
	// (whose baseline or up vector points the usual way) reads left to right.
	mirrored := m[0]*m[3]-m[1]*m[2] < 0 && !vertical
	switch {
	case mirrored && math.Abs(m[0]*m[3]) >= math.Abs(m[1]*m[2]):
		cos, sin = 1, 0
	case mirrored && m[2] > 0:
		cos, sin = 0, -1
	case mirrored:
		cos, sin = 0, 1
	}
	rot := 0
	switch {
	case sin > 0.5:
		rot = 1
	case cos < -0.5:
		rot = 2
	case sin < -0.5:
		rot = 3
	}
	size, y := math.Hypot(m[2], m[3]), -m[4]*sin+m[5]*cos
	pos := func() float64 {
		m := at()
		return m[4]*cos + m[5]*sin
	}
	// advance moves the text matrix d unscaled text space units along the
	// reading direction.
	advance := func(d float64) {
		if vertical {
			*tm = translate(0, -d).mul(*tm)
		} else {
			*tm = translate(d*g.th, 0).mul(*tm)
		}
	}
	var cur strings.Builder
	// start and end of the current word along the baseline, and the
	// spacing added since its last glyph (character and word spacing, TJ
	// adjustments), in unscaled text space units.
	var start, end, gap float64
	estimated := false
	flush := func() {
		s := w.clean(cur.String())
		cur.Reset()
		if strings.TrimSpace(s) == "" {
			estimated = false
			return
		}
		w.budget -= int64(len(s))
		if w.budget < 0 {
			panic(errTextLimit)
		}
		x, e := start, end
		if e < x {
			x, e = e, x
		}
		*out = append(*out, word{x: x, y: y, end: e, size: size, rot: rot, estimated: estimated, text: s})
		estimated = false
	}
	// put writes the text of one character code and advances past it;
	// a space ends the current word, and so does spacing of more than a
	// tenth of an em before a glyph, as in pdftotext.
	put := func(s string, em float64, guessed, space bool) {
		written := false
		switch {
		case s == " ":
			flush()
			// The space follows the last word drawn, as pdftotext
			// reads it (mirrored glyphs come out reversed: none).
			if n := len(*out); n > 0 && !mirrored {
				(*out)[n-1].spaced = true
			}
		case s == "":
		case w.drawn.again(s, rot, pos(), y, size):
			flush() // drawn again over itself: fake bold, a shadow
		default:
			if cur.Len() > 0 && gap > 0.1*math.Abs(g.size) {
				flush()
			}
			if cur.Len() == 0 {
				start = pos()
			}
			cur.WriteString(s)
			estimated = estimated || guessed
			written = true
		}
		advance(em * g.size)
		if written {
			end = pos()
		}
		gap = g.tc
		if space {
			gap += g.tw
		}
		if vertical { // the spacings add to the vertical position, against the reading
			gap = -gap
		}
		advance(gap)
		if mirrored {
			flush()
		}
	}
	showString := func(raw string) {
		g.font.decode(raw, func(gl glyph) {
			em, guessed := gl.width, g.font.guessed
			switch {
			case vertical:
				em, guessed = 1, false
			case guessed:
				em = 0.5
				if gl.text == " " {
					em = 0.25
				}
			}
			put(gl.text, em, guessed, gl.space)
		})
	}
	switch v.kind {
	case tokString:
		showString(v.s)
	case tokArray:
		for _, el := range v.arr {
			if el.kind == tokString {
				showString(el.s)
				continue
			}
			d := -el.n / 1000 * g.size
			if vertical {
				d = -d
			}
			gap += d
			advance(d)
		}
	}
	flush()
}

// glyphSet holds the glyphs drawn on a page, by text, direction and cell
// of a grid scaled to their size.
type glyphSet map[glyphCell][]drawnGlyph

type glyphCell struct {
	text      string
	rot, x, y int
}

type drawnGlyph struct{ x, y, size float64 }

// again reports whether a glyph of the same text and size was drawn at
// nearly the same place (a tenth of its size along the baseline, a fifth
// across it), as text drawn twice for fake bold or a shadow is, which
// pdftotext reads once; otherwise it records the glyph.
func (s glyphSet) again(text string, rot int, x, y, size float64) bool {
	if s == nil {
		return false
	}
	// Cells of half the tolerance across each axis: a glyph within it
	// lies in the glyph's cell or the neighbour nearer to it.
	dx, dy := 0.1*max(math.Abs(size), 0.01), 0.2*max(math.Abs(size), 0.01)
	gx, gy := math.Floor(x/(2*dx)), math.Floor(y/(2*dy))
	nx, ny := gx+1, gy+1
	if x-gx*2*dx < dx {
		nx = gx - 1
	}
	if y-gy*2*dy < dy {
		ny = gy - 1
	}
	for _, cx := range [2]float64{gx, nx} {
		for _, cy := range [2]float64{gy, ny} {
			for _, d := range s[glyphCell{text, rot, int(cx), int(cy)}] {
				if math.Abs(d.x-x) < dx && math.Abs(d.y-y) < dy && math.Abs(d.size-size) < dx {
					return true
				}
			}
		}
	}
	k := glyphCell{text, rot, int(gx), int(gy)}
	s[k] = append(s[k], drawnGlyph{x, y, size})
	return false
}

// clean drops control characters and counts readable and garbled ones, from
// which readPDF decides whether the document has a usable text layer.
func (w *walker) clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			w.readable++
		case unicode.IsControl(r) || r == unicode.ReplacementChar || unicode.Is(unicode.Co, r):
			w.garbled++
			return -1
		}
		return r
	}, s)
}
