package parsers

import (
	"math"
	"regexp"
	"strings"

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
	// Overall is the confidence of the whole result: the minimum over the
	// fields the type requires (0 when one is missing) and the fields found,
	// lowered when cross-checks fail (subtotal + tax ≠ total, line items not
	// adding up) and at most 0.4 when schema.Check finds problems.
	Overall float64
}

// ExtractRules extracts fields from a document's text with labels, patterns
// and layout heuristics, trusting t as the document's type. For type other
// it only reads labelled values.
func ExtractRules(text string, t schema.DocType) Extraction {
	x := &extractor{
		lines: splitLines(text),
		typ:   t,
		cands: map[string][]candidate{},
		cap:   1,
	}
	x.findCurrency()
	x.dates = newDateReader(x.lines, x.cands["currency"][0].text)
	x.findLabelled()
	x.findIssuer()
	x.findIssueDate()
	x.findIBAN()
	x.choose()
	x.crossCheck()
	x.findItems()
	return x.finish()
}

// candidate is one reading of a field.
type candidate struct {
	text string   // string fields
	num  *float64 // amount fields
	conf float64
	rank int // label rank; higher wins
}

func (c candidate) same(o candidate) bool {
	if c.num != nil && o.num != nil {
		return near(*c.num, *o.num)
	}
	return c.text == o.text
}

type extractor struct {
	lines []line
	typ   schema.DocType
	dates dateReader
	cands map[string][]candidate
	f     schema.Fields
	conf  map[string]float64
	cap   float64 // upper bound on Overall from failed cross-checks
}

func (x *extractor) add(field string, c candidate) { x.cands[field] = append(x.cands[field], c) }

// findCurrency votes among the currencies written next to amounts and the
// common codes written anywhere. A lone "$" counts as USD, with less
// confidence. It always leaves one candidate, possibly empty.
func (x *extractor) findCurrency() {
	votes := map[string]int{}
	dollars := 0
	for _, l := range x.lines {
		for _, a := range amounts(l.text) {
			switch {
			case a.dollar:
				dollars++
			case a.currency != "":
				votes[a.currency]++
			}
		}
		for _, tok := range tokens(l.text) {
			t := strings.Trim(tok.text, ".,:;()")
			if commonCurrencies[t] {
				votes[t]++
			}
		}
	}
	if dollars > 0 {
		// A "$" next to a code of the dollar family is that dollar.
		code := "USD"
		for _, c := range []string{"AUD", "CAD", "HKD", "NZD", "SGD"} {
			if votes[c] > 0 {
				code = c
			}
		}
		votes[code] += dollars
	}
	best, total := "", 0
	for c, n := range votes {
		total += n
		if n > votes[best] || n == votes[best] && c < best {
			best = c
		}
	}
	c := candidate{text: best, rank: 1}
	switch {
	case best == "":
	case votes[best] < total:
		c.conf = 0.6 // several currencies
	case best == "USD" && dollars == total:
		c.conf = 0.85 // "$" alone could be another dollar
	default:
		c.conf = 0.95
	}
	x.cands["currency"] = []candidate{c}
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
	"qté": true, "prix": true, "montant": true, "unit": true,
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

// isLabelRow reports whether every cell of l is just a label, as in a boxed
// header whose values are on the next line.
func isLabelRow(l line) bool {
	if len(l.cells) < 2 || len(l.labels) != len(l.cells) {
		return false
	}
	for _, m := range l.labels {
		c := l.cells[m.cell]
		if !m.cellStart || m.end > c[1] || strings.Trim(l.text[m.end:c[1]], " :.#") != "" {
			return false
		}
	}
	return true
}

// findLabelled reads the values that follow labels.
func (x *extractor) findLabelled() {
	for i := 0; i < len(x.lines); i++ {
		l := x.lines[i]
		if isTableHeader(l) {
			continue
		}
		if isLabelRow(l) && i+1 < len(x.lines) && len(x.lines[i+1].cells) == len(l.cells) && len(x.lines[i+1].labels) == 0 {
			next := x.lines[i+1]
			for _, m := range l.labels {
				x.readValue(m, next.cell(m.cell), "", 0.95)
			}
			i++
			continue
		}
		if len(l.labels) == 1 && len(l.cells) == 1 && strings.Trim(l.text[l.labels[0].end:], " :#.") == "" &&
			i+1 < len(x.lines) && len(x.lines[i+1].labels) == 0 {
			// A label alone on its line, its value on the next.
			next := x.lines[i+1].cell(0)
			x.readValue(l.labels[0], next, next, 0.95)
			continue
		}
		for j, m := range l.labels {
			end := len(l.text)
			if j+1 < len(l.labels) {
				end = l.labels[j+1].start
			}
			region := l.text[m.end:end]
			restOfCell := l.text[m.end:max(m.end, min(end, l.cells[m.cell][1]))]
			x.readValue(m, region, restOfCell, 1)
		}
	}
}

var (
	idRE      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9\-/_.]*$`)
	taxIDPart = regexp.MustCompile(`^[A-Z0-9][A-Z0-9./\-]*$`)
	vatIDRE   = regexp.MustCompile(`^[A-Z]{2,3}[0-9A-Z.\-]{5,15}$`)
)

// readValue reads the value of the label m from region, the text after it
// up to the next label; restOfCell is the part of region in the label's own
// cell. weight scales the confidence.
func (x *extractor) readValue(m labelMatch, region, restOfCell string, weight float64) {
	e := m.entry
	value := strings.TrimLeft(region, " :#.-–=*|")
	switch e.kind {
	case "invoice_number":
		if e.rank == 1 && !m.cellStart {
			return
		}
		if v := idValue(value); v != "" {
			conf := 0.95
			if e.rank == 1 {
				conf = 0.85
			}
			x.add(e.kind, candidate{text: v, conf: conf * weight, rank: e.rank})
		}
	case "issue_date", "due_date":
		if ds := x.dates.find(value); len(ds) > 0 {
			conf := ds[0].conf
			if e.rank < 3 {
				conf *= 0.97
			}
			x.add(e.kind, candidate{text: ds[0].iso, conf: conf * weight, rank: e.rank})
		}
	case "total", "subtotal", "tax":
		x.readAmount(e.kind, e.rank, m, value, restOfCell, weight)
	case kindVAT:
		if id := taxID(value); vatIDRE.MatchString(id) {
			x.add("issuer_tax_id", candidate{text: id, conf: 0.9 * weight, rank: 2})
			return
		}
		x.readAmount("tax", e.rank, m, value, restOfCell, weight)
	case "issuer_tax_id":
		if id := taxID(value); id != "" {
			conf := 0.8 + 0.05*float64(e.rank) // VAT number 0.95, tax number 0.9, registration 0.85
			x.add(e.kind, candidate{text: id, conf: conf * weight, rank: e.rank})
		}
	case "currency":
		for _, tok := range tokens(value) {
			if code, ok := currencyOf(strings.Trim(tok.text, ".,:;()")); ok {
				x.add(e.kind, candidate{text: code, conf: 0.95 * weight, rank: 3})
				return
			}
		}
	case kindIssuer:
		if !m.cellStart {
			return
		}
		if v := strings.TrimSpace(strings.Split(value, columnGap)[0]); nameLike(v) {
			x.add("issuer", candidate{text: v, conf: 0.9 * weight, rank: 3})
		}
	}
}

// readAmount reads the last amount in region as the value of an amount
// label. The label must start its cell, and the rest of that cell may hold
// a few words ("Sales tax (8%)", "Total EUR") but not a phrase ("Tax
// advisory services"), which makes it a description rather than a label.
func (x *extractor) readAmount(field string, rank int, m labelMatch, value, restOfCell string, weight float64) {
	if !m.cellStart {
		return
	}
	words := 0
	for _, tok := range tokens(restOfCell) {
		if _, ok := currencyOf(strings.Trim(tok.text, "().:")); !ok {
			words += letters(tok.text)
		}
	}
	if words > 12 {
		return
	}
	var last amount
	found := false
	for _, a := range amounts(value) {
		if !a.percent {
			last, found = a, true
		}
	}
	if !found {
		return
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
	x.add(field, candidate{num: &v, conf: conf * weight, rank: rank})
}

// idValue reads an invoice number: the first token of s after words such
// as "No." or "#", if it has a digit and is not a date or an amount.
func idValue(s string) string {
	for _, tok := range tokens(s) {
		t := strings.TrimRight(strings.TrimLeft(tok.text, "#:"), ".,;:)")
		switch strings.ToLower(t) {
		case "", "no", "nr", "number", "num", "n°", "nummer", "numéro", "#", "-":
			continue
		}
		if len(t) < 2 || len(t) > 40 || !idRE.MatchString(t) || !strings.ContainsAny(t, "0123456789") {
			return ""
		}
		if len(dateReader{}.find(t)) > 0 {
			return ""
		}
		if a, ok := parseAmount(t); ok && a.decimals == 2 {
			return ""
		}
		return t
	}
	return ""
}

// taxID reads a tax or registration number from the start of s: tokens of
// capitals, digits and . / - joined without spaces, as in "GB 123 4567 89".
func taxID(s string) string {
	s, _, _ = strings.Cut(s, columnGap)
	var b strings.Builder
	for _, tok := range tokens(s) {
		t := strings.TrimRight(tok.text, ".,;")
		if !taxIDPart.MatchString(t) {
			break
		}
		b.WriteString(t)
	}
	id := b.String()
	digits := 0
	for _, r := range id {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits < 5 || len(id) > 24 {
		return ""
	}
	return id
}

var (
	legalFormRE = regexp.MustCompile(`(?i)\b(inc|ltd|llc|llp|lp|gmbh|ag|kg|ohg|b\.?v|n\.?v|s\.?a|s\.?a\.?s|s\.?a\.?r\.?l|sarl|plc|corp|corporation|limited|company|co|bvba|oy|ab|a/s|aps|srl|spa|pty)\.?$`)
	titles      = map[string]bool{
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

// findIssuer takes the first name-like line at the top of the first page,
// skipping titles and labelled lines. Confidence drops when the name is far
// down or after a customer block, where it may be the customer's.
func (x *extractor) findIssuer() {
	if len(x.cands["issuer"]) > 0 || x.typ == schema.Other {
		return
	}
	afterCustomer := false
	for i, l := range x.lines {
		if l.page > 0 || i > 12 {
			return
		}
		first := strings.ToLower(strings.Trim(l.cell(0), " .:!"))
		if titles[first] {
			continue
		}
		if len(l.labels) > 0 && l.labels[0].cell == 0 && l.labels[0].cellStart {
			if l.labels[0].entry.kind == kindCustomer {
				afterCustomer = true
			}
			continue
		}
		name := strings.TrimSpace(l.cell(0))
		if !nameLike(name) {
			continue
		}
		conf := 0.85
		switch {
		case afterCustomer || i > 4:
			conf = 0.5
		case legalFormRE.MatchString(name):
			conf = 0.95
		case i == 0:
			conf = 0.9
		}
		x.add("issuer", candidate{text: name, conf: conf, rank: 1})
		return
	}
}

// findIssueDate falls back on unlabelled dates: one date in the document is
// likely the issue date; with several, it is a guess.
func (x *extractor) findIssueDate() {
	if len(x.cands["issue_date"]) > 0 || x.typ == schema.Other {
		return
	}
	var found []date
	seen := map[string]bool{}
	for _, c := range x.cands["due_date"] {
		seen[c.text] = true
	}
	for _, l := range x.lines {
		for _, d := range x.dates.find(l.text) {
			if !seen[d.iso] {
				seen[d.iso] = true
				found = append(found, d)
			}
		}
	}
	switch len(found) {
	case 0:
		return
	case 1:
		x.add("issue_date", candidate{text: found[0].iso, conf: 0.8 * found[0].conf, rank: 0})
	default:
		x.add("issue_date", candidate{text: found[0].iso, conf: 0.5, rank: 0})
	}
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
		for _, m := range ibanRE.FindAllString(l.text, -1) {
			s := strings.ReplaceAll(m, " ", "")
			n := ibanLengths[s[:2]]
			if n == 0 || len(s) < n || !ibanValid(s[:n]) {
				continue
			}
			x.add("iban", candidate{text: s[:n], conf: 0.95, rank: 1})
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
	x.conf = map[string]float64{}
	for field, cs := range x.cands {
		var best []candidate
		for _, c := range cs {
			if c.text == "" && c.num == nil {
				continue
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
		if pick.num != nil {
			for _, c := range cs {
				agree = agree && c.same(pick)
			}
		}
		if !agree {
			pick.conf = min(pick.conf, 0.6)
		}
		x.set(field, pick)
	}
}

func (x *extractor) set(field string, c candidate) {
	x.conf[field] = clamp01(c.conf)
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
// all three; a total that disagrees is replaced by a candidate that agrees,
// or caps Overall.
func (x *extractor) crossCheck() {
	f := &x.f
	if f.Subtotal == nil || f.Tax == nil || f.Total == nil {
		return
	}
	want := *f.Subtotal + *f.Tax
	if !near(want, *f.Total) {
		for _, c := range x.cands["total"] {
			if c.num != nil && near(*c.num, want) {
				x.set("total", candidate{num: c.num, conf: 0.85})
				return
			}
		}
		x.cap = min(x.cap, 0.4)
		return
	}
	for _, field := range []string{"subtotal", "tax", "total"} {
		x.conf[field] = max(x.conf[field], 0.97)
	}
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
	return Extraction{Fields: x.f, Confidence: x.conf, Overall: clamp01(overall)}
}
