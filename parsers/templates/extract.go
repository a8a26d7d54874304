package templates

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers"
)

// Extract extracts the fields of a document's text with the rules, using
// the values of the template that matches the text, if any (reported in
// Extraction.Template, with the fields it could not read in
// Extraction.TemplateProblems). A nil Set uses the rules alone.
func (s *Set) Extract(text string, t schema.DocType) parsers.Extraction {
	tpl := s.Match(text)
	if tpl == nil {
		return parsers.ExtractRules(text, t)
	}
	known, problems := tpl.Read(text)
	ex := parsers.ExtractRulesWith(text, t, known)
	ex.TemplateProblems = problems
	return ex
}

// Classify classifies a document's text as parsers.Classify does, except
// that a document a template matches has the template's type.
func (s *Set) Classify(text string) parsers.Classification {
	c := parsers.Classify(text)
	if t := s.Match(text); t != nil && c.Type != t.Type {
		c.Type, c.Confidence = t.Type, max(c.Confidence, 0.95)
	}
	return c
}

// Match returns the template of the document whose text is given: among the
// templates whose keywords are all found in it and whose exclude_keywords
// are not, the one with the highest priority, then the most keywords, then
// the first by name. It returns nil when none matches.
func (s *Set) Match(text string) *Template {
	if s == nil {
		return nil
	}
	var best *Template
	for _, t := range s.templates {
		if !t.Matches(text) {
			continue
		}
		if best == nil || t.Priority > best.Priority ||
			t.Priority == best.Priority && len(t.keywords) > len(best.keywords) {
			best = t
		}
	}
	return best
}

// Matches reports whether every keyword of t is found in text and no
// exclude keyword is.
func (t *Template) Matches(text string) bool {
	for _, re := range t.keywords {
		if !re.MatchString(text) {
			return false
		}
	}
	for _, re := range t.exclude {
		if re.MatchString(text) {
			return false
		}
	}
	return true
}

// Read reads the template's fields from text: for each field, the value of
// the first pattern that matches and whose value reads as the field's type
// (a date, an amount, a currency). It returns the values with where they
// were found, and a problem for each field it could not read, which the
// rules then look for themselves.
func (t *Template) Read(text string) (*parsers.Known, []string) {
	k := &parsers.Known{Template: t.Name, Spans: map[string]parsers.Span{}}
	var problems []string
	for field, v := range t.static {
		if err := setField(&k.Fields, field, v, t); err != nil {
			problems = append(problems, fmt.Sprintf("%s: static value %v", field, err))
		}
	}
	names := make([]string, 0, len(t.fields))
	for n := range t.fields {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, field := range names {
		var why []string
		found := false
		for _, re := range t.fields[field] {
			m := re.FindStringSubmatchIndex(text)
			g := min(re.NumSubexp(), 1)
			if m == nil || m[2*g] < 0 {
				why = append(why, fmt.Sprintf("pattern `%s` does not match", re.String()[len("(?m)"):]))
				continue
			}
			start, end := m[2*g], m[2*g+1]
			if err := setField(&k.Fields, field, text[start:end], t); err != nil {
				why = append(why, err.Error())
				continue
			}
			k.Spans[field] = parsers.SpanOf(text, start, end)
			found = true
			break
		}
		if !found {
			problems = append(problems, field+": "+strings.Join(why, "; "))
		}
	}
	if t.lines != nil {
		items, span, err := t.readLines(text)
		if err != nil {
			problems = append(problems, "lines: "+err.Error())
		} else {
			k.Fields.LineItems = items
			k.Spans["line_items"] = span
		}
	}
	return k, problems
}

// setField reads raw as the value of field into f.
func setField(f *schema.Fields, field, raw string, t *Template) error {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return fmt.Errorf("empty value")
	}
	switch field {
	case "issue_date", "due_date":
		d, ok := t.date(raw)
		if !ok {
			return fmt.Errorf("%q is not a date", raw)
		}
		if field == "issue_date" {
			f.IssueDate = d
		} else {
			f.DueDate = d
		}
	case "subtotal", "tax", "total":
		v, _, ok := parsers.ParseAmount(raw, t.decimalMark)
		if !ok {
			return fmt.Errorf("%q is not an amount", raw)
		}
		switch field {
		case "subtotal":
			f.Subtotal = &v
		case "tax":
			f.Tax = &v
		default:
			f.Total = &v
		}
	case "currency":
		code, ok := parsers.CurrencyCode(raw)
		if !ok {
			if _, c, okAmount := parsers.ParseAmount(raw, t.decimalMark); okAmount && c != "" {
				code, ok = c, true
			}
		}
		if !ok {
			return fmt.Errorf("%q is not a currency", raw)
		}
		f.Currency = code
	case "iban", "issuer_tax_id":
		v := strings.ToUpper(strings.Join(strings.Fields(raw), ""))
		if field == "iban" {
			f.IBAN = v
		} else {
			f.IssuerTaxID = v
		}
	case "invoice_number":
		f.InvoiceNumber = strings.Join(strings.Fields(raw), " ")
	case "issuer":
		f.Issuer = strings.Join(strings.Fields(raw), " ")
	}
	return nil
}

// date reads raw with the template's date formats, then as the rules read
// dates (which know month names in four languages).
func (t *Template) date(raw string) (string, bool) {
	for _, layout := range t.dateLayouts {
		if d, err := time.Parse(layout, raw); err == nil && d.Year() >= 1970 && d.Year() <= 2100 {
			return d.Format(time.DateOnly), true
		}
	}
	return parsers.ParseDate(raw, t.monthFirst)
}

// readLines reads the line items between the first match of lines.start and
// the next match of lines.end.
func (t *Template) readLines(text string) ([]schema.LineItem, parsers.Span, error) {
	r := t.lines
	s := r.start.FindStringIndex(text)
	if s == nil {
		return nil, parsers.Span{}, fmt.Errorf("start pattern `%s` does not match", r.start.String()[len("(?m)"):])
	}
	from := s[1]
	to := len(text)
	if e := r.end.FindStringIndex(text[from:]); e != nil {
		to = from + e[0]
	}
	var items []schema.LineItem
	first, last := -1, -1
	for _, m := range r.line.FindAllStringSubmatchIndex(text[from:to], -1) {
		it, err := t.item(r.line, text[from:to], m)
		if err != nil {
			return nil, parsers.Span{}, err
		}
		if first < 0 {
			first = from + m[0]
		}
		last = from + m[1]
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, parsers.Span{}, fmt.Errorf("no line matches `%s`", r.line.String()[len("(?m)"):])
	}
	return items, parsers.SpanOf(text, first, last), nil
}

// item reads one match m of the line pattern re in s.
func (t *Template) item(re *regexp.Regexp, s string, m []int) (schema.LineItem, error) {
	var it schema.LineItem
	for i, name := range re.SubexpNames() {
		if name == "" || m[2*i] < 0 {
			continue
		}
		raw := strings.TrimSpace(s[m[2*i]:m[2*i+1]])
		if name == "description" {
			it.Description = strings.Join(strings.Fields(raw), " ")
			continue
		}
		v, _, ok := parsers.ParseAmount(raw, t.decimalMark)
		if !ok {
			return it, fmt.Errorf("%s %q is not a number", name, raw)
		}
		switch name {
		case "quantity":
			it.Quantity = &v
		case "unit_price":
			it.UnitPrice = &v
		case "amount":
			it.Amount = &v
		}
	}
	return it, nil
}

// goLayout turns a strftime date format, as invoice2data templates write
// them ("%d/%m/%Y"), into a Go time layout, and reports whether the month
// comes before the day.
func goLayout(format string) (layout string, monthFirst bool, err error) {
	var b strings.Builder
	day, month, year := -1, -1, false
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			b.WriteByte(format[i])
			continue
		}
		i++
		if i < len(format) && format[i] == '-' { // %-d: no leading zero
			i++
		}
		if i >= len(format) {
			return "", false, fmt.Errorf("%q ends in %%", format)
		}
		d, ok := strftime[format[i]]
		if !ok {
			return "", false, fmt.Errorf("%q: %%%c is not supported (supported: %%d %%e %%m %%b %%B %%y %%Y %%a %%A %%H %%M %%S %%%%)", format, format[i])
		}
		switch format[i] {
		case 'd', 'e':
			day = b.Len()
		case 'm', 'b', 'B', 'h':
			month = b.Len()
		case 'y', 'Y':
			year = true
		}
		if format[i-1] == '-' {
			d = strings.TrimPrefix(d, "0")
		}
		b.WriteString(d)
	}
	if day < 0 || month < 0 || !year {
		return "", false, fmt.Errorf("%q needs a day, a month and a year", format)
	}
	return b.String(), month < day, nil
}

var strftime = map[byte]string{
	'd': "02", 'e': "_2", 'm': "01", 'b': "Jan", 'h': "Jan", 'B': "January", 'y': "06",
	'Y': "2006", 'a': "Mon", 'A': "Monday", 'H': "15", 'M': "04", 'S': "05", '%': "%",
}
