package parsers

import (
	"bytes"
	"strconv"
)

// Kinds of pdfToken.
const (
	tokString  = iota // a hex or literal string, in s
	tokNumber         // in n
	tokArray          // in arr
	tokName           // in s, without the slash
	tokDict           // a dictionary, skipped: its contents are not kept
	tokKeyword        // in s
	tokOther          // "]"
)

// pdfToken is a pdfToken of a content stream or a CMap: an operand or an
// operator.
type pdfToken struct {
	kind int
	s    string
	n    float64
	arr  []pdfToken
}

// maxNesting bounds the depth of arrays and dictionaries the lexer reads.
const maxNesting = 32

// contentLexer splits a content stream or a CMap into tokens, in our own code:
// the pdf library's lexer stops at binary inline image data and loops on
// an unterminated hex string. Everything it does is a forward scan, linear
// in the data.
type contentLexer struct {
	data  []byte
	pos   int
	depth int
}

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isPDFDelim(c byte) bool {
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' || c == '}' || c == '/' || c == '%'
}

func (l *contentLexer) next() (pdfToken, bool) {
	d := l.data
	for l.pos < len(d) {
		c := d[l.pos]
		switch {
		case isPDFSpace(c):
			l.pos++
		case c == '%':
			for l.pos < len(d) && d[l.pos] != '\n' && d[l.pos] != '\r' {
				l.pos++
			}
		case c == '<' && l.pos+1 < len(d) && d[l.pos+1] == '<':
			l.pos += 2
			l.skipDict()
			return pdfToken{kind: tokDict}, true
		case c == '>' || c == ')' || c == '{' || c == '}':
			l.pos++ // stray delimiters
		case c == '<':
			return pdfToken{kind: tokString, s: l.hex()}, true
		case c == '(':
			return pdfToken{kind: tokString, s: l.literal()}, true
		case c == '[':
			l.pos++
			if l.depth >= maxNesting {
				continue
			}
			l.depth++
			var arr []pdfToken
			for {
				t, ok := l.next()
				if !ok || t.kind == tokOther {
					l.depth--
					return pdfToken{kind: tokArray, arr: arr}, true
				}
				if t.kind != tokKeyword {
					arr = append(arr, t)
				}
			}
		case c == ']':
			l.pos++
			return pdfToken{kind: tokOther, s: "]"}, true
		default:
			start := l.pos
			l.pos++
			for l.pos < len(d) && !isPDFSpace(d[l.pos]) && !isPDFDelim(d[l.pos]) {
				l.pos++
			}
			w := d[start:l.pos]
			switch {
			case c == '/':
				return pdfToken{kind: tokName, s: string(w[1:])}, true
			case c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.':
				n, _ := strconv.ParseFloat(string(w), 64) // a malformed number reads as 0
				return pdfToken{kind: tokNumber, n: n}, true
			}
			return pdfToken{kind: tokKeyword, s: string(w)}, true
		}
	}
	return pdfToken{}, false
}

// hex reads a hex string from "<" to ">" (or the end of the data).
func (l *contentLexer) hex() string {
	l.pos++
	var out []byte
	half, hi := false, byte(0)
	for ; l.pos < len(l.data) && l.data[l.pos] != '>'; l.pos++ {
		v, ok := unhex(l.data[l.pos])
		if !ok {
			continue
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	l.pos++
	return string(out)
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// literal reads a literal string with nested parentheses and escapes.
func (l *contentLexer) literal() string {
	l.pos++
	var out []byte
	for depth := 1; l.pos < len(l.data); l.pos++ {
		c := l.data[l.pos]
		switch c {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				l.pos++
				return string(out)
			}
		case '\\':
			l.pos++
			if l.pos >= len(l.data) {
				return string(out)
			}
			switch e := l.data[l.pos]; e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r', '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := 0
					for k := 0; k < 3 && l.pos < len(l.data) && l.data[l.pos] >= '0' && l.data[l.pos] <= '7'; k++ {
						v = v*8 + int(l.data[l.pos]-'0')
						l.pos++
					}
					l.pos--
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		out = append(out, c)
	}
	return string(out)
}

// skipDict skips to the ">>" that closes a dictionary whose "<<" was read.
func (l *contentLexer) skipDict() {
	for depth := 1; l.pos < len(l.data); {
		switch c := l.data[l.pos]; {
		case c == '(':
			l.literal()
		case c == '<' && l.pos+1 < len(l.data) && l.data[l.pos+1] == '<':
			depth++
			l.pos += 2
		case c == '>' && l.pos+1 < len(l.data) && l.data[l.pos+1] == '>':
			l.pos += 2
			if depth--; depth == 0 {
				return
			}
		case c == '<':
			l.hex()
		default:
			l.pos++
		}
	}
}

// skipInlineImage skips an inline image whose "BI" was read: its
// dictionary up to "ID", then its data up to an "EI" between white space.
func (l *contentLexer) skipInlineImage() {
	for {
		t, ok := l.next()
		if !ok {
			return
		}
		if t.kind == tokKeyword && t.s == "ID" {
			break
		}
	}
	l.pos++ // the one white-space byte after ID
	for l.pos < len(l.data) {
		i := bytes.Index(l.data[l.pos:], []byte("EI"))
		if i < 0 {
			l.pos = len(l.data)
			return
		}
		at := l.pos + i
		l.pos = at + 2
		before := at == 0 || isPDFSpace(l.data[at-1])
		after := l.pos >= len(l.data) || isPDFSpace(l.data[l.pos]) || isPDFDelim(l.data[l.pos])
		if before && after {
			return
		}
	}
}

// interpret calls do for each operator of a content stream, with its
// operands. An inline image is skipped.
func interpret(data []byte, do func(op string, args []pdfToken)) {
	l := contentLexer{data: data}
	var args []pdfToken
	for {
		t, ok := l.next()
		if !ok {
			return
		}
		if t.kind != tokKeyword {
			if len(args) == maxOperands { // not a valid stream: keep the last ones
				args = append(args[:0], args[1:]...)
			}
			args = append(args, t)
			continue
		}
		if t.s == "BI" {
			l.skipInlineImage()
		} else {
			do(t.s, args)
		}
		args = args[:0]
	}
}

// maxOperands bounds the operands kept for one operator.
const maxOperands = 64
