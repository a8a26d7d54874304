package parsers

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// months maps month names and abbreviations in English, Dutch, German and
// French to month numbers.
var months = map[string]int{}

func init() {
	for i, names := range [][]string{
		{"january", "jan", "januari", "januar", "jän", "janvier", "janv"},
		{"february", "feb", "februari", "februar", "février", "fevrier", "févr", "fevr"},
		{"march", "mar", "maart", "mrt", "märz", "maerz", "mär", "mrz", "mars"},
		{"april", "apr", "avril", "avr"},
		{"may", "mei", "mai"},
		{"june", "jun", "juni", "juin"},
		{"july", "jul", "juli", "juillet", "juil"},
		{"august", "aug", "augustus", "août", "aout"},
		{"september", "sep", "sept", "septembre"},
		{"october", "oct", "oktober", "okt", "octobre"},
		{"november", "nov", "novembre"},
		{"december", "dec", "dezember", "dez", "décembre", "decembre", "déc"},
	} {
		for _, n := range names {
			months[n] = i + 1
		}
	}
}

var (
	isoDateRE, numDateRE, dmyNameRE, mdyNameRE *regexp.Regexp
)

func init() {
	names := make([]string, 0, len(months))
	for n := range months {
		names = append(names, regexp.QuoteMeta(n))
	}
	sort.Slice(names, func(i, j int) bool {
		if len(names[i]) != len(names[j]) {
			return len(names[i]) > len(names[j])
		}
		return names[i] < names[j]
	})
	month := `(` + strings.Join(names, "|") + `)`
	isoDateRE = regexp.MustCompile(`\b(\d{4})([-/.])(\d{1,2})([-/.])(\d{1,2})\b`)
	numDateRE = regexp.MustCompile(`\b(\d{1,2})([-/.])(\d{1,2})([-/.])(\d{4}|\d{2})\b`)
	dmyNameRE = regexp.MustCompile(`(?i)\b(\d{1,2})(?:st|nd|rd|th|er|e)?\.?\s+` + month + `\.?,?\s+(\d{4})\b`)
	mdyNameRE = regexp.MustCompile(`(?i)\b` + month + `\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`)
}

// date is a date found in text.
type date struct {
	iso        string // YYYY-MM-DD
	conf       float64
	start, end int
}

// dateReader turns dates into ISO form. numeric day/month order that a date
// does not settle by itself (03/05/2024) comes from the document: another
// date that settles it, or else the currency (USD: month first).
type dateReader struct {
	monthFirst bool
	orderConf  float64 // confidence in monthFirst
}

func newDateReader(lines []line, currency string) dateReader {
	dmy, mdy := 0, 0
	for _, l := range lines {
		for _, m := range numDateRE.FindAllStringSubmatch(l.text, -1) {
			a, _ := strconv.Atoi(m[1])
			b, _ := strconv.Atoi(m[3])
			switch {
			case m[2] == "." || a > 12 && b <= 12:
				dmy++
			case b > 12 && a <= 12:
				mdy++
			}
		}
	}
	switch {
	case dmy > 0 && mdy == 0:
		return dateReader{orderConf: 0.95}
	case mdy > 0 && dmy == 0:
		return dateReader{monthFirst: true, orderConf: 0.95}
	case dmy > 0:
		return dateReader{orderConf: 0.5} // the document contradicts itself
	case currency == "USD":
		return dateReader{monthFirst: true, orderConf: 0.85}
	case currency != "":
		return dateReader{orderConf: 0.85}
	}
	return dateReader{orderConf: 0.6}
}

// find returns the dates in s in order of appearance.
func (dr dateReader) find(s string) []date {
	if !strings.ContainsAny(s, "0123456789") {
		return nil
	}
	var out []date
	taken := func(start, end int) bool {
		for _, d := range out {
			if start < d.end && end > d.start {
				return true
			}
		}
		return false
	}
	add := func(y, m, d int, conf float64, start, end int) {
		if iso, ok := validDate(y, m, d); ok && !taken(start, end) {
			out = append(out, date{iso, conf, start, end})
		}
	}
	for _, m := range isoDateRE.FindAllStringSubmatchIndex(s, -1) {
		if s[m[4]:m[5]] != s[m[8]:m[9]] {
			continue
		}
		add(atoi(s, m, 1), atoi(s, m, 3), atoi(s, m, 5), 1, m[0], m[1])
	}
	if hasMonth(s) {
		for _, m := range dmyNameRE.FindAllStringSubmatchIndex(s, -1) {
			add(atoi(s, m, 3), months[strings.ToLower(s[m[4]:m[5]])], atoi(s, m, 1), 1, m[0], m[1])
		}
		for _, m := range mdyNameRE.FindAllStringSubmatchIndex(s, -1) {
			add(atoi(s, m, 3), months[strings.ToLower(s[m[2]:m[3]])], atoi(s, m, 2), 1, m[0], m[1])
		}
	}
	for _, m := range numDateRE.FindAllStringSubmatchIndex(s, -1) {
		sep := s[m[4]:m[5]]
		if sep != s[m[8]:m[9]] {
			continue
		}
		a, b, y := atoi(s, m, 1), atoi(s, m, 3), atoi(s, m, 5)
		conf := 0.95
		day, month := a, b
		switch {
		case sep == "." || a > 12 || a == b:
		case b > 12:
			day, month = b, a
		default:
			conf = dr.orderConf
			if dr.monthFirst {
				day, month = b, a
			}
		}
		if m[11]-m[10] == 2 { // two-digit year
			conf *= 0.8
			if y < 70 {
				y += 2000
			} else {
				y += 1900
			}
		}
		add(y, month, day, conf, m[0], m[1])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out
}

// ParseDate reads the first date in s, in any form the rules know
// (2023-03-20, 20.03.2023, 03/20/2023, 19 april 2014, March 20, 2023, in
// English, Dutch, German or French), and returns it as YYYY-MM-DD.
// monthFirst settles numeric dates that do not settle it themselves
// (03/04/2023).
func ParseDate(s string, monthFirst bool) (string, bool) {
	ds := dateReader{monthFirst: monthFirst, orderConf: 1}.find(s)
	if len(ds) == 0 {
		return "", false
	}
	return ds[0].iso, true
}

// hasMonth reports whether s has a month name, a cheap test before the
// regular expressions that read dates with month names.
func hasMonth(s string) bool {
	for _, w := range labelWords(s) {
		if _, ok := months[strings.ToLower(w.text)]; ok {
			return true
		}
	}
	return false
}

func atoi(s string, m []int, group int) int {
	n, _ := strconv.Atoi(s[m[2*group]:m[2*group+1]])
	return n
}

func validDate(y, m, d int) (string, bool) {
	if y < 1970 || y > 2100 || m < 1 || m > 12 || d < 1 {
		return "", false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return "", false
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d), true
}
