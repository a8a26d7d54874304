package parsers

import (
	"slices"
	"strings"

	"github.com/dataforge/dataforge/internal/schema"
)

// unitWords may stand between the numbers at the end of an item row:
// "3 x 0.80", "10 h 95.00", "2 pcs".
var unitWords = map[string]bool{
	"x": true, "×": true, "@": true, "pcs": true, "pc": true, "pce": true, "stk": true,
	"st": true, "stuks": true, "h": true, "hr": true, "hrs": true, "uur": true, "kg": true,
	"ea": true, "each": true, "unit": true, "units": true, "à": true, "a": true,
}

// itemRows finds the rows of the item table: after its header row (repeated
// headers on later pages are skipped) or, without a header, among lines that
// do not start with a label; up to the first subtotal, total or tax line.
// It also returns the byte offsets in the document of the rows read.
func itemRows(lines []line) (rows []schema.LineItem, header bool, span [2]int) {
	start := 0
	for i, l := range lines {
		if isTableHeader(l) {
			start, header = i+1, true
			break
		}
	}
	for _, l := range lines[start:] {
		if startsWithAmountLabel(l) {
			break
		}
		if isTableHeader(l) || !header && len(l.labels) > 0 && l.labels[0].cell == 0 && l.labels[0].cellStart {
			continue
		}
		if it, ok := parseItemRow(l); ok {
			if len(rows) == 0 {
				span[0] = l.offset(0)
			}
			span[1] = l.offset(len(l.text))
			rows = append(rows, it)
		}
	}
	return rows, header, span
}

func startsWithAmountLabel(l line) bool {
	if len(l.labels) == 0 {
		return false
	}
	m := l.labels[0]
	switch m.entry.kind {
	case "total", "subtotal", "tax", kindVAT:
		return m.cell == 0 && m.cellStart
	}
	return false
}

// parseItemRow reads a row ending in an amount: "Apples 3 x 0.80 2.40",
// "Consulting 10 120.00 1,200.00", "Bread 4.29". Quantity and unit price
// are read only when their product is the amount. The description is the
// text before the numbers; when it spans cells (a row number, an item code
// and a description), the cell with the most letters.
func parseItemRow(l line) (schema.LineItem, bool) {
	toks := tokens(l.text)
	var nums []itemNum // the numbers at the end of the row, last first
	for i := len(toks) - 1; i >= 0; i-- {
		t := strings.Trim(toks[i].text, "()*,;:")
		if _, ok := CurrencyCode(t); ok || unitWords[strings.ToLower(t)] {
			continue
		}
		a, ok := parseAmount(t)
		if !ok {
			break
		}
		if a.percent {
			continue
		}
		if len(nums) == 0 && !a.money() {
			return schema.LineItem{}, false
		}
		nums = append(nums, itemNum{a.value, i, a.money(), a.decimals})
	}
	if len(nums) == 0 {
		return schema.LineItem{}, false
	}
	nums = spacedThousands(toks, nums)
	li := schema.LineItem{Amount: &nums[0].v}
	first := nums[0].tok
	switch {
	case explained(nums):
		li.Quantity, li.UnitPrice = &nums[2].v, &nums[1].v
		first = nums[2].tok
	case len(nums) >= 2 && nums[1].money && near(nums[1].v, nums[0].v):
		li.UnitPrice = &nums[1].v
		first = nums[1].tok
	}
	byCell := map[int][]string{}
	lettersIn := map[int]int{}
	best := -1
	for _, tok := range toks[:first] {
		c := l.cellAt(tok.start)
		byCell[c] = append(byCell[c], tok.text)
		lettersIn[c] += letters(tok.text)
		if best < 0 || lettersIn[c] > lettersIn[best] {
			best = c
		}
	}
	desc := byCell[best]
	for len(desc) > 0 {
		if _, ok := CurrencyCode(desc[len(desc)-1]); !ok {
			break
		}
		desc = desc[:len(desc)-1]
	}
	li.Description = strings.TrimRight(strings.Join(desc, " "), " ,;:-")
	if letters(li.Description) < 2 {
		return schema.LineItem{}, false
	}
	return li, true
}

// itemNum is a number at the end of an item row: its value, its token,
// whether it looks like money and its digits after the decimal mark.
type itemNum struct {
	v        float64
	tok      int
	money    bool
	decimals int
}

// explained reports whether the row's numbers (last first) read as
// quantity × unit price = amount.
func explained(nums []itemNum) bool {
	return len(nums) >= 3 && near(nums[2].v*nums[1].v, nums[0].v)
}

// spacedThousands returns nums (last first) with a space read as a
// thousands separator ("8  215,07  1 720,56": 1720.56, not 1 and 720.56)
// where that, and only that, makes quantity × unit price the amount: a
// number of one to three digits, one space, then one with three digits
// before two decimals. OCR and text files write such spaces as plain ones.
// One or two such pairs are joined, the fewest that explain the row.
func spacedThousands(toks []token, nums []itemNum) []itemNum {
	if explained(nums) {
		return nums
	}
	var pairs []int // i: nums[i+1] is the thousands of nums[i]
	for i := 0; i+1 < len(nums); i++ {
		th, v := toks[nums[i+1].tok], toks[nums[i].tok]
		if nums[i+1].tok+1 == nums[i].tok && v.start == th.end+1 && nums[i].decimals == 2 && thousandsGroup(v.text) &&
			len(th.text) <= 3 && strings.Trim(th.text, "0123456789") == "" && th.text[0] != '0' {
			pairs = append(pairs, i)
		}
	}
	join := func(set ...int) []itemNum {
		out := slices.Clone(nums)
		for k := len(set) - 1; k >= 0; k-- { // right to left in nums: indices stay valid
			i := set[k]
			out[i].v += nums[i+1].v * 1000
			out[i].tok = nums[i+1].tok
			out = slices.Delete(out, i+1, i+2)
		}
		return out
	}
	for _, i := range pairs {
		if out := join(i); explained(out) {
			return out
		}
	}
	for a, i := range pairs {
		for _, j := range pairs[a+1:] {
			if j > i+1 {
				if out := join(i, j); explained(out) {
					return out
				}
			}
		}
	}
	return nums
}

// findItems sets the line items if they add up to the subtotal (or, without
// one, the total), which then gains confidence. A table that does not add up
// is left out and caps Overall: something on the document was misread.
func (x *extractor) findItems() {
	if x.f.LineItems != nil {
		return // a template read them
	}
	rows, header, span := itemRows(x.lines)
	if len(rows) == 0 {
		return
	}
	var sum float64
	for _, r := range rows {
		sum += *r.Amount
	}
	target := "subtotal"
	if x.f.Subtotal == nil {
		target = "total"
	}
	want := map[string]*float64{"subtotal": x.f.Subtotal, "total": x.f.Total}[target]
	if want == nil || !near(sum, *want) {
		if header && !x.sumsAgree {
			x.cap = min(x.cap, 0.75) // unless subtotal + tax = total vouch for the amounts
		}
		return
	}
	x.f.LineItems = rows
	x.conf["line_items"] = 0.95
	x.spans["line_items"] = span
	x.conf[target] = max(x.conf[target], 0.97)
}
