package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/samples"
)

// The labelled set: invoices and receipts from made-up issuers in English,
// Dutch, German and French, drawn in several layouts (label and value on one
// line, in two columns, boxed, value under its label, plain text), with each
// language's number, currency and date formats, totals that appear more
// than once (amount paid, balance due), and customers whose names look like
// issuers'. Three issuers use wording the generic rules do not know; the
// templates in samples/templates read them.

// locale is how a language writes an invoice.
type locale struct {
	lang     string
	currency string
	// amount formats a sum of money as the document shows it; number
	// formats one in the item table.
	amounts []func(float64) string
	number  func(float64) string
	dates   []func(time.Time) string
	labels  map[string][]string // variants of each label
	items   []string
	taxRate float64
}

func nbsp(v float64) string { return money(v, "\u00a0", ",") }

func prefix(sym string, f func(float64) string) func(float64) string {
	return func(v float64) string { return sym + f(v) }
}

func suffix(sym string, f func(float64) string) func(float64) string {
	return func(v float64) string { return f(v) + sym }
}

var monthNames = map[string][]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"nl": {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
	"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
}

func layoutDate(layout string) func(time.Time) string {
	return func(t time.Time) string { return t.Format(layout) }
}

func wordDate(lang, sep string) func(time.Time) string {
	return func(t time.Time) string {
		return fmt.Sprintf("%d%s %s %d", t.Day(), sep, monthNames[lang][t.Month()-1], t.Year())
	}
}

func englishDate(t time.Time) string { return t.Format("January 2, 2006") }

var locales = []locale{
	{
		lang: "en", currency: "USD", number: us, taxRate: 0.0825,
		amounts: []func(float64) string{prefix("$", us), prefix("USD ", us), suffix(" USD", us)},
		dates:   []func(time.Time) string{layoutDate("01/02/2006"), englishDate, layoutDate("2006-01-02"), layoutDate("Jan 2, 2006")},
		labels: map[string][]string{
			"title":    {"INVOICE", "Invoice", "TAX INVOICE"},
			"number":   {"Invoice number:", "Invoice No.", "Invoice #", "Invoice ID:"},
			"date":     {"Invoice date:", "Date:", "Date of issue:", "Issued:"},
			"due":      {"Due date:", "Payment due:", "Due by:"},
			"subtotal": {"Subtotal", "Net amount", "Sub-total"},
			"tax":      {"Sales tax (%s)", "Tax %s"},
			"total":    {"Total", "Total due", "Amount due", "Grand total"},
			"paid":     {"Amount paid"},
			"balance":  {"Balance due"},
			"customer": {"Bill to:", "Billed to:", "Customer:"},
			"vat":      {"EIN:", "Tax ID:"},
			"desc":     {"Description", "Item"},
			"qty":      {"Qty", "Quantity"},
			"unit":     {"Unit price", "Rate"},
			"amount":   {"Amount", "Line total"},
			"receipt":  {"Receipt #", "Receipt no.", "Trans #"},
			"cash":     {"CASH"},
			"rtotal":   {"TOTAL", "TOTAL DUE"},
			"order":    {"Order number:", "PO number:"},
			"delivery": {"Delivery date:", "Ship date:"},
			"change":   {"CHANGE"},
		},
		items: []string{"Web hosting (annual)", "Consulting, 2 hours", "Printer paper A4", "USB-C cable 2m", "Design review", "Support plan (monthly)", "Office chair", "Domain renewal", "Coffee beans 1kg"},
	},
	{
		lang: "en", currency: "GBP", number: us, taxRate: 0.20,
		amounts: []func(float64) string{prefix("£", us), prefix("GBP ", us)},
		dates:   []func(time.Time) string{layoutDate("02/01/2006"), wordDate("en", ""), layoutDate("2 Jan 2006")},
		labels: map[string][]string{
			"title":    {"INVOICE", "Invoice"},
			"number":   {"Invoice number:", "Invoice No:", "Inv. No."},
			"date":     {"Invoice date:", "Date:", "Tax point:"},
			"due":      {"Due date:", "Payment due:"},
			"subtotal": {"Subtotal", "Net total"},
			"tax":      {"VAT @ %s", "VAT %s"},
			"total":    {"Total", "Total due", "Amount due"},
			"paid":     {"Amount paid"},
			"balance":  {"Balance due"},
			"customer": {"Bill to:", "Invoice to:"},
			"vat":      {"VAT No:", "VAT Reg No:"},
			"desc":     {"Description"},
			"qty":      {"Qty"},
			"unit":     {"Price"},
			"amount":   {"Total"},
			"receipt":  {"Receipt no."},
			"cash":     {"CASH"},
			"rtotal":   {"TOTAL"},
			"order":    {"Order No:", "Your reference:"},
			"delivery": {"Delivery date:"},
			"change":   {"CHANGE"},
		},
		items: []string{"Logo design", "Copywriting", "Photography (half day)", "Business cards (500)", "Printing, A5 flyers", "Website maintenance"},
	},
	{
		lang: "nl", currency: "EUR", number: eu, taxRate: 0.21,
		amounts: []func(float64) string{prefix("€ ", eu), suffix(" EUR", eu), prefix("EUR ", eu)},
		dates:   []func(time.Time) string{layoutDate("02-01-2006"), wordDate("nl", ""), layoutDate("2006-01-02")},
		labels: map[string][]string{
			"title":    {"FACTUUR", "Factuur"},
			"number":   {"Factuurnummer:", "Factuurnr.:", "Factuur nr."},
			"date":     {"Factuurdatum:", "Datum:"},
			"due":      {"Vervaldatum:", "Uiterste betaaldatum:"},
			"subtotal": {"Subtotaal", "Totaal excl. BTW"},
			"tax":      {"BTW %s"},
			"total":    {"Totaal", "Te betalen", "Totaal incl. BTW"},
			"paid":     {"Betaald"},
			"balance":  {"Openstaand"},
			"customer": {"Klant:", "Factuuradres:"},
			"vat":      {"BTW-nummer:", "BTW-nr:"},
			"desc":     {"Omschrijving"},
			"qty":      {"Aantal"},
			"unit":     {"Prijs"},
			"amount":   {"Bedrag"},
			"receipt":  {"Bonnummer:"},
			"cash":     {"Contant"},
			"rtotal":   {"TOTAAL", "TE BETALEN"},
			"order":    {"Ordernummer:", "Klantnummer:"},
			"delivery": {"Leverdatum:"},
			"change":   {"Wisselgeld"},
		},
		items: []string{"Onderhoud installatie", "Arbeidsloon", "Materiaal", "Voorrijkosten", "Advies", "Schilderwerk", "Fietsband"},
	},
	{
		lang: "de", currency: "EUR", number: eu, taxRate: 0.19,
		amounts: []func(float64) string{suffix(" €", eu), suffix(" EUR", eu), prefix("EUR ", eu)},
		dates:   []func(time.Time) string{layoutDate("02.01.2006"), wordDate("de", "."), layoutDate("2.1.2006")},
		labels: map[string][]string{
			"title":    {"RECHNUNG", "Rechnung"},
			"number":   {"Rechnungsnummer:", "Rechnungs-Nr.:", "Rechnung Nr."},
			"date":     {"Rechnungsdatum:", "Datum:"},
			"due":      {"Fällig am:", "Zahlbar bis:"},
			"subtotal": {"Nettobetrag", "Zwischensumme"},
			"tax":      {"MwSt. %s", "USt. %s"},
			"total":    {"Gesamtbetrag", "Rechnungsbetrag", "Endbetrag"},
			"paid":     {"Bezahlt"},
			"balance":  {"Offener Betrag"},
			"customer": {"Kunde:", "Rechnungsempfänger:"},
			"vat":      {"USt-IdNr.:", "USt-ID:"},
			"desc":     {"Beschreibung", "Bezeichnung"},
			"qty":      {"Menge"},
			"unit":     {"Einzelpreis"},
			"amount":   {"Betrag"},
			"receipt":  {"Bon-Nr.:", "Beleg-Nr.:"},
			"cash":     {"Bar"},
			"rtotal":   {"SUMME", "SUMME EUR", "GESAMT"},
			"order":    {"Bestellnummer:", "Kundennummer:"},
			"delivery": {"Lieferdatum:"},
			"change":   {"Rückgeld"},
		},
		items: []string{"Wartung Heizung", "Arbeitszeit", "Ersatzteile", "Anfahrt", "Beratung", "Druckerpatrone", "Büromaterial"},
	},
	{
		lang: "fr", currency: "EUR", number: nbsp, taxRate: 0.20,
		amounts: []func(float64) string{suffix(" €", nbsp), suffix(" EUR", nbsp)},
		dates:   []func(time.Time) string{layoutDate("02/01/2006"), wordDate("fr", "")},
		labels: map[string][]string{
			"title":    {"FACTURE", "Facture"},
			"number":   {"Numéro de facture :", "Facture n°", "N° de facture :"},
			"date":     {"Date de facture :", "Date :"},
			"due":      {"Date d'échéance :", "Échéance :"},
			"subtotal": {"Total HT", "Montant HT"},
			"tax":      {"TVA %s"},
			"total":    {"Total TTC", "Net à payer", "Montant total"},
			"paid":     {"Payé"},
			"balance":  {"Reste à payer"},
			"customer": {"Client :", "Facturé à :"},
			"vat":      {"N° TVA :", "TVA intracommunautaire :"},
			"desc":     {"Désignation", "Description"},
			"qty":      {"Qté", "Quantité"},
			"unit":     {"Prix unitaire"},
			"amount":   {"Montant"},
			"receipt":  {"Ticket n°"},
			"cash":     {"Espèces"},
			"rtotal":   {"TOTAL", "TOTAL TTC"},
			"order":    {"N° de commande :", "Référence client :"},
			"delivery": {"Date de livraison :"},
			"change":   {"Rendu"},
		},
		items: []string{"Prestation de conseil", "Main d'œuvre", "Fournitures", "Déplacement", "Abonnement mensuel", "Livraison"},
	},
}

// party is an issuer or a customer.
type party struct {
	name, street, city, taxID, iban string
}

var issuers = map[string][]party{
	"USD": {
		{"Bluebird Analytics LLC", "410 Pine Street", "Denver, CO 80202", "84-2231907", ""},
		{"Harbor Freight Logistics Inc.", "77 Dock Road", "Savannah, GA 31401", "58-7712034", ""},
		{"Quantum Leaf Software Corp.", "9 Innovation Way", "Austin, TX 78701", "74-3309128", ""},
	},
	"GBP": {
		{"Thistle & Rose Studio Ltd", "3 Market Row", "Edinburgh EH1 1QB", "GB287654321", "GB82WEST12345698765432"},
		{"Redbrick Print Works Ltd", "21 Mill Lane", "Leeds LS1 4AB", "GB123456789", "GB33BUKB20201555555555"},
	},
	"nl": {
		{"Van Dijk Installatietechniek B.V.", "Industrieweg 8", "3542 AD Utrecht", "NL853746291B01", "NL02ABNA0123456789"},
		{"Fietsenmakerij De Spaak", "Oudegracht 120", "3511 AZ Utrecht", "NL001234567B89", "NL44RABO0123456789"},
		{"Bureau Kremer Advies V.O.F.", "Keizersgracht 55", "1015 CJ Amsterdam", "NL812345678B01", "NL91ABNA0417164300"},
	},
	"de": {
		{"Schneider Haustechnik GmbH", "Hauptstraße 14", "80331 München", "DE287654321", "DE89370400440532013000"},
		{"Bürobedarf Krause KG", "Lindenweg 3", "50667 Köln", "DE812345679", "DE02120300000000202051"},
		{"Müller & Söhne OHG", "Marktplatz 7", "01067 Dresden", "DE136695976", "DE44500105175407324931"},
	},
	"fr": {
		{"Atelier Moreau SARL", "12 rue des Lilas", "69003 Lyon", "FR40303265045", "FR1420041010050500013M02606"},
		{"Conseil Durand SAS", "5 avenue Foch", "75116 Paris", "FR83404833048", "FR7630006000011234567890189"},
	},
}

var customers = []string{"Northwind Holdings Ltd", "Fabrikam GmbH", "Contoso B.V.", "Tailspin SARL", "Wingtip Toys Inc.", "Adatum Corp."}

// issuersOf returns the issuers of a locale.
func issuersOf(l locale) []party {
	if l.lang == "en" {
		return issuers[l.currency]
	}
	return issuers[l.lang]
}

// invoiceSpec is one labelled document before it is drawn.
type invoiceSpec struct {
	file     string
	loc      locale
	layout   string // stacked, columns, boxed, below, text, receipt
	issuer   party
	customer string
	title    string
	labels   map[string]string // the variant of each label this document uses
	amount   func(float64) string
	date     func(time.Time) string
	items    []item
	paid     bool // shows "amount paid" and a zero balance after the total
	distract bool // shows an order number and a delivery date among the details
	fields   schema.Fields
}

var layouts = []string{"stacked", "columns", "boxed", "below", "text"}

// labelledRand returns the random source the labelled set is drawn from.
func labelledRand() *rand.Rand { return rand.New(rand.NewPCG(2024, 11)) }

// generateLabelled writes the labelled set and its expected.json into dir.
func generateLabelled(dir string) (int, error) {
	rng := labelledRand()
	var list []samples.Expected
	write := func(name string, e samples.Expected, data []byte) error {
		list = append(list, e)
		return os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	specs := labelledSpecs(rng)
	for _, s := range specs {
		doc := "invoice"
		if s.layout == "receipt" {
			doc = "receipt"
		}
		e := samples.Expected{
			File: s.file, Type: schema.DocType(doc), Outcome: samples.OutcomeRules, Fields: &s.fields,
			Description: fmt.Sprintf("%s %s, %s layout, %s", s.loc.lang, doc, s.layout, s.loc.currency),
		}
		var data []byte
		if s.layout == "text" {
			data = []byte(s.text())
		} else {
			data = s.pdf()
		}
		if err := write(s.file, e, data); err != nil {
			return 0, err
		}
	}
	n := len(specs)
	for _, tpl := range templateIssuers(rng) {
		n++
		tpl.file = fmt.Sprintf("%02d-%s", n, tpl.file)
		e := samples.Expected{
			File: tpl.file, Type: schema.Invoice, Outcome: samples.OutcomeRules, Fields: &tpl.fields,
			Description: "issuer with its own wording, read by a template in samples/templates",
		}
		if err := write(tpl.file, e, tpl.pdf()); err != nil {
			return 0, err
		}
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return 0, err
	}
	return len(list), os.WriteFile(filepath.Join(dir, samples.ExpectedFile), append(b, '\n'), 0o644)
}

func invoiceNumber(rng *rand.Rand, lang string, issued time.Time) string {
	y := issued.Year()
	switch rng.IntN(4) {
	case 0:
		return fmt.Sprintf("INV-%d-%04d", y, rng.IntN(10000))
	case 1:
		return fmt.Sprintf("%d%05d", y, rng.IntN(100000))
	case 2:
		return fmt.Sprintf("%s%d/%03d", strings.ToUpper(lang[:1]), y%100, rng.IntN(1000))
	}
	return fmt.Sprintf("%c-%d", 'A'+rune(rng.IntN(26)), 100+rng.IntN(90000))
}

// details are the invoice's labelled values: number, date and due date.
func (s *invoiceSpec) details() [][2]string {
	f := s.fields
	d := [][2]string{{s.labels["number"], f.InvoiceNumber}, {s.labels["date"], s.date(parseISO(f.IssueDate))}}
	if f.DueDate != "" {
		d = append(d, [2]string{s.labels["due"], s.date(parseISO(f.DueDate))})
	}
	if s.distract {
		issued := parseISO(f.IssueDate)
		d = append(d, [2]string{s.labels["order"], fmt.Sprintf("PO-%d", 7000+issued.YearDay())},
			[2]string{s.labels["delivery"], s.date(issued.AddDate(0, 0, -3))})
	}
	return d
}

// totals are the labelled sums under the item table.
func (s *invoiceSpec) totals() [][2]string {
	f := s.fields
	rate := strconv.FormatFloat(s.loc.taxRate*100, 'f', -1, 64) + "%"
	if s.loc.lang == "fr" || s.loc.lang == "de" {
		rate = strings.Replace(rate, ".", ",", 1)
	}
	t := [][2]string{
		{s.labels["subtotal"], s.amount(*f.Subtotal)},
		{strings.Replace(s.labels["tax"], "%s", rate, 1), s.amount(*f.Tax)},
		{s.labels["total"], s.amount(*f.Total)},
	}
	if s.paid {
		t = append(t, [2]string{s.labels["paid"], s.amount(*f.Total)}, [2]string{s.labels["balance"], s.amount(0)})
	}
	return t
}

func (s *invoiceSpec) itemRows() [][]string {
	var rows [][]string
	for _, it := range s.items {
		rows = append(rows, []string{it.desc, qty(it.qty), s.loc.number(it.unit), s.loc.number(it.amount())})
	}
	return rows
}

func parseISO(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// pdf draws the document.
func (s *invoiceSpec) pdf() []byte {
	if s.layout == "receipt" {
		return s.receipt()
	}
	d := newDoc(a4)
	d.AddPage()
	iss := s.issuer
	d.font("B", 15)
	d.at(20, 20, iss.name)
	d.font("", 9.5)
	address := []string{iss.street, iss.city, s.labels["vat"] + " " + iss.taxID}
	details := s.details()
	y := 27.0
	switch s.layout {
	case "columns": // details to the right of the address
		d.font("B", 16)
		d.at(125, 20, s.title)
		d.font("", 9.5)
		for i, a := range address {
			d.at(20, y+float64(i)*5, a)
		}
		for i, kv := range details {
			d.at(125, y+float64(i)*5, kv[0])
			d.at(162, y+float64(i)*5, kv[1])
		}
		y += 25
	default:
		for i, a := range address {
			d.at(20, y+float64(i)*5, a)
		}
		d.font("B", 18)
		d.at(20, y+25, s.title)
		d.font("", 10)
		y += 35
		switch s.layout {
		case "stacked":
			for i, kv := range details {
				d.at(20, y+float64(i)*6, kv[0])
				d.at(68, y+float64(i)*6, kv[1])
			}
			y += 6 * float64(len(details))
		case "boxed":
			d.SetXY(20, y-5)
			d.SetFillColor(235, 235, 235)
			d.font("B", 9)
			for _, kv := range details {
				d.CellFormat(45, 7, d.tr(strings.TrimSuffix(kv[0], ":")), "1", 0, "L", true, 0, "")
			}
			d.Ln(7)
			d.SetX(20)
			d.font("", 9)
			for _, kv := range details {
				d.CellFormat(45, 7, d.tr(kv[1]), "1", 0, "L", false, 0, "")
			}
			y += 12
		case "below": // each value under its label
			for i, kv := range details {
				d.font("B", 9)
				d.at(20+float64(i)*55, y, kv[0])
				d.font("", 10)
				d.at(20+float64(i)*55, y+5, kv[1])
			}
			y += 10
		}
	}
	d.font("B", 10)
	d.at(20, y+8, s.labels["customer"])
	d.font("", 10)
	d.at(20, y+13, s.customer)
	d.at(20, y+18, "1 Commerce Plaza")
	x := []float64{20, 120, 155, 190}
	y = d.table(y+32, x, []string{s.labels["desc"], s.labels["qty"], s.labels["unit"], s.labels["amount"]}, s.itemRows())
	for i, kv := range s.totals() {
		yy := y + 10 + float64(i)*6.5
		d.at(120, yy, kv[0])
		d.right(190, yy, kv[1])
	}
	if iss.iban != "" {
		d.font("", 8)
		d.at(20, 282, "IBAN: "+groups(iss.iban)+"   "+iss.name)
	}
	return d.bytes()
}

// receipt draws a till receipt.
func (s *invoiceSpec) receipt() []byte {
	d := newDoc(receiptSize)
	d.AddPage()
	f := s.fields
	d.font("B", 12)
	d.right(40+d.GetStringWidth(d.tr(f.Issuer))/2, 12, f.Issuer)
	d.font("", 8)
	d.at(8, 18, s.issuer.street+", "+s.issuer.city)
	d.at(8, 26, s.labels["receipt"]+" "+f.InvoiceNumber)
	d.at(8, 30, s.date(parseISO(f.IssueDate))+"   14:"+fmt.Sprintf("%02d", len(f.InvoiceNumber)*7%60))
	y := 37.0
	for _, it := range s.items {
		desc := it.desc
		if it.qty != 0 {
			desc = fmt.Sprintf("%s %s x %s", it.desc, qty(it.qty), s.loc.number(it.unit))
		}
		d.at(8, y, desc)
		d.right(72, y, s.loc.number(it.amount()))
		y += 4.5
	}
	d.Line(8, y-1.5, 72, y-1.5)
	d.font("B", 10)
	d.at(8, y+4, s.labels["rtotal"])
	d.right(72, y+4, s.amount(*f.Total))
	d.font("", 8)
	cash := float64(int(*f.Total/10)+1) * 10
	d.at(8, y+9, s.labels["cash"])
	d.right(72, y+9, s.loc.number(cash))
	d.at(8, y+13, s.labels["change"])
	d.right(72, y+13, s.loc.number(round2(cash-*f.Total)))
	return d.bytes()
}

// text writes the document as a plain-text file, aligned with spaces.
func (s *invoiceSpec) text() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	iss := s.issuer
	p("%s", iss.name)
	p("%s, %s", iss.street, iss.city)
	p("%s %s", s.labels["vat"], iss.taxID)
	p("")
	p("%s", s.title)
	p("")
	for _, kv := range s.details() {
		p("%-24s %s", kv[0], kv[1])
	}
	p("")
	p("%s", s.labels["customer"])
	p("  %s", s.customer)
	p("")
	p("%-30s %8s %14s %14s", s.labels["desc"], s.labels["qty"], s.labels["unit"], s.labels["amount"])
	for _, r := range s.itemRows() {
		p("%-30s %8s %14s %14s", r[0], r[1], r[2], r[3])
	}
	p("")
	for _, kv := range s.totals() {
		p("%-40s %28s", kv[0], kv[1])
	}
	if iss.iban != "" {
		p("")
		p("IBAN %s", groups(iss.iban))
	}
	return b.String()
}

// groups writes an IBAN in groups of four.
func groups(iban string) string {
	var parts []string
	for i := 0; i < len(iban); i += 4 {
		parts = append(parts, iban[i:min(i+4, len(iban))])
	}
	return strings.Join(parts, " ")
}

// templateSpec is a document of an issuer that writes its own wording, which
// only its template reads.
type templateSpec struct {
	file   string
	draw   func(d *doc, f schema.Fields)
	fields schema.Fields
}

func (t templateSpec) pdf() []byte {
	d := newDoc(a4)
	d.AddPage()
	t.draw(d, t.fields)
	return d.bytes()
}

// templateIssuers returns three documents of each of three issuers that
// have templates in samples/templates.
func templateIssuers(rng *rand.Rand) []templateSpec {
	var out []templateSpec
	for i := range 3 {
		issued := time.Date(2024, time.Month(2+i*3), 3+i*7, 0, 0, 0, 0, time.UTC)
		amount := float64(2000+rng.IntN(90000)) / 100
		tax := round2(amount * 0.21)
		out = append(out, templateSpec{
			file: "nl-eur-acme-cloud.pdf",
			fields: schema.Fields{
				InvoiceNumber: fmt.Sprintf("AC%07d", 4100+rng.IntN(900)), IssueDate: issued.Format(time.DateOnly),
				DueDate: issued.AddDate(0, 0, 14).Format(time.DateOnly), Issuer: "Acme Cloud Services B.V.",
				IssuerTaxID: "NL859912345B01", IBAN: "NL20INGB0001234567", Currency: "EUR",
				Subtotal: ptr(amount), Tax: ptr(tax), Total: ptr(round2(amount + tax)),
				LineItems: []schema.LineItem{{Description: "Cloud hosting, pakket Zakelijk", Amount: ptr(amount)}},
			},
			draw: func(d *doc, f schema.Fields) {
				d.font("B", 14)
				d.right(190, 18, "acme cloud")
				d.font("", 8)
				d.right(190, 23, "Acme Cloud Services B.V. | Stationsplein 1 | 3511 ED Utrecht")
				d.right(190, 27, "BTW "+f.IssuerTaxID)
				d.font("B", 11)
				d.at(20, 45, "Overzicht van uw abonnement")
				d.font("", 9)
				d.at(20, 55, "Documentkenmerk")
				d.at(70, 55, f.InvoiceNumber)
				d.at(20, 60, "Opgemaakt op")
				d.at(70, 60, wordDate("nl", "")(parseISO(f.IssueDate)))
				d.at(20, 65, "Wij schrijven af rond")
				d.at(70, 65, wordDate("nl", "")(parseISO(f.DueDate)))
				d.at(20, 80, "Cloud hosting, pakket Zakelijk")
				d.right(190, 80, "€ "+eu(*f.Subtotal))
				d.at(20, 86, "Omzetbelasting 21%")
				d.right(190, 86, "€ "+eu(*f.Tax))
				d.font("B", 9)
				d.at(20, 94, "Wordt afgeschreven")
				d.right(190, 94, "€ "+eu(*f.Total))
				d.font("", 8)
				d.at(20, 280, "Incasso van rekening NL20 INGB 0001 2345 67 door Acme Cloud Services B.V.")
			},
		})
	}
	for i := range 3 {
		issued := time.Date(2023, time.Month(3+i*2), 10+i*5, 0, 0, 0, 0, time.UTC)
		amount := float64(50000+rng.IntN(400000)) / 100
		tax := round2(amount * 0.081)
		swiss := func(v float64) string { return money(v, "'", ".") }
		out = append(out, templateSpec{
			file: "de-chf-helvetia-druck.pdf",
			fields: schema.Fields{
				InvoiceNumber: fmt.Sprintf("%d-%04d", issued.Year(), 100+rng.IntN(9000)), IssueDate: issued.Format(time.DateOnly),
				DueDate: issued.AddDate(0, 0, 30).Format(time.DateOnly), Issuer: "Helvetia Druck AG",
				IssuerTaxID: "CHE-123.456.789", IBAN: "CH9300762011623852957", Currency: "CHF",
				Subtotal: ptr(amount), Tax: ptr(tax), Total: ptr(round2(amount + tax)),
				LineItems: []schema.LineItem{{Description: "Offsetdruck Broschüren A4, 2'000 Ex.", Amount: ptr(amount)}},
			},
			draw: func(d *doc, f schema.Fields) {
				d.font("B", 15)
				d.at(20, 20, "HELVETIA DRUCK")
				d.font("", 8)
				d.at(20, 25, "Helvetia Druck AG, Seestrasse 40, 8002 Zürich, UID "+f.IssuerTaxID+" MWST")
				d.font("B", 12)
				d.at(20, 45, "Auftragsbestätigung und Faktura")
				d.font("", 9)
				d.at(20, 55, "Beleg "+f.InvoiceNumber+" vom "+parseISO(f.IssueDate).Format("02.01.2006"))
				d.at(20, 60, "Zahlungsziel: "+parseISO(f.DueDate).Format("02.01.2006"))
				d.at(20, 75, "Offsetdruck Broschüren A4, 2'000 Ex.")
				d.right(190, 75, swiss(*f.Subtotal))
				d.at(20, 81, "Mehrwertsteuer 8.1%")
				d.right(190, 81, swiss(*f.Tax))
				d.font("B", 9)
				d.at(20, 89, "Zu überweisen CHF")
				d.right(190, 89, swiss(*f.Total))
				d.font("", 8)
				d.at(20, 280, "Konto: "+groups(f.IBAN)+"  Helvetia Druck AG")
			},
		})
	}
	for i := range 3 {
		issued := time.Date(2024, time.Month(1+i*4), 8+i*6, 0, 0, 0, 0, time.UTC)
		amount := float64(10000+rng.IntN(200000)) / 100
		tax := round2(amount * 0.20)
		out = append(out, templateSpec{
			file: "fr-eur-papeterie-lemaire.pdf",
			fields: schema.Fields{
				InvoiceNumber: fmt.Sprintf("PL-%05d", 10000+rng.IntN(89999)), IssueDate: issued.Format(time.DateOnly),
				Issuer: "Papeterie Lemaire SARL", IssuerTaxID: "FR40303265045", Currency: "EUR",
				Subtotal: ptr(amount), Tax: ptr(tax), Total: ptr(round2(amount + tax)),
				LineItems: []schema.LineItem{{Description: "Fournitures de bureau (lot)", Amount: ptr(amount)}},
			},
			draw: func(d *doc, f schema.Fields) {
				d.font("B", 14)
				d.at(20, 20, "Papeterie Lemaire")
				d.font("", 8)
				d.at(20, 25, "Papeterie Lemaire SARL - 4 place Bellecour - 69002 Lyon - TVA "+f.IssuerTaxID)
				d.font("", 9)
				d.at(120, 40, "Lyon, le "+wordDate("fr", "")(parseISO(f.IssueDate)))
				d.font("B", 11)
				d.at(20, 55, "Note d'achat "+f.InvoiceNumber)
				d.font("", 9)
				d.at(20, 70, "Fournitures de bureau (lot)")
				d.right(190, 70, nbsp(*f.Subtotal)+" €")
				d.at(20, 76, "dont taxes 20 %")
				d.right(190, 76, nbsp(*f.Tax)+" €")
				d.font("B", 9)
				d.at(20, 84, "Somme réglée")
				d.right(190, 84, nbsp(*f.Total)+" €")
			},
		})
	}
	return out
}

// labelledSpecs draws the documents of the labelled set (before the
// template issuers', drawn from rng after them).
func labelledSpecs(rng *rand.Rand) []invoiceSpec {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	var specs []invoiceSpec
	for round := range 10 {
		for li, loc := range locales {
			layout := layouts[(round+li)%len(layouts)]
			if round%5 == 4 && li%2 == 0 {
				layout = "receipt"
			}
			iss := issuersOf(loc)
			s := invoiceSpec{
				loc: loc, layout: layout, issuer: iss[rng.IntN(len(iss))],
				customer: customers[rng.IntN(len(customers))], labels: map[string]string{},
				amount: loc.amounts[rng.IntN(len(loc.amounts))], date: loc.dates[rng.IntN(len(loc.dates))],
				paid: rng.IntN(5) == 0 && layout != "receipt",
			}
			s.distract = rng.IntN(3) == 0 && layout != "receipt" && layout != "below"
			for _, k := range slices.Sorted(maps.Keys(loc.labels)) { // in order: the same draws every run
				s.labels[k] = pick(loc.labels[k])
			}
			s.title = s.labels["title"]
			for range 1 + rng.IntN(5) {
				it := item{desc: pick(loc.items), qty: float64(1 + rng.IntN(9)), unit: float64(100+rng.IntN(40000)) / 100}
				if layout == "receipt" && rng.IntN(2) == 0 {
					it.qty = 0
				}
				s.items = append(s.items, it)
			}
			issued := time.Date(2022+rng.IntN(3), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
			sub := sum(s.items)
			tax := round2(sub * loc.taxRate)
			f := schema.Fields{
				InvoiceNumber: invoiceNumber(rng, loc.lang, issued), IssueDate: issued.Format(time.DateOnly),
				Issuer: s.issuer.name, IssuerTaxID: s.issuer.taxID, IBAN: s.issuer.iban, Currency: loc.currency,
				Subtotal: ptr(sub), Tax: ptr(tax), Total: ptr(round2(sub + tax)), LineItems: lineItems(s.items),
			}
			if layout == "receipt" {
				f.IssuerTaxID, f.IBAN, f.Subtotal, f.Tax = "", "", nil, nil
				f.Total = ptr(sub)
				f.InvoiceNumber = strconv.Itoa(1000 + rng.IntN(9000))
			} else {
				f.DueDate = issued.AddDate(0, 0, []int{14, 30}[rng.IntN(2)]).Format(time.DateOnly)
			}
			s.fields = f
			s.file = fmt.Sprintf("%02d-%s-%s-%s.pdf", len(specs)+1, loc.lang, strings.ToLower(loc.currency), layout)
			if layout == "text" {
				s.file = strings.TrimSuffix(s.file, ".pdf") + ".txt"
			}
			specs = append(specs, s)
		}
	}
	return specs
}
