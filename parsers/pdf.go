package parsers

import (
	"bufio"
	"bytes"
	"context"
	"errors"
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
	i := bytes.Index(data[:min(len(data), 1024)], []byte("%PDF-"))
	if i < 0 {
		return nil, newError(CodeCorrupt, "no %%PDF- header")
	}
	data = normalizePDF(data[i:])
	if err := checkXref(data); err != nil {
		return nil, err
	}

	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	type result struct {
		doc *Document
		err error
	}
	done := make(chan result, 1) // buffered: a late result must not block the goroutine
	go func() {
		doc, err := readPDF(ctx, data, lim)
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

// readPDF does the work of parsePDF. The pdf library reports many problems
// by panicking; they are recovered here.
func readPDF(ctx context.Context, data []byte, lim Limits) (doc *Document, err error) {
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
	r, err := pdf.NewReader(ctxReaderAt{ctx, bytes.NewReader(data)}, int64(len(data)))
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, timeoutError(ctx.Err(), lim.Timeout)
	case err != nil && (errors.Is(err, pdf.ErrInvalidPassword) || bytes.Contains(data, []byte("/Encrypt"))):
		return nil, newError(CodeEncrypted, "%v", err)
	case err != nil:
		return nil, newError(CodeCorrupt, "%v", err)
	case !r.Trailer().Key("Encrypt").IsNull():
		return nil, newError(CodeEncrypted, "the trailer has an /Encrypt entry")
	}
	xml, xmlName := embeddedInvoice(r)
	if n := r.NumPage(); n > lim.MaxPages {
		return nil, newError(CodeTooManyPages, "%d pages, limit %d", n, lim.MaxPages)
	}
	pages, err := pageList(r.Trailer().Key("Root").Key("Pages"), lim.MaxPages)
	if err != nil {
		return nil, err
	}
	if err := checkStreams(ctx, pages, lim); err != nil {
		return nil, err
	}
	w := &walker{ctx: ctx, budget: lim.MaxBytes}
	var b strings.Builder
	for _, p := range pages {
		var words []word
		w.walk(p.v.Key("Contents"), p.res, identity, &words, 0)
		if !layoutPage(&b, words, lim.MaxBytes) {
			return nil, newError(CodeTooLarge, "more than %d bytes of laid-out text", lim.MaxBytes)
		}
		b.WriteByte('\f')
	}
	doc = &Document{MediaType: MediaPDF, Text: b.String(), Pages: len(pages), EInvoice: xml, EInvoiceName: xmlName}
	if w.readable < 10 || w.garbled > w.readable {
		inv, err := einvoice.Read(xml)
		if xml == nil || err != nil {
			return nil, newError(CodeNoText, "%d readable characters on %d pages", w.readable, len(pages))
		}
		// An image-only e-invoice: its XML is what can be read.
		doc.Text = inv.Text()
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
	estimated bool    // the width is a guess (the font has no widths)
	text      string
}

// fontInfo is what the walker needs of a font, read once per content stream.
type fontInfo struct {
	enc       pdf.TextEncoding
	first     int
	widths    []float64
	composite bool // two-byte codes; widths unknown here
}

// gstate is the part of the graphics state that places text.
type gstate struct {
	ctm                         matrix
	font                        *fontInfo
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
}

const maxFormDepth = 8

func (w *walker) walk(content, res pdf.Value, ctm matrix, out *[]word, depth int) {
	if content.Kind() != pdf.Stream && content.Kind() != pdf.Array {
		return
	}
	fonts := map[string]*fontInfo{}
	fontNamed := func(name string) *fontInfo {
		if f, ok := fonts[name]; ok {
			return f
		}
		f := pdf.Font{V: res.Key("Font").Key(name)}
		fi := &fontInfo{
			enc:       f.Encoder(),
			first:     f.FirstChar(),
			widths:    f.Widths(),
			composite: f.V.Key("Subtype").Name() == "Type0",
		}
		fonts[name] = fi
		return fi
	}
	if hexUnterminated(content) {
		w.garbled++
		return
	}
	g := gstate{ctm: ctm, th: 1}
	var saved []gstate
	tm, tlm := identity, identity
	newline := func() {
		tlm = translate(0, -g.tl).mul(tlm)
		tm = tlm
	}

	pdf.Interpret(content, func(stk *pdf.Stack, op string) {
		w.tick()
		args := make([]pdf.Value, stk.Len())
		for i := len(args) - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		num := func(i int) float64 { return args[i].Float64() }
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
			g.font = fontNamed(args[0].Name())
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
			xo := res.Key("XObject").Key(args[0].Name())
			if xo.Key("Subtype").Name() != "Form" {
				return
			}
			m, _ := matrixOf(xo.Key("Matrix"))
			xres := xo.Key("Resources")
			if xres.IsNull() {
				xres = res
			}
			w.walk(xo, xres, m.mul(g.ctm), out, depth+1)
		}
	})
}

// hexUnterminated reports whether a content stream (or array of them) has a
// hex string, "<" but not "<<", that no ">" ends. The pdf library's lexer
// loops on one forever, past any deadline, so such a stream is not read.
func hexUnterminated(content pdf.Value) bool {
	var rd io.Reader
	if content.Kind() == pdf.Array {
		readers := make([]io.Reader, 0, content.Len())
		for i := 0; i < content.Len(); i++ {
			readers = append(readers, content.Index(i).Reader())
		}
		rd = io.MultiReader(readers...)
	} else {
		rd = content.Reader()
	}
	r := bufio.NewReader(rd)
	next := func() (byte, bool) {
		c, err := r.ReadByte()
		return c, err == nil
	}
	for {
		c, ok := next()
		if !ok {
			return false
		}
		switch c {
		case '%': // a comment, to the end of the line
			for ok && c != '\r' && c != '\n' {
				c, ok = next()
			}
		case '(': // a literal string, with nested parentheses and escapes
			for depth := 1; ok && depth > 0; {
				c, ok = next()
				switch c {
				case '\\':
					_, ok = next()
				case '(':
					depth++
				case ')':
					depth--
				}
			}
		case '<':
			if c, ok = next(); c == '<' {
				continue
			}
			for ok && c != '>' {
				c, ok = next()
			}
			if !ok {
				return true
			}
		}
	}
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
func (w *walker) show(g *gstate, tm *matrix, v pdf.Value, out *[]word) {
	if g.font == nil {
		return // no Tf: invalid, nothing sensible to decode
	}
	scale := matrix{g.size * g.th, 0, 0, g.size, 0, g.trise}
	at := func() matrix { return scale.mul(*tm).mul(g.ctm) }
	m := at()
	size, y := math.Hypot(m[2], m[3]), m[5]
	pos := func() float64 { return at()[4] }
	var cur strings.Builder
	var start float64
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
		*out = append(*out, word{x: start, y: y, end: pos(), size: size, estimated: estimated, text: s})
		estimated = false
	}
	// glyph writes the text of one character code and advances past it;
	// a space ends the current word.
	glyph := func(s string, em float64, guessed, space bool) {
		if space || s == " " {
			flush()
		} else {
			if cur.Len() == 0 {
				start = pos()
			}
			cur.WriteString(s)
			estimated = estimated || guessed
		}
		tx := em*g.size + g.tc
		if space {
			tx += g.tw
		}
		*tm = translate(tx*g.th, 0).mul(*tm)
	}
	showString := func(raw string) {
		if g.font.composite || len(g.font.widths) == 0 {
			for _, r := range g.font.enc.Decode(raw) {
				em := 0.5
				if r == ' ' {
					em = 0.25
				}
				glyph(string(r), em, true, false)
			}
			return
		}
		for i := 0; i < len(raw); i++ {
			em, guessed := 0.5, true
			if j := int(raw[i]) - g.font.first; j >= 0 && j < len(g.font.widths) && g.font.widths[j] > 0 {
				em, guessed = g.font.widths[j]/1000, false
			}
			glyph(g.font.enc.Decode(raw[i:i+1]), em, guessed, raw[i] == ' ')
		}
	}
	switch v.Kind() {
	case pdf.String:
		showString(v.RawString())
	case pdf.Array:
		for i := 0; i < v.Len(); i++ {
			el := v.Index(i)
			if el.Kind() == pdf.String {
				showString(el.RawString())
				continue
			}
			// A move of a fifth of an em or more to the right ends a word.
			adj := el.Float64()
			if adj <= -200 {
				flush()
			}
			*tm = translate(-adj/1000*g.size*g.th, 0).mul(*tm)
		}
	}
	flush()
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
