package parsers

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/dataforge/dataforge/internal/schema"
)

// ConfidenceThreshold is the Overall confidence from which a rules result is
// trusted; below it the document goes to review.
const ConfidenceThreshold = 0.8

// Extraction is the rule-based tier's output.
type Extraction struct {
	Fields schema.Fields
	// Confidence has an entry (0..1) per JSON field name of schema.Fields
	// that was found. Optional fields found with less than
	// ConfidenceThreshold are left out rather than guessed.
	Confidence map[string]float64
	// Spans has, per JSON field name in Confidence, where in the text the
	// value was read. For line_items it covers the rows of the table.
	Spans map[string]Span
	// Overall is the confidence of the whole result: the minimum over the
	// fields the type requires (0 when one is missing) and the fields found,
	// lowered when cross-checks fail (subtotal + tax ≠ total, line items not
	// adding up) and at most 0.4 when schema.Check finds problems.
	Overall float64
	// Template names the issuer template whose values were used, if any.
	Template string
	// TemplateProblems lists the fields the template could not read (the
	// rules looked for them instead).
	TemplateProblems []string
}

// Known are values an issuer template read from a document. They win over
// what the rules find; the rules fill in the fields they leave out, and the
// cross-checks apply to the whole.
type Known struct {
	Template string        // the template's name, reported in Extraction.Template
	Fields   schema.Fields // the values read; empty strings and nil are not known
	Spans    map[string]Span
}

// knownConfidence is the confidence of a value a template read.
const knownConfidence = 0.97

// ExtractRules extracts fields from a document's text with labels, patterns
// and layout heuristics, trusting t as the document's type. For type other
// it only reads labelled values.
func ExtractRules(text string, t schema.DocType) Extraction { return ExtractRulesWith(text, t, nil) }

// ExtractRulesWith is ExtractRules with values an issuer template read,
// which win over the generic heuristics. A nil known is no template.
func ExtractRulesWith(text string, t schema.DocType, known *Known) Extraction {
	x := &extractor{
		text:  text,
		lines: splitLines(text),
		typ:   t,
		cands: map[string][]candidate{},
		conf:  map[string]float64{},
		spans: map[string][2]int{},
		cap:   1,
	}
	x.seed(known)
	x.findCurrency()
	x.dates = newDateReader(x.lines, x.cands["currency"][0].text)
	x.findLabelled()
	x.findTitle()
	x.findBareNumber()
	x.findIssuer()
	x.findIssueDate()
	x.findIBAN()
	due, paid := x.takeAmounts(kindDue), x.takeAmounts(kindPaid)
	if len(nonZeroOnly(x.cands["total"])) == 0 {
		x.cands["total"] = append(x.cands["total"], due...) // nothing else says what the total is
	}
	x.choose()
	x.doubtBrokenIssuer()
	x.checkDue(due, paid)
	x.crossCheck()
	x.findItems()
	ex := x.finish()
	if known != nil {
		ex.Template = known.Template
	}
	return ex
}

// candidate is one reading of a field.
type candidate struct {
	text string   // string fields
	num  *float64 // amount fields
	conf float64
	rank int // label rank; higher wins
	// start and end are the byte offsets of the value in the document;
	// start < 0 when it has no place.
	start, end int
}

func (c candidate) same(o candidate) bool {
	if c.num != nil && o.num != nil {
		return near(*c.num, *o.num)
	}
	return c.text == o.text
}

// rankKnown is the rank of a value a template read: above every label.
const rankKnown = 10

type extractor struct {
	text  string
	lines []line
	typ   schema.DocType
	dates dateReader
	cands map[string][]candidate
	f     schema.Fields
	conf  map[string]float64
	spans map[string][2]int // byte offsets of each chosen value
	cap   float64           // upper bound on Overall from failed cross-checks
	// sumsAgree is set when subtotal + tax = total: three readings
	// confirm each other.
	sumsAgree bool
}

// at returns a candidate for the text of l from byte i to byte j.
func at(l line, i, j int) candidate { return candidate{start: l.offset(i), end: l.offset(j)} }

// seed adds the values a template read as candidates no label outranks.
func (x *extractor) seed(k *Known) {
	if k == nil {
		return
	}
	f := k.Fields
	for field, v := range map[string]string{
		"invoice_number": f.InvoiceNumber, "issue_date": f.IssueDate, "due_date": f.DueDate,
		"issuer": f.Issuer, "issuer_tax_id": f.IssuerTaxID, "iban": f.IBAN, "currency": f.Currency,
	} {
		if v != "" {
			x.add(field, x.knownCandidate(k, field, candidate{text: v}))
		}
	}
	for field, v := range map[string]*float64{"subtotal": f.Subtotal, "tax": f.Tax, "total": f.Total} {
		if v != nil {
			x.add(field, x.knownCandidate(k, field, candidate{num: v}))
		}
	}
	if len(f.LineItems) > 0 {
		c := x.knownCandidate(k, "line_items", candidate{})
		x.f.LineItems = f.LineItems
		x.conf["line_items"] = c.conf
		x.spans["line_items"] = [2]int{c.start, c.end}
	}
}

func (x *extractor) knownCandidate(k *Known, field string, c candidate) candidate {
	c.conf, c.rank, c.start = knownConfidence, rankKnown, -1
	if sp, ok := k.Spans[field]; ok && sp.Start >= 0 && sp.End <= len(x.text) && sp.Start <= sp.End {
		c.start, c.end = sp.Start, sp.End
	}
	return c
}

func (x *extractor) add(field string, c candidate) { x.cands[field] = append(x.cands[field], c) }

// findCurrency votes among the currencies written next to amounts and the
// common codes written anywhere. A lone "$" counts as USD, with less
// confidence. It always leaves one candidate, possibly empty.
func (x *extractor) findCurrency() {
	votes := map[string]int{}
	first := map[string]candidate{} // where each currency ("$" for a lone dollar) is first seen
	vote := func(code string, c candidate) {
		votes[code]++
		if _, seen := first[code]; !seen {
			first[code] = c
		}
	}
	for _, l := range x.lines {
		for _, a := range amounts(l.text) {
			switch {
			case a.dollar:
				vote("$", at(l, a.start, a.end))
			case a.currency != "":
				vote(a.currency, at(l, a.start, a.end))
			}
		}
		for _, tok := range tokens(l.text) {
			t := strings.Trim(tok.text, ".,:;()")
			if commonCurrencies[t] {
				i := tok.start + strings.Index(tok.text, t)
				vote(t, at(l, i, i+len(t)))
			}
		}
	}
	dollars := votes["$"]
	if dollars > 0 {
		// A "$" next to a code of the dollar family is that dollar.
		code := "USD"
		for _, c := range []string{"AUD", "CAD", "HKD", "NZD", "SGD"} {
			if votes[c] > 0 {
				code = c
			}
		}
		if _, seen := first[code]; !seen {
			first[code] = first["$"]
		}
		votes[code] += dollars
		delete(votes, "$")
	}
	best, total := "", 0
	for c, n := range votes {
		total += n
		if n > votes[best] || n == votes[best] && c < best {
			best = c
		}
	}
	c := candidate{start: -1}
	if best != "" {
		c = first[best]
	}
	c.text, c.rank = best, 1
	switch {
	case best == "":
	case votes[best] < total:
		c.conf = 0.6 // several currencies
	case best == "USD" && dollars == total:
		c.conf = 0.85 // "$" alone could be another dollar
	default:
		c.conf = 0.95
	}
	x.add("currency", c)
}

// commonCurrencies are codes counted wherever they appear as a word.
var commonCurrencies = map[string]bool{
	"EUR": true, "USD": true, "GBP": true, "CHF": true, "JPY": true, "CAD": true, "AUD": true,
	"SEK": true, "NOK": true, "DKK": true, "PLN": true, "CZK": true, "HUF": true, "INR": true,
	"CNY": true, "NZD": true, "SGD": true, "HKD": true,
}

var tableHeaderWords = map[string]bool{
	"description": true, "item": true, "items": true, "article": true, "product": true,
	"service": true, "qty": true, "quantity": true, "units": true, "amount": true, "price": true,
	"rate": true, "total": true, "hours": true, "hrs": true, "code": true, "omschrijving": true,
	"artikel": true, "aantal": true, "prijs": true, "bedrag": true, "beschreibung": true,
	"bezeichnung": true, "menge": true, "anzahl": true, "preis": true, "einzelpreis": true,
	"betrag": true, "gesamt": true, "désignation": true, "designation": true, "quantité": true,
	"qté": true, "prix": true, "montant": true, "unit": true, "produkt": true, "pos": true,
	"position": true, "einheit": true, "nettopreis": true, "steuersatz": true,
	"artikelbeschreibung": true, "leistung": true, "descripción": true, "cantidad": true,
	"precio": true, "importe": true, "descrizione": true, "quantità": true, "prezzo": true,
	"importo": true,
}

// isTableHeader reports whether l is the header row of an item table.
func isTableHeader(l line) bool {
	n := 0
	for _, tok := range tokens(l.text) {
		if tableHeaderWords[strings.ToLower(strings.Trim(tok.text, ".:#()"))] {
			n++
		}
	}
	if n < 2 {
		return false
	}
	for _, a := range amounts(l.text) {
		if a.money() {
			return false
		}
	}
	return true
}

// findLabelled reads the values of labels: to the right of the label, up to
// the next label, or, when no value is there and nothing follows the label
// in its cell, in the cell below it.
func (x *extractor) findLabelled() {
	for i, l := range x.lines {
		if isTableHeader(l) {
			continue
		}
		for j, m := range l.labels {
			end := len(l.text)
			if j+1 < len(l.labels) {
				end = l.labels[j+1].start
			}
			cellEnd := l.cells[m.cell][1]
			if strings.Trim(l.text[m.end:end], valueTrim) != "" && x.readValue(m, l, m.end, end, cellEnd, 1) {
				continue
			}
			if strings.Trim(l.text[m.end:max(m.end, min(end, cellEnd))], valueTrim) != "" {
				continue // the label's own cell has something else after it
			}
			if k, c, ok := x.below(i, m); ok {
				weight := 0.95
				if amountKinds[m.entry.kind] {
					if k2, c2, ok := x.lastRow(k, c); ok {
						k, c, weight = k2, c2, 0.9
					}
				}
				n := x.lines[k]
				x.readValue(m, n, n.cells[c][0], n.cells[c][1], n.cells[c][1], weight)
			}
		}
	}
}

// amountKinds are the label kinds whose values are amounts.
var amountKinds = map[string]bool{"total": true, "subtotal": true, "tax": true, kindDue: true, kindPaid: true}

// lastRow follows the column of cell c of line k, an amount under a column
// header, down through the rows that hold an amount in that column, and
// returns the last: in a summary table with a row per tax rate, the last
// row is the sum. It reports false when k is the only row.
func (x *extractor) lastRow(k, c int) (int, int, bool) {
	l := x.lines[k]
	c0, c1 := l.column(l.cells[c][0]), l.column(l.cells[c][1])
	found := false
	for j := k + 1; j < len(x.lines) && x.lines[j].page == l.page; j++ {
		n := x.lines[j]
		best := -1
		for ci, cell := range n.cells {
			if min(c1, n.column(cell[1]))-max(c0, n.column(cell[0])) > 0 {
				best = ci
				break
			}
		}
		if best < 0 {
			break
		}
		as := amounts(n.cell(best))
		if len(as) != 1 || !as[0].money() || len(n.labels) > 0 {
			break
		}
		k, c, found = j, best, true
	}
	return k, c, found
}

// valueTrim is what may stand between a label and its value.
const valueTrim = " :#.-–=*|"

// below finds the value of label m of line i, which has nothing to its
// right, under it: in the next two lines of the page, the cell whose
// columns overlap most with those of the label's cell, or else the first
// cell right of the label's start (a right-aligned value). A cell that starts
// with a label is another label, not a value.
func (x *extractor) below(i int, m labelMatch) (lineIndex, cell int, ok bool) {
	l := x.lines[i]
	if !m.cellStart {
		return 0, 0, false
	}
	c0, c1 := l.column(l.cells[m.cell][0]), l.column(l.cells[m.cell][1])
	for k := i + 1; k < len(x.lines) && k <= i+2 && x.lines[k].page == l.page; k++ {
		n := x.lines[k]
		best, overlap := -1, 0
		for c, cell := range n.cells {
			if o := min(c1, n.column(cell[1])) - max(c0, n.column(cell[0])); o > overlap {
				best, overlap = c, o
			}
		}
		if best < 0 {
			// a value printed right-aligned under its label: the first cell
			// that starts under or not far right of the label
			for c, cell := range n.cells {
				if col := n.column(cell[0]); col >= c0 && col <= c1+40 {
					best = c
					break
				}
			}
		}
		if best < 0 {
			continue
		}
		for _, lm := range n.labels {
			if lm.cell == best && lm.cellStart {
				return 0, 0, false
			}
		}
		return k, best, true
	}
	return 0, 0, false
}

var (
	idRE      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9\-/_.]*$`)
	taxIDPart = regexp.MustCompile(`^[A-Z0-9][A-Z0-9./\-]*$`)
	vatIDRE   = regexp.MustCompile(`^[A-Z]{2,3}[0-9A-Z.\-]{5,15}$`)
)

// readValue reads the value of the label m from l.text[from:to], the text
// after it up to the next label or the cell under it; cellEnd is where the
// label's own cell ends. weight scales the confidence. It reports whether
// it found a value.
func (x *extractor) readValue(m labelMatch, l line, from, to, cellEnd int, weight float64) bool {
	e := m.entry
	region := l.text[from:to]
	vs := from + len(region) - len(strings.TrimLeft(region, valueTrim)) // where the value starts
	value := l.text[vs:to]
	found := false
	add := func(field string, c candidate, i, j int, conf float64, rank int) {
		c.start, c.end = l.offset(vs+i), l.offset(vs+j)
		c.conf, c.rank = conf*weight, rank
		x.add(field, c)
		found = true
	}
	switch e.kind {
	case "invoice_number":
		if e.rank == 1 && !m.cellStart {
			return false
		}
		if v, i, j := idValue(value); v != "" {
			conf, rank := 0.95, e.rank
			switch {
			case rank == 1:
				conf = 0.85
			case !m.cellStart && len(strings.Fields(l.text[l.cells[m.cell][0]:m.start])) >= 3, prose(l.text[:m.start]):
				conf, rank = 0.7, 2 // "… bitte Ihre Belegnummer 2018-7 angeben": prose
			}
			add(e.kind, candidate{text: v}, i, j, conf, rank)
		}
	case "issue_date", "due_date":
		if ds := x.dates.find(value); len(ds) > 0 {
			conf := ds[0].conf
			if e.rank < 3 {
				conf *= 0.97
			}
			add(e.kind, candidate{text: ds[0].iso}, ds[0].start, ds[0].end, conf, e.rank)
		}
	case "total", "subtotal", "tax", kindDue, kindPaid:
		// the amount keeps its sign: "Bruttosumme   -8,79"
		vs := from + len(region) - len(strings.TrimLeft(region, " :#.=*|"))
		found = x.readAmount(e.kind, e.rank, m, l, vs, to, max(from, min(to, cellEnd)), weight)
	case kindVAT:
		if id, i, j := taxID(value); vatIDRE.MatchString(id) {
			add("issuer_tax_id", candidate{text: id}, i, j, 0.9, 2)
			return true
		}
		found = x.readAmount("tax", e.rank, m, l, vs, to, max(from, min(to, cellEnd)), weight)
	case "issuer_tax_id":
		if id, i, j := taxID(value); id != "" {
			conf := 0.8 + 0.05*float64(e.rank) // VAT number 0.95, tax number 0.9, registration 0.85
			add(e.kind, candidate{text: id}, i, j, conf, e.rank)
		}
	case "currency":
		for _, tok := range tokens(value) {
			t := strings.Trim(tok.text, ".,:;()")
			if code, ok := CurrencyCode(t); ok {
				i := tok.start + strings.Index(tok.text, t)
				add(e.kind, candidate{text: code}, i, i+len(t), 0.95, 3)
				return true
			}
		}
	case kindIssuer:
		if !m.cellStart || weight < 1 {
			return false // a heading: findIssuer reads its block
		}
		v, after, _ := strings.Cut(value, columnGap)
		if rest, _, _ := strings.Cut(after, columnGap); strings.HasSuffix(strings.TrimSpace(rest), ":") ||
			strings.HasPrefix(strings.TrimSpace(after), ":") {
			return false // "Nummer   : 549910": another label
		}
		if v = strings.TrimSpace(v); nameLike(v) && !strings.Contains(v, ":") {
			add("issuer", candidate{text: v}, 0, len(v), 0.9, 3)
		}
	}
	return found
}

// readAmount reads the last amount in l.text[from:to] as the value of an
// amount label; the label's cell ends at cellEnd. The label must start its
// cell, and the rest of that cell may hold a few words ("Sales tax (8%)",
// "Total EUR") but not a phrase ("Tax advisory services"), which makes it a
// description rather than a label.
func (x *extractor) readAmount(field string, rank int, m labelMatch, l line, from, to, cellEnd int, weight float64) bool {
	if !m.cellStart {
		return false
	}
	words := 0
	for _, tok := range tokens(l.text[min(m.end, from):max(cellEnd, from)]) {
		if _, ok := CurrencyCode(strings.Trim(tok.text, "().:")); !ok {
			words += letters(tok.text)
		}
	}
	if words > 12 {
		return false
	}
	var last amount
	found := false
	dates := x.dates.find(l.text[from:to])
	for _, a := range amounts(l.text[from:to]) {
		if !a.percent && !within(a.start, dates) {
			last, found = a, true
		}
	}
	if !found {
		return false
	}
	conf := 0.9
	switch {
	case last.ambiguous:
		conf = 0.5
	case last.decimals != 2 && last.currency == "":
		conf = 0.7
	}
	if rank < 3 {
		conf -= 0.02
	}
	v := last.value
	if th, ok := thousandsBefore(l.text[from:to], last); ok {
		// "1 234,50 €": a space as thousands separator
		v, last.start = th*1000+v, last.start-len(strconv.Itoa(int(th)))-1
	}
	c := at(l, from+last.start, from+last.end)
	c.num, c.conf, c.rank = &v, conf*weight, rank
	x.add(field, c)
	return true
}

// prose reports whether s, the text before a label on its line, reads as
// a sentence rather than a form: four words or more, two of them in lower
// case ("Bei Schriftwechsel bitte Ihre Kundennummer 35040727 und").
func prose(s string) bool {
	words, lower := strings.Fields(s), 0
	for _, w := range words {
		if r := []rune(w)[0]; unicode.IsLower(r) {
			lower++
		}
	}
	return len(words) >= 4 && lower >= 2
}

// thousandsBefore reads the thousands of a, written in s with a space as
// the thousands separator ("1 234,50"): a number of one to three digits
// right before a, which has three digits before its decimal mark.
func thousandsBefore(s string, a amount) (float64, bool) {
	num := s[a.start:a.end]
	if a.currency != "" && !isDigit(num[0]) || a.decimals != 2 || !thousandsGroup(num) || a.start < 2 || s[a.start-1] != ' ' {
		return 0, false
	}
	i := a.start - 1
	for i > 0 && isDigit(s[i-1]) {
		i--
	}
	n := a.start - 1 - i
	if n < 1 || n > 3 || i > 0 && s[i-1] != ' ' {
		return 0, false
	}
	th, err := strconv.Atoi(s[i : a.start-1])
	return float64(th), err == nil && th > 0
}

// thousandsGroup reports whether num starts with three digits and a decimal
// mark ("080,24", "215.07 €"): what follows a space used as thousands
// separator.
func thousandsGroup(num string) bool {
	return len(num) > 3 && isDigit(num[0]) && isDigit(num[1]) && isDigit(num[2]) && (num[3] == ',' || num[3] == '.')
}

// within reports whether byte offset i is inside one of the dates.
func within(i int, dates []date) bool {
	for _, d := range dates {
		if i >= d.start && i < d.end {
			return true
		}
	}
	return false
}

// idValue reads an invoice number: the first token of s after words such
// as "No." or "#", if it has a digit and is not a date or an amount. It
// returns the number and its byte offsets in s.
func idValue(s string) (string, int, int) {
	for _, tok := range tokens(s) {
		t := strings.TrimLeft(tok.text, "#:")
		start := tok.start + len(tok.text) - len(t)
		t = strings.TrimRight(t, ".,;:)")
		switch strings.ToLower(t) {
		case "", "no", "nr", "number", "num", "n°", "nummer", "numéro", "#", "-":
			continue
		}
		if len(t) < 2 || len(t) > 40 || !idRE.MatchString(t) || !strings.ContainsAny(t, "0123456789") {
			return "", 0, 0
		}
		if len(dateReader{}.find(t)) > 0 {
			return "", 0, 0
		}
		if a, ok := parseAmount(t); ok && a.decimals == 2 {
			return "", 0, 0
		}
		return t, start, start + len(t)
	}
	return "", 0, 0
}

// taxID reads a tax or registration number from the start of s: tokens of
// capitals, digits and . / - joined without spaces, as in "GB 123 4567 89".
// It returns the number and its byte offsets in s.
func taxID(s string) (string, int, int) {
	s, _, _ = strings.Cut(s, columnGap)
	var b strings.Builder
	start, end := 0, 0
	for i, tok := range tokens(s) {
		t := strings.TrimRight(tok.text, ".,;")
		if !taxIDPart.MatchString(t) {
			break
		}
		if i == 0 {
			start = tok.start
		}
		b.WriteString(t)
		end = tok.start + len(t)
	}
	id := b.String()
	digits := 0
	for _, r := range id {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits < 5 || len(id) > 24 {
		return "", 0, 0
	}
	return id, start, end
}

var (
	titles = map[string]bool{
		"invoice": true, "tax invoice": true, "receipt": true, "sales receipt": true, "factuur": true,
		"rechnung": true, "facture": true, "kassenbon": true, "kassabon": true, "quittung": true,
		"reçu": true, "bon": true, "credit note": true, "statement": true,
	}
)

// nameLike reports whether s could be a company or shop name.
func nameLike(s string) bool {
	n, nonSpace := letters(s), 0
	for _, r := range s {
		if r != ' ' {
			nonSpace++
		}
	}
	switch {
	case n < 3 || float64(n) < 0.6*float64(nonSpace) || len(strings.Fields(s)) > 8:
		return false
	case s[0] >= '0' && s[0] <= '9', strings.HasSuffix(s, ":"):
		return false
	case strings.ContainsAny(s, "@") || strings.Contains(strings.ToLower(s), "www."):
		return false
	}
	for _, a := range amounts(s) {
		if a.money() {
			return false
		}
	}
	return len(dateReader{}.find(s)) == 0
}

// findIssueDate falls back on unlabelled dates: one date in the document is
// likely the issue date; with several, it is a guess.
func (x *extractor) findIssueDate() {
	if len(x.cands["issue_date"]) > 0 || x.typ == schema.Other {
		return
	}
	var found []candidate
	seen := map[string]bool{}
	for _, c := range x.cands["due_date"] {
		seen[c.text] = true
	}
	for _, l := range x.lines {
		if low := strings.ToLower(l.text); strings.Contains(low, "version") || strings.Contains(low, "(c)") {
			continue // "Stylesheet-Version 2.0 vom 18.10.2018" dates a program, not the document
		}
		for _, d := range x.dates.find(l.text) {
			if !seen[d.iso] {
				seen[d.iso] = true
				c := at(l, d.start, d.end)
				c.text, c.conf = d.iso, 0.8*d.conf
				found = append(found, c)
			}
		}
	}
	if len(found) == 0 {
		return
	}
	if len(found) > 1 {
		found[0].conf = 0.5
	}
	x.add("issue_date", found[0])
}

var ibanRE = regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b`)

// ibanLengths are the IBAN lengths of the countries that use IBANs most.
var ibanLengths = map[string]int{
	"AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
	"EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22,
	"IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18,
	"NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26,
}

// findIBAN finds IBANs with a valid length and checksum.
func (x *extractor) findIBAN() {
	for _, l := range x.lines {
		for _, m := range ibanRE.FindAllStringIndex(l.text, -1) {
			s := strings.ReplaceAll(l.text[m[0]:m[1]], " ", "")
			n := ibanLengths[s[:2]]
			if n == 0 || len(s) < n || !ibanValid(s[:n]) {
				continue
			}
			end := m[0]
			for k := 0; k < n; end++ {
				if l.text[end] != ' ' {
					k++
				}
			}
			c := at(l, m[0], end)
			c.text, c.conf, c.rank = s[:n], 0.95, 1
			x.add("iban", c)
		}
	}
}

// ibanValid checks the ISO 13616 mod-97 checksum.
func ibanValid(s string) bool {
	rem := 0
	for _, r := range s[4:] + s[:4] {
		switch {
		case r >= '0' && r <= '9':
			rem = (rem*10 + int(r-'0')) % 97
		case r >= 'A' && r <= 'Z':
			rem = (rem*100 + int(r-'A'+10)) % 97
		default:
			return false
		}
	}
	return rem == 1
}

// choose picks each field's value from its candidates: the highest rank.
// Disagreeing candidates of that rank lower the confidence, and so do any
// labelled amounts that disagree ("Total 1.560,50" and "Total due 1,650.50").
func (x *extractor) choose() {
	for field, cs := range x.cands {
		var best []candidate
		for _, c := range cs {
			if c.text == "" && c.num == nil || field == "total" && isZero(c) && nonZero(cs) {
				continue // "Balance due 0.00" after a payment is not the total
			}
			switch {
			case len(best) == 0 || c.rank > best[0].rank:
				best = []candidate{c}
			case c.rank == best[0].rank:
				best = append(best, c)
			}
		}
		if len(best) == 0 {
			continue
		}
		pick, agree := best[0], true
		for _, c := range best[1:] {
			if c.same(pick) {
				pick.conf = max(pick.conf, c.conf)
			} else {
				agree = false
			}
		}
		if pick.num != nil && pick.rank < rankKnown {
			for _, c := range cs {
				agree = agree && (c.same(pick) || field == "total" && isZero(c))
			}
		}
		if !agree {
			pick.conf = min(pick.conf, 0.6)
		}
		x.set(field, pick)
	}
}

// takeAmounts removes the candidates of a helper kind (amount due, amount
// paid), which are no field of their own, and returns those not zero.
func (x *extractor) takeAmounts(kind string) []candidate {
	cs := nonZeroOnly(x.cands[kind])
	delete(x.cands, kind)
	return cs
}

func nonZeroOnly(cs []candidate) []candidate {
	var out []candidate
	for _, c := range cs {
		if c.num != nil && *c.num != 0 {
			out = append(out, c)
		}
	}
	return out
}

// checkDue weighs the amounts due against the total: the same amount
// confirms it; a smaller one is explained by a prepayment on the document
// (total - paid = due) or by any amount labelled as paid; anything else
// means one of them was misread, and the total is doubted.
func (x *extractor) checkDue(due, paid []candidate) {
	t := x.f.Total
	if t == nil {
		return
	}
	for _, d := range due {
		switch {
		case near(*d.num, *t):
			x.conf["total"] = max(x.conf["total"], min(0.95, d.conf+0.05))
		case len(paid) > 0 && math.Abs(*d.num) < math.Abs(*t):
			for _, p := range paid {
				if near(math.Abs(*t)-math.Abs(*p.num), math.Abs(*d.num)) {
					x.conf["total"] = max(x.conf["total"], 0.95)
				}
			}
		default:
			x.conf["total"] = min(x.conf["total"], 0.6)
			return
		}
	}
}

func isZero(c candidate) bool { return c.num != nil && *c.num == 0 }

// nonZero reports whether an amount in cs is not zero.
func nonZero(cs []candidate) bool {
	for _, c := range cs {
		if c.num != nil && *c.num != 0 {
			return true
		}
	}
	return false
}

func (x *extractor) set(field string, c candidate) {
	x.conf[field] = clamp01(c.conf)
	x.spans[field] = [2]int{c.start, c.end}
	switch field {
	case "invoice_number":
		x.f.InvoiceNumber = c.text
	case "issue_date":
		x.f.IssueDate = c.text
	case "due_date":
		x.f.DueDate = c.text
	case "issuer":
		x.f.Issuer = c.text
	case "issuer_tax_id":
		x.f.IssuerTaxID = c.text
	case "iban":
		x.f.IBAN = c.text
	case "currency":
		x.f.Currency = c.text
	case "subtotal":
		x.f.Subtotal = c.num
	case "tax":
		x.f.Tax = c.num
	case "total":
		x.f.Total = c.num
	}
}

// crossCheck confirms or doubts the amounts: subtotal + tax = total raises
// all three; when they disagree, other readings of subtotal and tax that
// add up to the total, or else another total that agrees, replace them;
// otherwise Overall is capped.
func (x *extractor) crossCheck() {
	f := &x.f
	if f.Subtotal == nil || f.Tax == nil || f.Total == nil {
		return
	}
	want := *f.Subtotal + *f.Tax
	if !near(want, *f.Total) {
		// other readings of subtotal and tax that add up to the total: a
		// tax column header read a row of the VAT table, say
		for _, sc := range x.cands["subtotal"] {
			for _, tc := range x.cands["tax"] {
				if sc.num != nil && tc.num != nil && near(*sc.num+*tc.num, *f.Total) {
					sc.conf, tc.conf = 0.9, 0.9
					x.set("subtotal", sc)
					x.set("tax", tc)
					x.conf["total"] = max(x.conf["total"], 0.95)
					x.sumsAgree = true
					return
				}
			}
		}
		for _, c := range x.cands["total"] {
			if c.num != nil && near(*c.num, want) {
				c.conf = 0.85
				x.set("total", c)
				return
			}
		}
		x.cap = min(x.cap, 0.4)
		return
	}
	for _, field := range []string{"subtotal", "tax", "total"} {
		x.conf[field] = max(x.conf[field], 0.97)
	}
	x.sumsAgree = true
}

func near(a, b float64) bool { return math.Abs(a-b) <= schema.Tolerance }

// finish drops unsure optional fields and computes Overall.
func (x *extractor) finish() Extraction {
	req := map[string]bool{}
	for _, f := range schema.Required(x.typ) {
		req[f] = true
	}
	for field, c := range x.conf {
		if !req[field] && c < ConfidenceThreshold {
			x.set(field, candidate{})
			delete(x.conf, field)
		}
	}
	spans := map[string]Span{}
	for field := range x.conf {
		if sp := x.spans[field]; sp[0] >= 0 && sp[0] < sp[1] {
			spans[field] = SpanOf(x.text, sp[0], sp[1])
		}
	}
	overall := x.cap
	for field := range req {
		overall = min(overall, x.conf[field])
	}
	for _, c := range x.conf {
		overall = min(overall, c)
	}
	if len(schema.Check(x.typ, &x.f)) > 0 {
		overall = min(overall, 0.4)
	}
	return Extraction{Fields: x.f, Confidence: x.conf, Spans: spans, Overall: clamp01(overall)}
}
