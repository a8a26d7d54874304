package parsers

import (
	"sort"
	"strings"
)

// line is one line of a document's text, split into cells: runs of text
// separated by two or more spaces or a tab (see columnGap).
type line struct {
	text   string
	page   int
	cells  [][2]int // byte offsets of each cell, trimmed
	labels []labelMatch
}

// splitLines prepares text for the classifier and the extractor. Empty lines
// are dropped; form feeds count pages.
func splitLines(text string) []line {
	text = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u00a0", " ", "\u202f", " ").Replace(text)
	var out []line
	page := 0
	for _, pageText := range strings.Split(text, "\f") {
		for _, s := range strings.Split(pageText, "\n") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			l := line{text: s, page: page, cells: cells(s)}
			l.labels = findLabels(s, l.cells)
			out = append(out, l)
		}
		page++
	}
	return out
}

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
