package templates

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/samples"
)

const brightline = `
issuer: Brightline Design Ltd
keywords: [Brightline Design, GB123456789]
fields:
  invoice_number: 'Invoice #:\s+(\S+)'
  issue_date: ['Issued:\s+(\S+)', 'Date:\s+(\S+)']
  total: 'Total\s+£([\d,.]+)'
  issuer_tax_id: {static: GB123456789}
options:
  currency: GBP
  date_formats: ['%d/%m/%Y']
lines:
  start: Item\s+Qty
  end: Subtotal
  line: '^(?P<description>\S.*?)\s{2,}(?P<quantity>\d+)\s+(?P<unit_price>[\d.,]+)\s+(?P<amount>[\d.,]+)$'
`

const brightlineText = "Brightline Design Ltd      INVOICE\nVAT No: GB123456789   Invoice #:   BD-1042\n" +
	"Date:   03/04/2024\nItem   Qty   Price   Total\nLogo design   1   850.00   850.00\n" +
	"Cards   2   45.00   90.00\nSubtotal   £940.00\nVAT   £188.00\nTotal   £1,128.00\n"

func TestReadTemplate(t *testing.T) {
	t.Parallel()
	tpl, err := Parse("brightline", []byte(brightline))
	require.NoError(t, err)
	require.True(t, tpl.Matches(brightlineText))
	require.False(t, tpl.Matches("Brightline Design Ltd"), "every keyword must be found")
	k, problems := tpl.Read(brightlineText)
	require.Empty(t, problems)
	require.Equal(t, "brightline", k.Template)
	f := k.Fields
	require.Equal(t, "BD-1042", f.InvoiceNumber)
	require.Equal(t, "2024-04-03", f.IssueDate, "day first, from the date format")
	require.Equal(t, "Brightline Design Ltd", f.Issuer)
	require.Equal(t, "GB123456789", f.IssuerTaxID)
	require.Equal(t, "GBP", f.Currency)
	require.InDelta(t, 1128, *f.Total, 1e-9)
	require.Len(t, f.LineItems, 2)
	require.Equal(t, "Cards", f.LineItems[1].Description)
	require.InDelta(t, 90, *f.LineItems[1].Amount, 1e-9)
	sp := k.Spans["invoice_number"]
	require.Equal(t, "BD-1042", brightlineText[sp.Start:sp.End])
	require.Equal(t, parsers.Span{Page: 1, Line: 2, Start: sp.Start, End: sp.End, Text: "BD-1042"}, sp)

	// The rules fill in what the template leaves out and cross-check.
	set := &Set{templates: []*Template{tpl}}
	x := set.Extract(brightlineText, schema.Invoice)
	require.Equal(t, "brightline", x.Template)
	require.InDelta(t, 940, *x.Fields.Subtotal, 1e-9)
	require.InDelta(t, 188, *x.Fields.Tax, 1e-9)
	require.GreaterOrEqual(t, x.Overall, parsers.ConfidenceThreshold, "%v", x.Confidence)
	require.Equal(t, "", (*Set)(nil).Extract(brightlineText, schema.Invoice).Template)
}

func TestReadTemplateProblems(t *testing.T) {
	t.Parallel()
	tpl, err := Parse("t", []byte(`
issuer: Acme
keywords: [Acme]
fields:
  total: ['Grand total\s+(\S+)', 'Total\s+(\S+)']
  due_date: 'Due\s+(\S+)'
`))
	require.NoError(t, err)
	k, problems := tpl.Read("Acme\nTotal   soon\nDue   never\n")
	require.Nil(t, k.Fields.Total)
	require.Len(t, problems, 2)
	require.Contains(t, problems[0], "due_date")
	require.Contains(t, problems[1], "does not match")
	require.Contains(t, problems[1], `"soon" is not an amount`)
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"empty", "", "empty template"},
		{"syntax", "issuer: [a", "not a valid template"},
		{"no issuer", "keywords: [a]", "issuer: required"},
		{"no keywords", "issuer: A", "keywords: at least one"},
		{"unknown key", "issuer: A\nkeyword: [a]", "line 2: unknown key keyword"},
		{"unknown field", "issuer: A\nkeywords: [a]\nfields:\n  amount: x", `unknown field "amount" (did you mean total?)`},
		{"bad pattern", "issuer: A\nkeywords: [a]\nfields:\n  total: '(\\d+'", "line 4: fields.total: invalid pattern"},
		{"bad keyword", "issuer: A\nkeywords: ['(']", "keywords: invalid pattern"},
		{"two groups", "issuer: A\nkeywords: [a]\nfields:\n  total: '(a)(b)'", "has 2 groups"},
		{"bad currency", "issuer: A\nkeywords: [a]\noptions: {currency: EURO}", "not an ISO 4217 code"},
		{"bad separator", "issuer: A\nkeywords: [a]\noptions: {decimal_separator: ';'}", "decimal_separator"},
		{"bad date format", "issuer: A\nkeywords: [a]\noptions: {date_formats: ['%d/%Q/%Y']}", "%Q is not supported"},
		{"incomplete date format", "issuer: A\nkeywords: [a]\noptions: {date_formats: ['%d/%m']}", "needs a day, a month and a year"},
		{"bad type", "issuer: A\nkeywords: [a]\ntype: bill", "unknown document type"},
		{"field as number list", "issuer: A\nkeywords: [a]\nfields:\n  total: {regex: x}", "a field is a pattern"},
		{"lines without amount", "issuer: A\nkeywords: [a]\nlines: {start: a, end: b, line: '(?P<description>.+)'}", "(?P<amount>...)"},
		{"lines unknown group", "issuer: A\nkeywords: [a]\nlines: {start: a, end: b, line: '(?P<amount>\\d+) (?P<price>\\d+)'}", `unknown group "price"`},
		{"lines incomplete", "issuer: A\nkeywords: [a]\nlines: {line: '(?P<amount>\\d+)'}", "lines.start: required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tpl, err := Parse("t", []byte(tc.yaml))
			require.Nil(t, tpl)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestLoadDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	write("a.yml", "issuer: A Ltd\nkeywords: [A Ltd]\npriority: 1\n")
	write("a.json", `{"issuer": "A again", "keywords": ["A"]}`)
	write("b.yaml", "issuer: B\nkeywords: ['(']\n")
	write("c.yml", "issuer: C Ltd\nkeywords: [Ltd]\n")
	write("notes.txt", "not a template")
	set, err := LoadDir(dir)
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, filepath.Join(dir, "b.yaml")+": keywords: invalid pattern")
	require.Contains(t, msg, `template "a" is also defined in`)
	var names []string
	for _, tpl := range set.Templates() {
		names = append(names, tpl.Name)
	}
	require.Equal(t, []string{"a", "c"}, names)
	require.Equal(t, "a", set.Match("A Ltd invoice").Name, "the higher priority wins")
	require.Equal(t, "c", set.Match("C Ltd invoice").Name)
	require.Nil(t, set.Match("nothing"))

	_, err = LoadDir(filepath.Join(dir, "missing"))
	require.Error(t, err)
}

// TestSampleTemplates checks the example templates against the labelled
// documents of their issuers: each matches its own issuer's documents only,
// and reads every field it has without a problem.
func TestSampleTemplates(t *testing.T) {
	t.Parallel()
	set, err := LoadDir(filepath.Join(samples.Dir(), "templates"))
	require.NoError(t, err)
	require.Len(t, set.Templates(), 3)
	list, err := samples.LoadDir(samples.LabelledDir())
	require.NoError(t, err)
	matched := 0
	for _, e := range list {
		data, err := e.Read()
		require.NoError(t, err)
		doc, err := parsers.Parse(context.Background(), data, parsers.DetectMediaType(e.File, data), parsers.Limits{})
		require.NoError(t, err)
		tpl := set.Match(doc.Text)
		if tpl == nil {
			continue
		}
		matched++
		require.Equal(t, e.Fields.Issuer, tpl.Issuer, e.File)
		k, problems := tpl.Read(doc.Text)
		require.Empty(t, problems, e.File)
		require.Equal(t, e.Fields.InvoiceNumber, k.Fields.InvoiceNumber, e.File)
		require.Equal(t, e.Fields.IssueDate, k.Fields.IssueDate, e.File)
		require.Equal(t, *e.Fields.Total, *k.Fields.Total, e.File)
		require.Equal(t, schema.Invoice, set.Classify(doc.Text).Type, e.File)
		for field, sp := range k.Spans {
			require.Equal(t, sp.Text, doc.Text[sp.Start:sp.End], "%s %s", e.File, field)
			require.NotEmpty(t, strings.TrimSpace(sp.Text))
		}
	}
	require.Equal(t, 9, matched)
}

func TestGoLayout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		format, layout string
		monthFirst     bool
	}{
		{"%d/%m/%Y", "02/01/2006", false},
		{"%m/%d/%Y", "01/02/2006", true},
		{"%B %-d, %Y", "January 2, 2006", true},
		{"%d.%m.%y", "02.01.06", false},
		{"%Y-%m-%d", "2006-01-02", true},
	} {
		layout, monthFirst, err := goLayout(tc.format)
		require.NoError(t, err, tc.format)
		require.Equal(t, tc.layout, layout, tc.format)
		require.Equal(t, tc.monthFirst, monthFirst, tc.format)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(brightline), brightlineText)
	for _, name := range []string{"acme-cloud.yml", "helvetia-druck.yml", "papeterie-lemaire.json"} {
		data, err := os.ReadFile(filepath.Join(samples.Dir(), "templates", name))
		require.NoError(f, err)
		f.Add(data, "Acme Cloud Services B.V. Helvetia Druck AG Papeterie Lemaire SARL")
	}
	f.Add([]byte("issuer: A\nkeywords: [a]\noptions: {date_formats: ['%']}"), "a")
	f.Fuzz(func(t *testing.T, data []byte, text string) {
		tpl, err := Parse("fuzz", data)
		if err != nil {
			require.Nil(t, tpl)
			require.NotEmpty(t, err.Error())
			return
		}
		if !tpl.Matches(text) {
			return
		}
		k, _ := tpl.Read(text)
		for field, sp := range k.Spans {
			require.Equal(t, sp.Text, text[sp.Start:sp.End], field)
		}
		x := (&Set{templates: []*Template{tpl}}).Extract(text, schema.Invoice)
		require.True(t, x.Overall >= 0 && x.Overall <= 1)
	})
}
