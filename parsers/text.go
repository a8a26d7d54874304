package parsers

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// columnGap is the narrowest gap between cells: the layout of a PDF puts at
// least this between words that are far apart.
const columnGap = "  "

// line is one line of a document's text, split into cells: runs of text
// separated by two or more spaces or a tab (see columnGap).
type line struct {
	text   string // trimmed, with no-break spaces made plain
	page   int    // from 0
	pos    int    // byte offset of text in the document
	offs   []int  // when text differs in length from the document: the offset of each byte of text (and of its end) from pos
	col    int    // character column where text starts
	cells  [][2]int
	labels []labelMatch
}

// splitLines prepares text for the classifier and the extractor. Lines end
// at \n, \r\n, \r or a form feed, which also ends a page. Empty lines are
// dropped.
func splitLines(text string) []line {
	var out []line
	page := 0
	for start := 0; start <= len(text); {
		end := start + strings.IndexAny(text[start:], "\n\r\f")
		if end < start {
			end = len(text)
		}
		if l, ok := newLine(text, start, end, page); ok {
			out = append(out, l)
		}
		if end == len(text) {
			break
		}
		switch {
		case text[end] == '\f':
			page++
		case text[end] == '\r' && end+1 < len(text) && text[end+1] == '\n':
			end++
		}
		start = end + 1
	}
	return out
}

// newLine makes the line text[start:end] of page, or reports that it is
// empty.
func newLine(text string, start, end, page int) (line, bool) {
	raw := text[start:end]
	lead := len(raw) - len(strings.TrimLeftFunc(raw, unicode.IsSpace))
	s := strings.TrimSpace(raw)
	if s == "" {
		return line{}, false
	}
	l := line{pos: start + lead, page: page, col: utf8.RuneCountInString(raw[:lead])}
	l.text, l.offs = plainSpaces(s)
	l.cells = cells(l.text)
	l.labels = findLabels(l.text, l.cells)
	return l, true
}

// plainSpaces replaces no-break and thin spaces in s: between digits with an
// apostrophe, a thousands separator ("1 234,56"), elsewhere with a space.
// When that changes the length, it also returns the offset in s of each
// byte of the result, and of its end; otherwise nil.
func plainSpaces(s string) (string, []int) {
	if !strings.ContainsAny(s, "\u00a0\u202f\u2009") {
		return s, nil
	}
	var b strings.Builder
	var offs []int
	for i, r := range s {
		if r == '\u00a0' || r == '\u202f' || r == '\u2009' {
			next := i + utf8.RuneLen(r)
			if i > 0 && isDigit(s[i-1]) && next < len(s) && isDigit(s[next]) {
				r = '\''
			} else {
				r = ' '
			}
		}
		for range utf8.RuneLen(r) {
			offs = append(offs, i)
		}
		b.WriteRune(r)
	}
	return b.String(), append(offs, len(s))
}

// offset returns the byte offset in the document of byte i of l.text.
func (l line) offset(i int) int {
	if l.offs != nil {
		return l.pos + l.offs[i]
	}
	return l.pos + i
}

// column returns the character column of byte i of l.text.
func (l line) column(i int) int { return l.col + utf8.RuneCountInString(l.text[:i]) }

// cells splits s, which has no surrounding space, at runs of two or more
// spaces and at tabs.
func cells(s string) [][2]int {
	var out [][2]int
	start := 0
	for i := 0; i < len(s); {
		if s[i] != ' ' && s[i] != '\t' {
			i++
			continue
		}
		j := i
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if j-i >= 2 || s[i] == '\t' {
			out = append(out, [2]int{start, i})
			start = j
		}
		i = j
	}
	return append(out, [2]int{start, len(s)})
}

// cell returns the text of cell i.
func (l line) cell(i int) string { return l.text[l.cells[i][0]:l.cells[i][1]] }

// cellAt returns the index of the cell holding byte offset pos.
func (l line) cellAt(pos int) int {
	i := sort.Search(len(l.cells), func(i int) bool { return pos < l.cells[i][1] })
	return min(i, len(l.cells)-1)
}

// token is a whitespace-separated word and its byte offsets.
type token struct {
	text       string
	start, end int
}

func tokens(s string) []token {
	var out []token
	start := -1
	for i, r := range s {
		space := r == ' ' || r == '\t' || r == '\n'
		switch {
		case space && start >= 0:
			out = append(out, token{s[start:i], start, i})
			start = -1
		case !space && start < 0:
			start = i
		}
	}
	if start >= 0 {
		out = append(out, token{s[start:], start, len(s)})
	}
	return out
}

func clamp01(v float64) float64 { return max(0, min(1, v)) }

// Span locates a value in a document's text.
type Span struct {
	Page  int    `json:"page"`  // from 1; form feeds separate pages
	Line  int    `json:"line"`  // from 1, within the page
	Start int    `json:"start"` // byte offset in the whole text
	End   int    `json:"end"`   // byte offset in the whole text, after the value
	Text  string `json:"text"`  // the text from Start to End
}

// SpanOf returns the span of text[start:end], counting lines and pages as
// splitLines does. It returns the zero Span when the range is not in text.
func SpanOf(text string, start, end int) Span {
	if start < 0 || end < start || end > len(text) {
		return Span{}
	}
	sp := Span{Page: 1, Line: 1, Start: start, End: end, Text: text[start:end]}
	for i := 0; i < start; i++ {
		switch text[i] {
		case '\f':
			sp.Page, sp.Line = sp.Page+1, 1
		case '\n':
			sp.Line++
		case '\r':
			if i+1 >= len(text) || text[i+1] != '\n' {
				sp.Line++
			}
		}
	}
	return sp
}
