package parsers

import (
	"math"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// maxColumn bounds the character column a word is placed at, so that a
// word far off the page cannot make a line huge.
const maxColumn = 400

// spaces pads words to their columns.
var spaces = strings.Repeat(" ", maxColumn)

// layoutPage writes the words of one page as lines of text the way
// pdftotext -layout does: words are grouped into lines by baseline, top to
// bottom; each word that follows a wide gap is placed at the character
// column of its x position, so that columns line up from line to line and
// stay at least two spaces apart; the words of a phrase are one space apart;
// a wide vertical gap leaves a blank line. It stops, reporting false, once
// b holds more than limit bytes.
//
// Words drawn in another direction (rotated text) are laid out the same
// way after the others, each direction as if the page were turned to read it.
func layoutPage(b *strings.Builder, words []word, limit int64) bool {
	var turned []word
	upright := words[:0:0]
	for _, w := range words {
		if w.rot == 0 {
			upright = append(upright, w)
		} else {
			turned = append(turned, w)
		}
	}
	if !layoutWords(b, upright, limit) {
		return false
	}
	for rot := 1; rot < 4; rot++ {
		var group []word
		for _, w := range turned {
			if w.rot == rot {
				group = append(group, w)
			}
		}
		if !layoutWords(b, group, limit) {
			return false
		}
	}
	return true
}

// layoutWords lays out words of one direction.
func layoutWords(b *strings.Builder, words []word, limit int64) bool {
	if len(words) == 0 {
		return true
	}
	sort.SliceStable(words, func(i, j int) bool { return words[i].y > words[j].y })
	var rows [][]word
	var lead word // the largest word of the last row
	for _, w := range words {
		if n := len(rows); n > 0 && sameRow(lead, w) {
			rows[n-1] = append(rows[n-1], w)
			if w.size > lead.size {
				lead = w
			}
			continue
		}
		rows, lead = append(rows, []word{w}), w
	}
	cw, left := charWidth(words), math.Inf(1)
	for _, w := range words {
		left = min(left, w.x)
	}
	column := func(x float64) int {
		c := math.Round((x - left) / cw)
		return int(max(0, min(c, maxColumn)))
	}
	prevY, prevSize := math.NaN(), 0.0
	for _, row := range rows {
		sort.SliceStable(row, func(i, j int) bool { return row[i].x < row[j].x })
		size := 0.0
		for _, w := range row {
			size = max(size, w.size)
		}
		if gap := prevY - row[0].y; gap > 2*max(size, prevSize, 1) {
			b.WriteByte('\n')
		}
		prevY, prevSize = row[0].y, size
		n, end := 0, math.Inf(-1) // runes written, x where the last word ended
		var last word
		for i, w := range row {
			if i > 0 && w.text == last.text && math.Abs(w.x-last.x) < 0.1*max(w.size, 1) {
				continue // drawn twice over itself, as fake bold is
			}
			pad := column(w.x) - n
			if i > 0 {
				switch gap, em := w.x-end, max(w.size, 1); {
				// Words closer than a tenth of an em join, unless a
				// space was drawn after the first, or their sizes
				// differ (by a thousandth: pdftotext compares sizes
				// exactly) and a gap parts them (a run in another font,
				// which pdftotext reads as a word of its own).
				case gap < 0.1*em && !w.estimated && !last.estimated && !last.spaced &&
					!(gap > 0.02*em && math.Abs(w.size-last.size) > 0.001*em):
					pad = 0
				case gap < 1.2*em:
					pad = 1
				default:
					pad = max(pad, 2)
				}
			}
			b.WriteString(spaces[:max(pad, 0)])
			b.WriteString(w.text)
			n += max(pad, 0) + utf8.RuneCountInString(w.text)
			end, last = max(end, w.end), w
		}
		b.WriteByte('\n')
		if int64(b.Len()) > limit {
			return false
		}
	}
	return true
}

// charWidth returns the width of a character column: the median width of
// a character in the words whose widths are known, or half the median font
// size.
func charWidth(words []word) float64 {
	var widths, sizes []float64
	for _, w := range words {
		sizes = append(sizes, w.size)
		if n := utf8.RuneCountInString(w.text); !w.estimated && n > 0 && w.end > w.x {
			widths = append(widths, (w.end-w.x)/float64(n))
		}
	}
	cw := 0.5 * median(sizes)
	if len(widths) > 0 {
		cw = median(widths)
	}
	if !(cw > 0.01) || math.IsInf(cw, 0) { // also NaN
		return 1
	}
	return cw
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

// sameRow reports whether word w belongs on the line of lead: their
// baselines are close, or w is a smaller superscript or subscript whose
// middle lies within lead's height.
func sameRow(lead, w word) bool {
	if math.Abs(lead.y-w.y) <= max(0.4*min(lead.size, w.size), 1) {
		return true
	}
	big, small := lead, w
	if small.size > big.size {
		big, small = small, big
	}
	if small.size > 0.85*big.size {
		return false
	}
	mid := small.y + 0.3*small.size
	return mid > big.y-0.2*big.size && mid < big.y+0.8*big.size
}

// Box is a word read from an upright page image (by OCR): its text and its
// place in pixels from the image's top left. The bottom of the box is taken
// as the baseline and its height as the font size.
type Box struct {
	Text                     string
	Left, Top, Width, Height int
}

// LayoutBoxes lays out the words of one page image as Parse lays out a PDF
// page (see Document.Text), without the form feed. It returns false once
// the text would pass limit bytes.
func LayoutBoxes(b *strings.Builder, boxes []Box, limit int64) bool {
	words := make([]word, 0, len(boxes))
	for _, x := range boxes {
		words = append(words, word{
			x: float64(x.Left), end: float64(x.Left + x.Width),
			y: -float64(x.Top + x.Height), size: float64(x.Height),
			spaced: true, text: x.Text,
		})
	}
	return layoutPage(b, words, limit)
}
