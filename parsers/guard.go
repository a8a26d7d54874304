package parsers

import (
	"bytes"
	"context"
	"io"
	"strconv"

	"github.com/ledongthuc/pdf"
)

// maxObjects is the largest object count a PDF of n bytes may claim. The
// pdf library sizes its cross-reference table by the largest object number
// it is told of (32 bytes an entry), before it reads any object; a real
// file spends far more than four bytes on each object it has.
func maxObjects(n int) int64 { return int64(n)/4 + 4096 }

// checkXref rejects, before the pdf library allocates for them, object
// numbers that the file's size cannot back: subsections of cross-reference
// tables ("start count") and the /Size and /Index of trailers and
// cross-reference streams, wherever they are (the library may be pointed at
// any of them).
func checkXref(data []byte) error {
	limit := maxObjects(len(data))
	tooMany := func(what string, n int64) error {
		return newError(CodeCorrupt, "%s claims %d objects; a file of %d bytes holds at most %d", what, n, len(data), limit)
	}
	// The entries of table subsections are read as the library reads them
	// (count by count), from every "xref" there is, within a total of as
	// many tokens as the file has bytes: more means "xref" sections that
	// overlap on purpose.
	budget := int64(len(data))
	// pair reads "start count" and reports whether there was one.
	pair := func(lx *lexer, what string) (int64, bool, error) {
		start, ok1 := lx.int()
		count, ok2 := lx.int()
		switch {
		case !ok1 || !ok2:
			return 0, false, nil
		case start < 0 || count < 0 || start > limit || count > limit-start:
			return 0, false, tooMany(what, start+count)
		}
		return count, true, nil
	}
	subsections := func(lx *lexer) error {
		for {
			count, ok, err := pair(lx, "a cross-reference subsection")
			if !ok {
				return err
			}
			for range count {
				if budget -= 3; budget < 0 {
					return newError(CodeCorrupt, "cross-reference tables overlap")
				}
				_, ok1 := lx.int()
				_, ok2 := lx.int()
				if kw := string(lx.token()); !ok1 || !ok2 || kw != "n" && kw != "f" {
					return nil // the library stops here too: malformed
				}
			}
		}
	}
	indexPairs := func(lx *lexer) error {
		for {
			if _, ok, err := pair(lx, "an /Index entry"); !ok {
				return err
			}
		}
	}
	for i := 0; i < len(data); i++ {
		lx := lexer{data: data, pos: i}
		switch {
		case bytes.HasPrefix(data[i:], []byte("xref")) && !bytes.HasSuffix(data[:i], []byte("start")):
			lx.pos += len("xref")
			if err := subsections(&lx); err != nil {
				return err
			}
		case data[i] == '/':
			lx.pos++
			switch string(lx.name()) {
			case "Size":
				if n, ok := lx.int(); ok && (n < 0 || n > limit) && xrefDict(data, i) {
					return tooMany("/Size", n)
				}
			case "Index":
				if bytes.Equal(lx.token(), []byte("[")) {
					if err := indexPairs(&lx); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// xrefDict reports whether the key at data[at] belongs to a trailer or a
// cross-reference stream's dictionary, whose /Size is an object count. Other
// dictionaries have a /Size of their own (an embedded file's /Params holds
// its length in bytes) that says nothing about objects. A key whose
// dictionary cannot be found within dictWindow bytes is taken as a
// trailer's, so the check errs on the safe side.
func xrefDict(data []byte, at int) bool {
	start, depth := -1, 0
	for j := at - 1; j > 0 && j >= at-dictWindow; j-- {
		switch {
		case data[j-1] == '>' && data[j] == '>':
			depth++
			j--
		case data[j-1] == '<' && data[j] == '<':
			if depth == 0 {
				start = j - 1
			} else {
				depth--
			}
			j--
		}
		if start >= 0 {
			break
		}
	}
	if start < 0 {
		return true
	}
	if bytes.HasSuffix(bytes.TrimRight(data[max(0, start-16):start], " \t\r\n\f\x00"), []byte("trailer")) {
		return true
	}
	end := min(len(data), start+dictWindow)
	if e := bytes.Index(data[start:end], []byte("stream")); e >= 0 {
		end = start + e
	}
	return bytes.Contains(data[start:end], []byte("/XRef"))
}

// dictWindow bounds how far xrefDict looks for a key's dictionary.
const dictWindow = 64 << 10

// lexer reads the plain tokens of a PDF: runs of regular characters, and
// delimiters one by one; comments are skipped.
type lexer struct {
	data []byte
	pos  int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	return bytes.IndexByte([]byte("()<>[]{}/%"), c) >= 0
}

// token returns the next token, or nil at the end of the data. Comments
// are skipped, as the pdf library skips them.
func (l *lexer) token() []byte {
	for l.pos < len(l.data) && (isSpace(l.data[l.pos]) || l.data[l.pos] == '%') {
		if l.data[l.pos] == '%' {
			for l.pos < len(l.data) && l.data[l.pos] != '\r' && l.data[l.pos] != '\n' {
				l.pos++
			}
			continue
		}
		l.pos++
	}
	if l.pos >= len(l.data) {
		return nil
	}
	start := l.pos
	if isDelim(l.data[l.pos]) {
		l.pos++
		return l.data[start:l.pos]
	}
	for l.pos < len(l.data) && !isSpace(l.data[l.pos]) && !isDelim(l.data[l.pos]) {
		l.pos++
	}
	return l.data[start:l.pos]
}

// name reads the rest of a name (after its "/"), decoding #xx escapes as
// the pdf library does.
func (l *lexer) name() []byte {
	var out []byte
	for l.pos < len(l.data) && !isSpace(l.data[l.pos]) && !isDelim(l.data[l.pos]) {
		c := l.data[l.pos]
		l.pos++
		if c == '#' && l.pos+2 <= len(l.data) {
			if x, err := strconv.ParseUint(string(l.data[l.pos:l.pos+2]), 16, 8); err == nil {
				c = byte(x)
				l.pos += 2
			}
		}
		out = append(out, c)
	}
	return out
}

// int reads an integer token; at anything else it reports false and stays
// where it was.
func (l *lexer) int() (int64, bool) {
	pos := l.pos
	n, err := strconv.ParseInt(string(l.token()), 10, 64)
	if err != nil {
		l.pos = pos
		return 0, false
	}
	return n, true
}

// checkStreams reads, before the walk does, what the pdf library would read
// of each page: its content streams and those of its forms, within a budget
// of decompressed bytes (so a decompression bomb is refused at a known
// cost), and its fonts' /ToUnicode CMaps, whose unterminated hex strings
// make the library's lexer loop forever.
func checkStreams(ctx context.Context, pages []page, lim Limits) error {
	c := streamCheck{ctx: ctx, lim: lim, budget: maxDecompressed(lim), visits: 64 * lim.MaxPages}
	for _, p := range pages {
		if err := c.content(p.v.Key("Contents"), p.res, 0); err != nil {
			return err
		}
	}
	return nil
}

// maxDecompressed is how many bytes a document's content streams, forms and
// CMaps may decompress to, all together: four times the text limit.
func maxDecompressed(lim Limits) int64 { return 4 * lim.MaxBytes }

type streamCheck struct {
	ctx    context.Context
	lim    Limits
	budget int64 // decompressed bytes left
	visits int   // streams and forms left to look at
}

func (c *streamCheck) content(content, res pdf.Value, depth int) error {
	if c.visits--; c.visits < 0 {
		return newError(CodeCorrupt, "too many content streams, forms and fonts")
	}
	switch content.Kind() {
	case pdf.Array:
		for i := 0; i < content.Len(); i++ {
			if err := c.read(content.Index(i)); err != nil {
				return err
			}
		}
	case pdf.Stream:
		if err := c.read(content); err != nil {
			return err
		}
	}
	fonts := res.Key("Font")
	for _, name := range fonts.Keys() {
		if err := c.font(fonts.Key(name)); err != nil {
			return err
		}
	}
	if depth >= maxFormDepth {
		return nil
	}
	xobjects := res.Key("XObject")
	for _, name := range xobjects.Keys() {
		xo := xobjects.Key(name)
		if xo.Key("Subtype").Name() != "Form" {
			continue
		}
		xres := xo.Key("Resources")
		if xres.IsNull() {
			xres = res
		}
		if err := c.content(xo, xres, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (c *streamCheck) font(f pdf.Value) error {
	if c.visits--; c.visits < 0 {
		return newError(CodeCorrupt, "too many content streams, forms and fonts")
	}
	cmap := f.Key("ToUnicode")
	if cmap.Kind() != pdf.Stream {
		return nil
	}
	// CMaps are read by our own lexer, which cannot loop; only their size
	// is checked here.
	return c.read(cmap)
}

// read decompresses a stream, counting its bytes against the budget.
func (c *streamCheck) read(s pdf.Value) error {
	if s.Kind() != pdf.Stream {
		return nil
	}
	// A damaged stream is the walk's business (it reads what it can), so
	// read errors are not reported here.
	n, _ := io.Copy(io.Discard, io.LimitReader(s.Reader(), c.budget+1))
	if err := c.ctx.Err(); err != nil {
		return timeoutError(err, c.lim.Timeout)
	}
	if c.budget -= n; c.budget < 0 {
		return newError(CodeTooLarge, "content streams decompress to more than %d bytes", maxDecompressed(c.lim))
	}
	return nil
}
