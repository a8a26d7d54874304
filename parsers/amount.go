package parsers

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/dataforge/dataforge/internal/schema"
)

// amount is a number found in text.
type amount struct {
	value     float64
	decimals  int    // digits after the decimal mark
	ambiguous bool   // "1.250": a thousands separator or three decimals?
	percent   bool   // "21%"
	currency  string // ISO code of an attached or adjacent symbol or code
	dollar    bool   // the currency is a bare "$", which may not be USD
	// start and end are the byte offsets of the number in the string it
	// was found in, with its currency.
	start, end int
}

// money reports whether a looks like a sum of money rather than a count or
// a code: two decimals, or a currency next to it.
func (a amount) money() bool {
	return !a.percent && !a.ambiguous && (a.decimals == 2 || a.currency != "")
}

// currencySymbols maps symbols and prefixes to ISO codes, longest first
// where one is a prefix of another.
var currencySymbols = []struct{ sym, code string }{
	{"US$", "USD"}, {"CA$", "CAD"}, {"AU$", "AUD"}, {"NZ$", "NZD"}, {"HK$", "HKD"},
	{"A$", "AUD"}, {"C$", "CAD"}, {"S$", "SGD"}, {"R$", "BRL"},
	{"€", "EUR"}, {"£", "GBP"}, {"$", "USD"}, {"¥", "JPY"}, {"₹", "INR"}, {"₩", "KRW"},
	{"₽", "RUB"}, {"₺", "TRY"}, {"₪", "ILS"}, {"zł", "PLN"}, {"Kč", "CZK"}, {"Fr.", "CHF"},
}

// CurrencyCode returns the ISO 4217 code that s is, or that the symbol s
// stands for: "€" is EUR, "$" USD, "£" GBP, "CHF" CHF.
func CurrencyCode(s string) (string, bool) {
	for _, c := range currencySymbols {
		if s == c.sym {
			return c.code, true
		}
	}
	if len(s) == 3 && strings.ToUpper(s) == s && schema.IsCurrency(s) {
		return s, true
	}
	return "", false
}

// splitCurrency removes a currency symbol or ISO code attached to the front
// or back of a token and returns it.
func splitCurrency(t string) (rest, sym string) {
	for _, c := range currencySymbols {
		if r, ok := strings.CutPrefix(t, c.sym); ok && r != "" {
			return r, c.sym
		}
		if r, ok := strings.CutSuffix(t, c.sym); ok && r != "" {
			return r, c.sym
		}
	}
	if len(t) > 3 {
		if _, ok := CurrencyCode(t[:3]); ok && !isLetter(t[3]) {
			return t[3:], t[:3]
		}
		if _, ok := CurrencyCode(t[len(t)-3:]); ok && !isLetter(t[len(t)-4]) {
			return t[:len(t)-3], t[len(t)-3:]
		}
	}
	return t, ""
}

func isLetter(b byte) bool { return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' }

// amounts finds the numbers in s. A currency-only token next to a number
// (€ 12,00; 12.00 EUR) is attached to it.
func amounts(s string) []amount {
	var out []amount
	pending, pendingAt := "", 0 // a currency token just before, and its offset
	prevNumber := false         // the previous token was a number
	for _, tok := range tokens(s) {
		t := strings.TrimLeft(tok.text, "(*")
		start := tok.start + len(tok.text) - len(t)
		t = strings.TrimRight(t, ")*,;:")
		if t == "%" && prevNumber { // "20 %"
			out[len(out)-1].percent = true
			prevNumber = false
			continue
		}
		if code, ok := CurrencyCode(t); ok {
			if prev := len(out) - 1; prevNumber && out[prev].currency == "" {
				out[prev].currency, out[prev].dollar = code, t == "$"
				out[prev].end = start + len(t)
			} else {
				pending, pendingAt = t, start
			}
			prevNumber = false
			continue
		}
		a, ok := parseAmount(t)
		prevNumber = ok
		if !ok {
			pending = ""
			continue
		}
		a.start, a.end = start, start+len(t)
		if a.currency == "" && pending != "" {
			a.currency, _ = CurrencyCode(pending)
			a.dollar = pending == "$"
			a.start = pendingAt
		}
		pending = ""
		out = append(out, a)
	}
	return out
}

// ParseAmount reads the first amount in s, such as 1,234.56, 1.234,56,
// € 717,97, $1,234.56 or 12.00 EUR, and returns its value and the ISO code
// of a currency written with it, if any. decimalMark ('.' or ',') is the
// document's decimal separator, which settles amounts like 1.250; 0 leaves
// it to the amount itself.
func ParseAmount(s string, decimalMark rune) (value float64, currency string, ok bool) {
	s, _ = plainSpaces(s)
	for _, a := range amounts(s) {
		if a.percent {
			continue
		}
		if decimalMark != '.' && decimalMark != ',' {
			return a.value, a.currency, true
		}
		// Read the digits again, with only decimalMark as a decimal mark.
		var b strings.Builder
		for _, r := range s[a.start:a.end] {
			switch {
			case r >= '0' && r <= '9':
				b.WriteRune(r)
			case r == decimalMark:
				b.WriteByte('.')
			}
		}
		v, err := strconv.ParseFloat(b.String(), 64)
		if err != nil {
			return 0, "", false
		}
		if a.value < 0 {
			v = -v
		}
		return v, a.currency, true
	}
	return 0, "", false
}

// parseAmount reads one token such as 1,234.56, 1.234,56, €12,00, -$5.00,
// 12.00EUR or 21%.
func parseAmount(t string) (amount, bool) {
	var a amount
	if p, ok := strings.CutSuffix(t, "%"); ok {
		t, a.percent = p, true
	}
	neg := false
	for _, sign := range []string{"-", "−", "+"} {
		if r, ok := strings.CutPrefix(t, sign); ok {
			t, neg = r, sign != "+"
		}
	}
	t, sym := splitCurrency(t)
	if sym != "" {
		a.currency, _ = CurrencyCode(sym)
		a.dollar = sym == "$"
	}
	if r, ok := strings.CutPrefix(t, "-"); ok {
		t, neg = r, true
	}
	if r, ok := strings.CutSuffix(t, "-"); ok {
		t, neg = r, true
	}
	if len(t) == 0 || len(t) > 24 || !isDigit(t[0]) || !isDigit(t[len(t)-1]) {
		return amount{}, false
	}
	v, decimals, ambiguous, ok := parseNumber(t)
	if !ok {
		return amount{}, false
	}
	if neg {
		v = -v
	}
	a.value, a.decimals, a.ambiguous = v, decimals, ambiguous
	return a, true
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// parseNumber reads digits with optional thousands separators (. , ' ’) and
// decimal mark (. or ,). With a single separator followed by exactly three
// digits it cannot tell "1.250" (1250) from 1.25: it reads thousands and
// reports the number as ambiguous.
func parseNumber(s string) (v float64, decimals int, ambiguous, ok bool) {
	var groups []string // digit runs
	var seps []rune     // separators between them
	cur := strings.Builder{}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			cur.WriteRune(r)
		case r == '.' || r == ',' || r == '\'' || r == '’':
			if cur.Len() == 0 {
				return 0, 0, false, false
			}
			groups = append(groups, cur.String())
			seps = append(seps, r)
			cur.Reset()
		default:
			return 0, 0, false, false
		}
	}
	groups = append(groups, cur.String())
	if len(seps) == 0 {
		f, err := strconv.ParseFloat(s, 64)
		return f, 0, false, err == nil
	}
	last := seps[len(seps)-1]
	frac := groups[len(groups)-1]
	decimal := false
	switch {
	case last == '\'' || last == '’':
	case len(seps) > 1 && allSame(seps):
		// 1,234,567 or 1.234.567: thousands only
	case len(seps) > 1 && strings.ContainsRune(string(seps[:len(seps)-1]), last):
		return 0, 0, false, false // 1.234.567,89.5: the decimal mark used twice
	case len(seps) > 1:
		decimal = true // 1,234.56 or 1.234,56
	case len(frac) != 3:
		decimal = true // 12.5, 12,50
	case groups[0] == "0":
		decimal = true // 0.250
	default:
		ambiguous = true // 1.250
	}
	intGroups := groups
	if decimal {
		intGroups = groups[:len(groups)-1]
		if len(frac) > 3 {
			return 0, 0, false, false
		}
	}
	for i, g := range intGroups {
		if i > 0 && len(g) != 3 || i == 0 && len(intGroups) > 1 && len(g) > 3 {
			return 0, 0, false, false
		}
	}
	num := strings.Join(intGroups, "")
	if decimal {
		num += "." + frac
		decimals = len(frac)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, 0, false, false
	}
	return f, decimals, ambiguous, true
}

func allSame(rs []rune) bool {
	for _, r := range rs {
		if r != rs[0] {
			return false
		}
	}
	return true
}

// letters counts the letters in s.
func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}
