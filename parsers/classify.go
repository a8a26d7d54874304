package parsers

import (
	"strings"

	"github.com/dataforge/dataforge/internal/schema"
)

// Features are the measurements Classify bases its decision on.
type Features struct {
	Chars, Lines, Words int // of the non-empty lines, trimmed
	Amounts             int // sums of money (two decimals or a currency)
	Dates               int
	HasLineItems        bool
}

// Classification is the guessed type of a document.
type Classification struct {
	Type       schema.DocType
	Confidence float64 // 0..1
	// Complexity (0..1) is how hard the document looks: long, many items,
	// many amounts, dense layout, unclear type. Routing uses it.
	Complexity float64
	Features   Features
}

// keywords are words and phrases that suggest a type, with their weights.
// Suffixes count words that end with them, once per suffix: German builds
// compounds (Handelsrechnung, Teilrechnung, Rechnungskorrektur is not one).
type keywords struct {
	weight   map[string]float64 // by phraseKey
	maxWords int
	suffix   map[string]float64
}

func newKeywords(suffix, ks map[string]float64) keywords {
	k := keywords{weight: map[string]float64{}, suffix: suffix}
	for phrase, w := range ks {
		k.weight[phraseKey(phrase)] = w
		k.maxWords = max(k.maxWords, len(labelWords(phrase)))
	}
	return k
}

// score sums the weights of the distinct keywords in text.
func (k keywords) score(text string) float64 {
	words := labelWords(text)
	seen := map[string]bool{}
	var s float64
	for i := range words {
		low := strings.ToLower(words[i].text)
		for suf, w := range k.suffix {
			if strings.HasSuffix(low, suf) && !seen["-"+suf] {
				seen["-"+suf] = true
				s += w
			}
		}
		key := ""
		for j := i; j < len(words) && j-i < k.maxWords; j++ {
			if j > i && !joinable(text[words[j-1].end:words[j].start]) {
				break
			}
			key += strings.ToLower(words[j].text)
			if w, ok := k.weight[key]; ok && !seen[key] {
				seen[key] = true
				s += w
			}
		}
	}
	return s
}

var (
	invoiceWords = newKeywords(map[string]float64{"rechnung": 3}, map[string]float64{
		"invoice": 3, "factuur": 3, "rechnung": 3, "facture": 3, "fattura": 3, "factura": 3, "faktura": 3,
		"bill to": 2, "billed to": 2, "invoice to": 2, "due date": 2, "amount due": 2,
		"balance due": 2, "total due": 1, "payment terms": 1, "net 30": 1, "please pay": 1,
		"remit": 1, "iban": 1, "vervaldatum": 2, "factuurnummer": 2, "rechnungsnummer": 2,
		"fällig": 1, "zahlbar": 1, "échéance": 2, "gelieve": 1, "bank transfer": 1,
		"rechnungskorrektur": 3, "gutschrift": 3, "credit note": 3, "creditnota": 3, "avoir": 2,
		"nota de crédito": 3, "nota di credito": 3, "rechnungsdatum": 2, "verkäufer": 1,
		"ust id nr": 1, "steuernummer": 1,
	})
	receiptWords = newKeywords(nil, map[string]float64{
		"receipt": 3, "kassabon": 3, "kassenbon": 3, "quittung": 3, "reçu": 3,
		"ticket de caisse": 3, "bon": 1, "beleg": 1, "cash": 1.5, "change": 1.5,
		"tendered": 2, "cashier": 2, "kassa": 1, "kasse": 1, "rückgeld": 2,
		"wisselgeld": 2, "bar": 1, "card": 1, "visa": 1, "mastercard": 1,
		"contactless": 1, "thank you for shopping": 2, "thank you for your visit": 2,
		"vielen dank": 1, "bedankt voor uw bezoek": 2, "merci de votre visite": 2,
		"server": 1, "tip": 1, "gratuity": 1, "espèces": 1.5, "rendu": 1.5,
	})
	letterWords = newKeywords(nil, map[string]float64{
		"dear": 2, "sincerely": 2, "regards": 2, "yours faithfully": 2, "geachte": 2,
		"met vriendelijke groet": 2, "sehr geehrte": 2, "mit freundlichen grüßen": 2,
		"madame": 1, "monsieur": 1, "cordialement": 2, "agenda": 1, "minutes": 1,
	})
)

// Classify guesses a document's type from keywords (English, Dutch, German,
// French) and structure: amounts, totals, an item table.
func Classify(text string) Classification {
	lines := splitLines(text)
	var feat Features
	cells, money, totals := 0, 0, 0
	dr := dateReader{orderConf: 0.5}
	for _, l := range lines {
		feat.Chars += len([]rune(l.text))
		feat.Words += len(strings.Fields(l.text))
		cells += len(l.cells)
		for _, a := range amounts(l.text) {
			if a.money() {
				money++
			}
		}
		feat.Dates += len(dr.find(l.text))
		if startsWithAmountLabel(l) {
			totals++
		}
	}
	feat.Lines, feat.Amounts = len(lines), money
	rows, header, _ := itemRows(lines)
	feat.HasLineItems = header && len(rows) > 0 || len(rows) >= 2

	inv := invoiceWords.score(text)
	rec := receiptWords.score(text)
	let := letterWords.score(text)
	financial := money >= 2 || totals > 0

	c := Classification{Features: feat}
	switch {
	case inv == 0 && rec == 0 || !financial && let > max(inv, rec):
		c.Type, c.Confidence = schema.Other, 0.9
		if financial {
			c.Confidence = 0.5 // money on it, but no telling what it is
		} else if let > 0 {
			c.Confidence = 0.95
		}
	default:
		best, other := inv, rec
		c.Type = schema.Invoice
		if rec > inv {
			best, other, c.Type = rec, inv, schema.Receipt
		}
		margin := (best - other) / best
		strength := min(1, best/5)
		c.Confidence = 0.45 + 0.45*margin*strength
		if financial {
			c.Confidence += 0.08
		}
	}
	c.Confidence = clamp01(c.Confidence)

	density := 0.0
	if len(lines) > 0 {
		density = float64(cells) / float64(len(lines)) / 4
	}
	c.Complexity = clamp01(0.25*min(1, float64(feat.Lines)/150) +
		0.2*min(1, float64(len(rows))/40) +
		0.2*min(1, float64(money)/60) +
		0.15*min(1, density) +
		0.2*(1-c.Confidence))
	return c
}
