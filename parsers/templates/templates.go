// Package templates reads issuer templates: files, one per issuer, that say
// how to recognise that issuer's documents and where each field is on them,
// in the manner of invoice2data. The values of a template that matches a
// document win over the generic rules of package parsers, which fill in the
// fields the template leaves out and cross-check the whole.
//
// The format is described in parsers/TEMPLATES.md.
package templates

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dataforge/dataforge/internal/schema"
)

// Exts are the file extensions LoadDir reads. JSON is YAML too.
var Exts = []string{".yml", ".yaml", ".json"}

// maxFileSize bounds a template file.
const maxFileSize = 1 << 20

// Template is one issuer's template, compiled.
type Template struct {
	Name     string // the file name without its extension
	File     string // the file it was read from, if any
	Issuer   string
	Type     schema.DocType // the type of the issuer's documents: invoice unless the file says
	Priority int

	keywords, exclude []*regexp.Regexp
	fields            map[string][]*regexp.Regexp
	static            map[string]string
	decimalMark       rune
	dateLayouts       []string
	monthFirst        bool
	lines             *lineRule
}

// lineRule finds line items: each line between start and end that matches
// line, whose named groups are the item's parts.
type lineRule struct {
	start, end, line *regexp.Regexp
}

// Set is the templates of a directory.
type Set struct {
	templates []*Template
}

// Templates returns the templates in the order LoadDir read them (by file
// name).
func (s *Set) Templates() []*Template {
	if s == nil {
		return nil
	}
	return slices.Clone(s.templates)
}

// LoadDir reads every template file (see Exts) in dir, in file name order.
// When some files are invalid it returns the templates that are valid and
// an error that names every problem, file and line; the Set is never nil,
// so a caller may go on with the valid templates after reporting the
// error. A missing directory is an error.
func LoadDir(dir string) (*Set, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return &Set{}, err
	}
	set := &Set{}
	var errs []error
	names := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !slices.Contains(Exts, strings.ToLower(filepath.Ext(e.Name()))) {
			continue
		}
		t, err := LoadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := names[t.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: template %q is also defined in %s", t.File, t.Name, prev))
			continue
		}
		names[t.Name] = t.File
		set.templates = append(set.templates, t)
	}
	return set, errors.Join(errs...)
}

// LoadFile reads one template file. Each problem of an invalid file is a
// line of the error, which starts with the file's path.
func LoadFile(path string) (*Template, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxFileSize)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	t, err := Parse(name, data)
	if err != nil {
		var errs []error
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		} else {
			errs = []error{err}
		}
		for i, e := range errs {
			errs[i] = fmt.Errorf("%s: %w", path, e)
		}
		return nil, errors.Join(errs...)
	}
	t.File = path
	return t, nil
}

// Fields a template may give, by JSON name of schema.Fields.
var fieldNames = []string{
	"invoice_number", "issue_date", "due_date", "issuer", "issuer_tax_id", "iban", "currency",
	"subtotal", "tax", "total",
}

// aliases are invoice2data's names for fields, to point their users to
// ours.
var aliases = map[string]string{
	"amount": "total", "amount_total": "total", "date": "issue_date", "amount_untaxed": "subtotal",
	"amount_tax": "tax", "vat": "tax", "date_due": "due_date", "partner_name": "issuer",
	"vat_number": "issuer_tax_id", "lines": "lines (at the top level, not under fields)",
}

// itemParts are the named groups a lines pattern may have.
var itemParts = []string{"description", "quantity", "unit_price", "amount"}

// file is the layout of a template file.
type file struct {
	Issuer          string              `yaml:"issuer"`
	Keywords        []string            `yaml:"keywords"`
	ExcludeKeywords []string            `yaml:"exclude_keywords"`
	Type            string              `yaml:"type"`
	Priority        int                 `yaml:"priority"`
	Fields          map[string]fieldDef `yaml:"fields"`
	Options         options             `yaml:"options"`
	Lines           *linesDef           `yaml:"lines"`
}

type options struct {
	Currency         string   `yaml:"currency"`
	DateFormats      []string `yaml:"date_formats"`
	DecimalSeparator string   `yaml:"decimal_separator"`
	// Languages is accepted for invoice2data files and not needed: dates
	// in English, Dutch, German and French are read without it.
	Languages []string `yaml:"languages"`
}

type linesDef struct {
	Start string `yaml:"start"`
	End   string `yaml:"end"`
	Line  string `yaml:"line"`
}

// fieldDef is a field's patterns (a string or a list of strings) or its
// fixed value ({static: value}), with the line it was written on.
type fieldDef struct {
	patterns []string
	static   *string
	line     int
}

func (d *fieldDef) UnmarshalYAML(n *yaml.Node) error {
	d.line = n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		d.patterns = []string{n.Value}
		return nil
	case yaml.SequenceNode:
		return n.Decode(&d.patterns)
	case yaml.MappingNode:
		var m struct {
			Static *string `yaml:"static"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		if m.Static == nil {
			return fmt.Errorf("line %d: a field is a pattern, a list of patterns or {static: value}", n.Line)
		}
		d.static = m.Static
		return nil
	}
	return fmt.Errorf("line %d: a field is a pattern, a list of patterns or {static: value}", n.Line)
}

// Parse compiles a template from the contents of a file. name names it in
// results and errors.
func Parse(name string, data []byte) (*Template, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty template")
		}
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("not a valid template: %w", err)
		}
		errs := make([]error, len(te.Errors))
		for i, msg := range te.Errors {
			errs[i] = errors.New(unknownKeyHint(msg))
		}
		return nil, errors.Join(errs...)
	}
	t := &Template{Name: name, Issuer: strings.TrimSpace(f.Issuer), Priority: f.Priority,
		fields: map[string][]*regexp.Regexp{}, static: map[string]string{}}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if t.Issuer == "" {
		bad("issuer: required (the issuer's name, reported as the issuer field)")
	}
	t.Type = schema.Invoice
	if f.Type != "" {
		dt, err := schema.ParseDocType(f.Type)
		if err != nil {
			bad("type: %v", err)
		}
		t.Type = dt
	}
	if len(f.Keywords) == 0 {
		bad("keywords: at least one is required (every keyword must be found for the template to match)")
	}
	compileAll := func(what string, patterns []string) []*regexp.Regexp {
		var out []*regexp.Regexp
		for _, p := range patterns {
			re, err := compile(p)
			if err != nil {
				bad("%s: %v", what, err)
				continue
			}
			out = append(out, re)
		}
		return out
	}
	t.keywords = compileAll("keywords", f.Keywords)
	t.exclude = compileAll("exclude_keywords", f.ExcludeKeywords)

	o := f.Options
	switch o.DecimalSeparator {
	case "", ".", ",":
		t.decimalMark, _ = firstRune(o.DecimalSeparator)
	default:
		bad("options.decimal_separator: %q (want \".\" or \",\")", o.DecimalSeparator)
	}
	if o.Currency != "" {
		if !schema.IsCurrency(o.Currency) {
			bad("options.currency: %q is not an ISO 4217 code such as EUR or USD", o.Currency)
		}
		t.static["currency"] = o.Currency
	}
	for i, df := range o.DateFormats {
		layout, monthFirst, err := goLayout(df)
		if err != nil {
			bad("options.date_formats[%d]: %v", i, err)
			continue
		}
		if i == 0 {
			t.monthFirst = monthFirst
		}
		t.dateLayouts = append(t.dateLayouts, layout)
	}

	names := make([]string, 0, len(f.Fields))
	for n := range f.Fields {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := f.Fields[n]
		if !slices.Contains(fieldNames, n) {
			hint := "want one of " + strings.Join(fieldNames, ", ")
			if a, ok := aliases[n]; ok {
				hint = "did you mean " + a + "?"
			}
			bad("line %d: fields: unknown field %q (%s)", d.line, n, hint)
			continue
		}
		if d.static != nil {
			if n == "currency" && !schema.IsCurrency(*d.static) {
				bad("line %d: fields.currency: %q is not an ISO 4217 code", d.line, *d.static)
			}
			t.static[n] = *d.static
			continue
		}
		if len(d.patterns) == 0 {
			bad("line %d: fields.%s: no pattern", d.line, n)
		}
		for _, p := range d.patterns {
			re, err := compile(p)
			if err == nil && re.NumSubexp() > 1 {
				err = fmt.Errorf("pattern `%s` has %d groups; keep one around the value and write the others as (?:...)", p, re.NumSubexp())
			}
			if err != nil {
				bad("line %d: fields.%s: %v", d.line, n, err)
				continue
			}
			t.fields[n] = append(t.fields[n], re)
		}
	}
	if _, ok := t.static["issuer"]; !ok {
		t.static["issuer"] = t.Issuer
	}
	if l := f.Lines; l != nil {
		t.lines = &lineRule{}
		for _, p := range []struct {
			name    string
			pattern string
			re      **regexp.Regexp
		}{{"start", l.Start, &t.lines.start}, {"end", l.End, &t.lines.end}, {"line", l.Line, &t.lines.line}} {
			if p.pattern == "" {
				bad("lines.%s: required", p.name)
				continue
			}
			re, err := compile(p.pattern)
			if err != nil {
				bad("lines.%s: %v", p.name, err)
				continue
			}
			*p.re = re
		}
		if re := t.lines.line; re != nil {
			groups := re.SubexpNames()[1:]
			for _, g := range groups {
				if g != "" && !slices.Contains(itemParts, g) {
					bad("lines.line: unknown group %q (want %s)", g, strings.Join(itemParts, ", "))
				}
			}
			if !slices.Contains(groups, "amount") {
				bad("lines.line: needs a group (?P<amount>...)")
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// compile compiles a pattern with multi-line anchors: ^ and $ match at
// line ends.
func compile(p string) (*regexp.Regexp, error) {
	if strings.TrimSpace(p) == "" {
		return nil, errors.New("empty pattern")
	}
	if _, err := regexp.Compile(p); err != nil {
		return nil, fmt.Errorf("invalid pattern `%s`: %v", p, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return regexp.Compile("(?m)" + p)
}

func firstRune(s string) (rune, bool) {
	for _, r := range s {
		return r, true
	}
	return 0, false
}

var notFoundRE = regexp.MustCompile(`field (\S+) not found in type templates\.\w+`)

// unknownKeyHint turns yaml's "field x not found in type templates.file"
// into words about the template.
func unknownKeyHint(msg string) string {
	if !notFoundRE.MatchString(msg) {
		return msg
	}
	return notFoundRE.ReplaceAllString(msg, "unknown key $1") +
		" (keys: issuer, keywords, exclude_keywords, type, priority, fields, options, lines;" +
		" options: currency, date_formats, decimal_separator, languages)"
}
