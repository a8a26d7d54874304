package parsers

import (
	"regexp"
	"strings"

	"github.com/dataforge/dataforge/internal/schema"
)

// titleRE matches a document title that carries the invoice's number and
// often its date: "Rechnung Nr. 2024-17 vom 05.03.2024", "Handelsrechnung
// (380) Nr. 471102", "Rechnung # RE-7", "Invoice No. INV-7 dated …",
// "Facture n° F-12 du …", "Factuur nr. 12 van …", "Fattura n. 7 del …".
// German compounds of Rechnung (Teilrechnung, Rechnungskorrektur) and
// credit notes count too.
var titleRE = regexp.MustCompile(`(?i)^(?:[a-zäöü]*rechnung(?:skorrektur)?|gutschrift|invoice|tax invoice|credit note|` +
	`facture|avoir|factuur|creditnota|fattura|nota di credito|factura|nota de crédito)` +
	`(?:\s+(?:des|der|of|de|du|van)\s+\pL+)?(?:\s*\([^)]{1,80}\))*\s*(?:nr|no|nummer|number|num|n°|nº|n|#)\.?\s*:?\s*(\S+)` +
	`(?:\s+(?:vom|von|du|van|of|dated|del|de|issued at|issued on|from)\s+(.+))?`)

// findTitle reads the number, and the date after it, from a title at the
// start of a cell.
func (x *extractor) findTitle() {
	for _, l := range x.lines {
		for c := range l.cells {
			start := l.cells[c][0]
			cell := l.text[start:]
			m := titleRE.FindStringSubmatchIndex(cell)
			if m == nil {
				continue
			}
			if v, i, j := idValue(cell[m[2]:m[3]]); v != "" {
				cand := at(l, start+m[2]+i, start+m[2]+j)
				cand.text, cand.conf, cand.rank = v, 0.93, 3
				x.add("invoice_number", cand)
			}
			if low := strings.ToLower(cell); m[4] < 0 && (strings.HasSuffix(low, " vom") || strings.HasSuffix(low, " du") ||
				strings.HasSuffix(low, " van") || strings.HasSuffix(low, " dated")) {
				// "… Nr. 471102 vom" / "05.03.2018": the date on the next line
				x.titleDateBelow(l)
			}
			if m[4] >= 0 {
				rest := cell[m[4]:]
				if ds := x.dates.find(rest); len(ds) > 0 && strings.TrimSpace(rest[:ds[0].start]) == "" {
					cand := at(l, start+m[4]+ds[0].start, start+m[4]+ds[0].end)
					cand.text, cand.conf, cand.rank = ds[0].iso, 0.95*ds[0].conf, 3
					x.add("issue_date", cand)
				}
			}
			break
		}
	}
}

// titleDateBelow reads the date that starts the line after l, where a
// title that ends with "vom" continues.
func (x *extractor) titleDateBelow(l line) {
	for _, n := range x.lines {
		if n.pos <= l.pos {
			continue
		}
		if ds := x.dates.find(n.text); len(ds) > 0 && ds[0].start == 0 && n.page == l.page {
			cand := at(n, ds[0].start, ds[0].end)
			cand.text, cand.conf, cand.rank = ds[0].iso, 0.9*ds[0].conf, 3
			x.add("issue_date", cand)
		}
		return
	}
}

// bareNumberRE matches an invoice number printed without a label, by the
// shape invoicing software gives it: a prefix that names an invoice and
// digits in groups ("INV/2023/03/0008", "RE-2024-0017", "FAC-000123").
var bareNumberRE = regexp.MustCompile(`(?i)^(?:inv|invoice|fact|fac|fa|re|rg|rech|fv|bill|cn|gs)[-/_.]?\d{2,}(?:[-/_.]\d+)*$`)

// findBareNumber looks, when no label names the invoice number, for one
// number of that shape on the first page. One is likely the number; more
// than one is a guess.
func (x *extractor) findBareNumber() {
	if len(x.cands["invoice_number"]) > 0 || x.typ == schema.Other {
		return
	}
	var found []candidate
	seen := map[string]bool{}
	for _, l := range x.lines {
		if l.page > 0 {
			break
		}
		for _, tok := range tokens(l.text) {
			t := strings.TrimRight(tok.text, ".,;:)")
			if bareNumberRE.MatchString(t) && !seen[t] {
				seen[t] = true
				c := at(l, tok.start, tok.start+len(t))
				c.text, c.conf, c.rank = t, 0.82, 1
				found = append(found, c)
			}
		}
	}
	switch len(found) {
	case 0:
		return
	case 1:
	default:
		found[0].conf = 0.5
	}
	x.add("invoice_number", found[0])
}
