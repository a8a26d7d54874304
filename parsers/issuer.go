package parsers

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dataforge/dataforge/internal/schema"
)

// findIssuer looks for the issuer the way a person does, unless a label
// ("From:", "Seller: …") already named it: first the seller's block (a
// heading such as "Verkäufer", "Seller" or "Rechnungsersteller" and the
// name under it); then a company name with a legal form (GmbH, B.V., SARL,
// Ltd …) that stands near the issuer's VAT number or IBAN, at the top of the
// first page, or more than once, and not in the customer's block; last the
// first name-like line at the top of the first page. Boilerplate (lines
// repeated on every page, copyright lines) is never the issuer.
func (x *extractor) findIssuer() {
	if len(x.cands["issuer"]) > 0 || x.typ == schema.Other {
		return
	}
	boiler := x.boilerplate()
	if x.sellerBlock(boiler) {
		return
	}
	top, ok := x.topName(boiler)
	if ok && hasLegalForm(top.text) && top.conf >= 0.85 {
		x.add("issuer", top) // the letterhead
		return
	}
	legal, found := x.legalName(boiler)
	switch {
	case found && (!ok || top.conf < 0.85 && legal.conf > top.conf):
		x.add("issuer", legal)
	case ok && found && top.conf >= 0.85 && len(legal.text) > len(top.text) &&
		strings.HasPrefix(strings.ToLower(legal.text), strings.ToLower(top.text)):
		legal.conf = max(legal.conf, 0.9) // "HELVETIA DRUCK" at the top, "Helvetia Druck AG" below
		x.add("issuer", legal)
	case ok:
		x.add("issuer", top)
	}
}

// doubtBrokenIssuer doubts an issuer whose name has a word that starts in
// lower case and is neither a particle nor a legal form ("Liefer ant GmbH",
// "Industr ieser vice GmbH"): the text layer split a word there, so the name
// as read is wrong, and a person should read it (a value a template read is
// left alone).
func (x *extractor) doubtBrokenIssuer() {
	if c, ok := x.conf["issuer"]; ok && c < knownConfidence && brokenName(x.f.Issuer) {
		x.conf["issuer"] = min(c, 0.5)
	}
}

// nameParticles are the lower-case words company names hold in the
// languages the rules read: and, of, for, from, the, …
var nameParticles = map[string]bool{
	"und": true, "u": true, "für": true, "von": true, "vom": true, "zu": true, "zur": true, "zum": true,
	"der": true, "die": true, "das": true, "des": true, "den": true, "dem": true, "im": true, "am": true,
	"an": true, "auf": true, "bei": true, "mit": true, "and": true, "of": true, "the": true, "for": true,
	"de": true, "du": true, "la": true, "le": true, "les": true, "et": true, "d": true, "l": true,
	"van": true, "het": true, "en": true, "ten": true, "ter": true, "di": true, "e": true, "della": true,
	"del": true, "y": true, "el": true, "las": true, "los": true, "da": true, "do": true, "dos": true, "a": true,
}

// brokenName reports whether a name has a word, after its first, that
// starts with a lower-case letter and is no particle or legal form.
func brokenName(name string) bool {
	words := strings.Fields(name)
	for _, w := range words[min(1, len(words)):] {
		r, _ := utf8.DecodeRuneInString(w)
		bare := strings.ToLower(strings.Trim(strings.NewReplacer(".", "", "'", " ", "’", " ").Replace(w), " ,;:()&"))
		if first, _, _ := strings.Cut(bare, " "); unicode.IsLower(r) && !nameParticles[first] && !legalForms[bare] {
			return true
		}
	}
	return false
}

// legalForms are the legal forms of companies, written without dots or
// spaces: GmbH, AG, B.V., N.V., V.O.F., SARL, SAS, S.L., S.r.l., Ltd, Inc …
var legalForms = map[string]bool{
	"inc": true, "ltd": true, "llc": true, "llp": true, "lp": true, "plc": true, "corp": true,
	"corporation": true, "limited": true, "company": true, "co": true, "pty": true,
	"gmbh": true, "ag": true, "kg": true, "ohg": true, "ug": true, "se": true, "eg": true,
	"ev": true, "ek": true, "mbh": true, "gbr": true, "kgaa": true,
	"bv": true, "nv": true, "vof": true, "cv": true, "bvba": true, "bba": true, "sprl": true,
	"sa": true, "sas": true, "sarl": true, "sasu": true, "eurl": true, "sca": true, "snc": true,
	"sl": true, "slu": true, "srl": true, "spa": true, "sapa": true, "sc": true, "scs": true,
	"oy": true, "ab": true, "as": true, "aps": true, "asa": true, "oyj": true,
}

// hasLegalForm reports whether the name s ends with a legal form ("Acme
// GmbH", "Van Dijk B.V.", "Kremer V.O.F.", "Grundbesitz GmbH & Co.",
// "Versicherungsverein a. G.").
func hasLegalForm(s string) bool {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ' ' || r == ',' || r == '&' || r == '/' })
	// the last word, or the last two joined ("a. G.", "S. L.")
	for n := 1; n <= 2 && n <= len(words); n++ {
		w := strings.NewReplacer(".", "", "(", "", ")", "").Replace(strings.Join(words[len(words)-n:], ""))
		if legalForms[w] && (n == 1 || len(words[len(words)-2]) <= 3) {
			return true
		}
	}
	return false
}

// boilerplate marks the lines that are not the document's own content:
// running headers and footers (the same text on several pages, unless it
// is a company's name: issuers print theirs on every page) and lines with a
// copyright mark.
func (x *extractor) boilerplate() map[int]bool {
	pages := map[string]map[int]bool{}
	for _, l := range x.lines {
		if pages[l.text] == nil {
			pages[l.text] = map[int]bool{}
		}
		pages[l.text][l.page] = true
	}
	out := map[int]bool{}
	for i, l := range x.lines {
		low := strings.ToLower(l.text)
		if len(pages[l.text]) > 1 && !hasLegalForm(l.text) || strings.Contains(low, "(c)") || strings.Contains(low, "©") ||
			strings.Contains(low, "copyright") || strings.Contains(low, "urn:") {
			out[i] = true
		}
	}
	return out
}

// companyName reports whether s reads as a company's name: name-like, no
// "key: value", no postcode or house number, and not a label.
func companyName(s string) bool {
	return nameLike(s) && !strings.Contains(s, ":") && !postcodeRE.MatchString(s) && !streetRE.MatchString(s) &&
		len(findLabels(s, cells(s))) == 0
}

var (
	// postcodeRE finds four digits or more in a row: a postcode, which
	// company names do not have.
	postcodeRE = regexp.MustCompile(`\d{4}`)
	// streetRE matches an address line that ends with a house number
	// ("Bahnhofstraße 99", "Keizersgracht 55a").
	streetRE = regexp.MustCompile(`\s\d{1,4}\s?[a-zA-Z]?$`)
)

// cellNear returns the cell of l that starts closest to column col, within
// tolerance columns, or -1.
func cellNear(l line, col, tolerance int) int {
	best, dist := -1, tolerance+1
	for c, cell := range l.cells {
		d := l.column(cell[0]) - col
		if d < 0 {
			d = -d
		}
		if d < dist {
			best, dist = c, d
		}
	}
	return best
}

// sellerBlock reads the name under a seller heading: the first company-like
// line of the block, or the value of its "Name:" line. A name without a
// legal form continues on the next line when that one ends with one ("MVM
// Musterhafter / Versicherungsverein Musterstadt a.G.").
func (x *extractor) sellerBlock(boiler map[int]bool) bool {
	for i, l := range x.lines {
		if len(l.labels) == 0 || l.labels[0].entry.kind != kindIssuer || !l.labels[0].cellStart {
			continue
		}
		h := l.labels[0]
		if strings.Trim(l.text[h.end:l.cells[h.cell][1]], valueTrim) != "" {
			continue // "Seller: Acme" is read as a label's value
		}
		col := l.column(l.cells[h.cell][0])
		for k := i + 1; k < len(x.lines) && k <= i+8 && x.lines[k].page == l.page; k++ {
			n := x.lines[k]
			if boiler[k] {
				continue
			}
			c := cellNear(n, col, 8)
			if c < 0 {
				continue
			}
			start, end := n.cells[c][0], n.cells[c][1]
			above := -1 // where the name starts when it begins on the line above
			for c+1 < len(n.cells) {
				gap, next := n.column(n.cells[c+1][0])-n.column(end), n.cell(c+1)
				if gap > 4 && (gap > 12 || !hasLegalForm(next) || len(strings.Fields(next)) > 2) {
					break
				}
				c++ // "Lieferant   GmbH", "MUSTERLIEFERANT      GMBH": words spaced wide
				end = n.cells[c][1]
			}
			text := strings.Join(strings.Fields(n.text[start:end]), " ")
			named := len(n.labels) > 0 && n.labels[0].entry.kind == kindName && n.labels[0].cellStart
			if next := ""; !named {
				if c+1 < len(n.cells) {
					next = n.cell(c + 1)
				}
				if strings.Contains(text, ":") || strings.HasPrefix(next, ":") {
					continue // "Nummer   : 549910"
				}
			}
			if len(n.labels) > 0 && n.labels[0].cell == c && n.labels[0].cellStart {
				lm := n.labels[0]
				if lm.entry.kind == kindCustomer {
					break
				}
				if lm.entry.kind != kindName {
					continue
				}
				// "Name:   Acme GmbH": the value, in this cell or the next
				rest := strings.TrimLeft(n.text[lm.end:n.cells[c][1]], valueTrim)
				if rest == "" && c+1 < len(n.cells) {
					c++
					rest = n.cell(c)
				}
				text, start, end = rest, n.cells[c][1]-len(rest), n.cells[c][1]
				// a name too long for its row begins on the line above,
				// alone in the value's column
				if p := x.lines[k-1]; k-1 > i && len(p.cells) == 1 && abs(p.column(p.cells[0][0])-n.column(start)) <= 2 &&
					companyName(p.cell(0)) && !hasLegalForm(p.cell(0)) {
					text, above = p.cell(0)+" "+text, p.offset(p.cells[0][0])
				}
			}
			if !companyName(text) {
				continue
			}
			conf := 0.85
			cand := at(n, start, end)
			cand.text = text
			if above >= 0 {
				cand.start = above
			} else {
				x.continued(k, &cand)
			}
			if text = cand.text; hasLegalForm(text) {
				conf = 0.93
			}
			cand.text, cand.conf, cand.rank = text, conf, 2
			x.add("issuer", cand)
			return true
		}
	}
	return false
}

// continued completes a name that has no legal form with the next line
// (line k is the name's), when that line ends with one: names too long for
// one line are split so.
func (x *extractor) continued(k int, c *candidate) {
	if hasLegalForm(c.text) || k+1 >= len(x.lines) || x.lines[k+1].page != x.lines[k].page {
		return
	}
	n, m := x.lines[k], x.lines[k+1]
	col := n.column(c.start - n.pos)
	if n.offs != nil {
		return // offsets do not map back simply; keep the first line
	}
	mc := cellNear(m, col, 2)
	if mc < 0 {
		return
	}
	// the cell, or the rest of the line when its words are spaced wide
	for _, end := range []int{m.cells[mc][1], m.cells[len(m.cells)-1][1]} {
		t := strings.Join(strings.Fields(m.text[m.cells[mc][0]:end]), " ")
		if companyName(t) && hasLegalForm(t) {
			c.text += " " + t
			c.end = m.offset(end)
			return
		}
	}
}

// legalName picks among the company names with a legal form the one most
// likely the issuer's: each occurrence counts, and more near the issuer's
// tax number or IBAN and at the top of the first page; names in the
// customer's block do not count. A clear winner is trusted, a close race
// is not.
func (x *extractor) legalName(boiler map[int]bool) (candidate, bool) {
	type found struct {
		score float64
		cand  candidate
	}
	names := map[string]*found{}
	var order []string
	anchors := x.issuerAnchors()
	customerUntil, customerCol := -1, 0
	for i, l := range x.lines {
		if len(l.labels) > 0 && l.labels[0].entry.kind == kindCustomer && l.labels[0].cellStart {
			customerUntil, customerCol = i+6, l.column(l.cells[l.labels[0].cell][0])
		}
		if boiler[i] {
			continue
		}
		for _, cell := range l.cells {
			if i <= customerUntil && abs(l.column(cell[0])-customerCol) <= 8 {
				continue
			}
			for _, part := range splitSender(l.text, cell[0], cell[1]) {
				name := l.text[part[0]:part[1]]
				if !companyName(name) || !hasLegalForm(name) {
					continue
				}
				f := names[name]
				if f == nil {
					cand := at(l, part[0], part[1])
					cand.text = name
					f = &found{cand: cand}
					names[name] = f
					order = append(order, name)
				}
				f.score++
				if l.page == 0 && i < 12 {
					f.score++
				}
				for _, a := range anchors {
					if a >= i-8 && a <= i+8 && x.lines[a].page == l.page {
						f.score += 2
						break
					}
				}
			}
		}
	}
	var best, second *found
	for _, n := range order {
		f := names[n]
		switch {
		case best == nil || f.score > best.score:
			best, second = f, best
		case second == nil || f.score > second.score:
			second = f
		}
	}
	if best == nil {
		return candidate{}, false
	}
	c := best.cand
	c.conf, c.rank = 0.9, 1
	switch {
	case second != nil && second.score >= best.score-1:
		c.conf = 0.6
	case best.score < 3:
		c.conf = 0.75
	}
	return c, true
}

// issuerAnchors returns the lines with the issuer's VAT or tax number or an
// IBAN: where the issuer's name usually stands near.
func (x *extractor) issuerAnchors() []int {
	var out []int
	for i, l := range x.lines {
		if ibanRE.MatchString(l.text) {
			out = append(out, i)
			continue
		}
		for _, m := range l.labels {
			if m.entry.kind == "issuer_tax_id" || m.entry.kind == kindVAT {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// splitSender splits the cell text[start:end] at the separators of a
// sender line ("Acme GmbH • Street 1 • Town") and returns the parts.
func splitSender(text string, start, end int) [][2]int {
	var out [][2]int
	s := text[start:end]
	from := 0
	for i, r := range s {
		if r == '●' || r == '•' || r == '·' || r == '|' || r == '-' && i > 0 && s[i-1] == ' ' && i+1 < len(s) && s[i+1] == ' ' {
			out = append(out, trimRange(text, start+from, start+i))
			from = i + len(string(r))
		}
	}
	return append(out, trimRange(text, start+from, end))
}

func trimRange(s string, i, j int) [2]int {
	for i < j && s[i] == ' ' {
		i++
	}
	for j > i && s[j-1] == ' ' {
		j--
	}
	return [2]int{i, j}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// topName returns the first name-like line at the top of the first page,
// skipping titles, labelled lines and boilerplate. Confidence drops when the
// name is far down or after a customer block, where it may be the
// customer's.
func (x *extractor) topName(boiler map[int]bool) (candidate, bool) {
	afterCustomer := false
	for i, l := range x.lines {
		if l.page > 0 || i > 12 {
			break
		}
		if boiler[i] {
			continue
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
		// the first part of a sender line: "Acme GmbH · Street 1 · Town"
		part := splitSender(l.text, l.cells[0][0], l.cells[0][1])[0]
		name := l.text[part[0]:part[1]]
		if !nameLike(name) {
			continue
		}
		conf := 0.85
		switch {
		case afterCustomer || i > 4:
			conf = 0.5
		case hasLegalForm(name):
			conf = 0.95
		case i == 0:
			conf = 0.9
		}
		c := at(l, part[0], part[1])
		c.text, c.conf, c.rank = name, conf, 1
		x.continued(i, &c)
		if c.text != name && conf >= 0.85 {
			c.conf = 0.93
		}
		return c, true
	}
	return candidate{}, false
}
