// Command gen writes the sample documents and expected.json into the samples
// directory, and the labelled set (documents varied in layout, language and
// formats, to measure accuracy) into its labelled directory. Its output is
// deterministic: the same bytes on every run.
//
//	go run ./samples/gen
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/samples"
)

// created is the creation date written into every PDF.
var created = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

func main() {
	log.SetFlags(0)
	dir := flag.String("dir", samples.Dir(), "directory to write the samples to")
	flag.Parse()
	n, err := generate(*dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %d samples and %s to %s\n", n, samples.ExpectedFile, *dir)
	labelled := filepath.Join(*dir, "labelled")
	if err := os.MkdirAll(labelled, 0o755); err != nil {
		log.Fatal(err)
	}
	if n, err = generateLabelled(labelled); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %d labelled documents and %s to %s\n", n, samples.ExpectedFile, labelled)
	einvoices := filepath.Join(*dir, "einvoices")
	if err := os.MkdirAll(einvoices, 0o755); err != nil {
		log.Fatal(err)
	}
	if n, err = generateEInvoices(einvoices); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %d e-invoices and %s to %s\n", n, samples.ExpectedFile, einvoices)
	scans := filepath.Join(*dir, "scans")
	if err := os.MkdirAll(scans, 0o755); err != nil {
		log.Fatal(err)
	}
	if n, err = generateScans(scans); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %d scans and %s to %s\n", n, samples.ExpectedFile, scans)
}

// generate writes every sample and expected.json into dir and returns the
// number of samples.
func generate(dir string) (int, error) {
	var list []samples.Expected
	for _, gen := range []func() (samples.Expected, []byte){
		classicInvoice,
		twoColumnInvoice,
		tableInvoice,
		dutchInvoice,
		groceryReceipt,
		cafeReceipt,
		multipageInvoice,
		scannedInvoice,
		corruptInvoice,
		encryptedInvoice,
		plainTextInvoice,
		letter,
		messyInvoice,
		eInvoicePDF,
		eInvoiceXML,
	} {
		e, data := gen()
		if err := os.WriteFile(filepath.Join(dir, e.File), data, 0o644); err != nil {
			return 0, err
		}
		list = append(list, e)
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return 0, err
	}
	return len(list), os.WriteFile(filepath.Join(dir, samples.ExpectedFile), append(b, '\n'), 0o644)
}

// item is a line of an item table. A zero qty means the line shows only an
// amount (unit is then the amount).
type item struct {
	desc      string
	qty, unit float64
}

func (it item) amount() float64 {
	if it.qty == 0 {
		return it.unit
	}
	return round2(it.qty * it.unit)
}

func (it item) lineItem() schema.LineItem {
	li := schema.LineItem{Description: it.desc, Amount: ptr(it.amount())}
	if it.qty != 0 {
		li.Quantity, li.UnitPrice = ptr(it.qty), ptr(it.unit)
	}
	return li
}

func lineItems(items []item) []schema.LineItem {
	out := make([]schema.LineItem, len(items))
	for i, it := range items {
		out[i] = it.lineItem()
	}
	return out
}

func sum(items []item) float64 {
	var s float64
	for _, it := range items {
		s += it.amount()
	}
	return round2(s)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func ptr(v float64) *float64 { return &v }

// money formats v with two decimals, the given thousands separator and
// decimal mark: money(1234.5, ",", ".") is "1,234.50".
func money(v float64, thousands, decimal string) string {
	s := fmt.Sprintf("%.2f", v)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(thousands)
		}
		b.WriteRune(c)
	}
	b.WriteString(decimal)
	b.WriteString(frac)
	return b.String()
}

func us(v float64) string { return money(v, ",", ".") }
func eu(v float64) string { return money(v, ".", ",") }

func qty(v float64) string { return fmt.Sprintf("%g", v) }

// doc wraps an fpdf document with helpers for placing text.
type doc struct {
	*fpdf.Fpdf
	tr func(string) string
}

func newDoc(size fpdf.SizeType) *doc {
	f := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", Size: size})
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.SetCatalogSort(true)
	f.SetProducer("DataForge sample generator", false)
	f.SetAutoPageBreak(false, 0)
	f.SetMargins(0, 0, 0)
	return &doc{Fpdf: f, tr: f.UnicodeTranslatorFromDescriptor("")}
}

var a4 = fpdf.SizeType{Wd: 210, Ht: 297}

func (d *doc) font(style string, size float64) { d.SetFont("Helvetica", style, size) }

// at writes s with its baseline starting at (x, y).
func (d *doc) at(x, y float64, s string) { d.Text(x, y, d.tr(s)) }

// right writes s so that it ends at x.
func (d *doc) right(x, y float64, s string) {
	s = d.tr(s)
	d.Text(x-d.GetStringWidth(s), y, s)
}

func (d *doc) bytes() []byte {
	var buf bytes.Buffer
	if err := d.Output(&buf); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

// table draws an item table with the given column headers and rows; the
// first column is left-aligned at x[0], the others right-aligned at x[i].
// It returns the baseline of the last row.
func (d *doc) table(y float64, x []float64, header []string, rows [][]string) float64 {
	d.font("B", 10)
	for i, h := range header {
		if i == 0 {
			d.at(x[i], y, h)
		} else {
			d.right(x[i], y, h)
		}
	}
	d.Line(x[0], y+2, x[len(x)-1], y+2)
	d.font("", 10)
	for _, row := range rows {
		y += 7
		for i, c := range row {
			if i == 0 {
				d.at(x[i], y, c)
			} else {
				d.right(x[i], y, c)
			}
		}
	}
	d.Line(x[0], y+3, x[len(x)-1], y+3)
	return y
}

// classicInvoice: "Label: value" lines under a letterhead, US dollars, dates
// written out in words.
func classicInvoice() (samples.Expected, []byte) {
	items := []item{
		{"Consulting services (March)", 10, 120},
		{"On-site workshop", 1, 950},
		{"Travel expenses", 1, 345.50},
	}
	sub := sum(items)
	tax := round2(sub * 0.08)
	f := schema.Fields{
		InvoiceNumber: "NW-2024-0117", IssueDate: "2024-03-05", DueDate: "2024-04-04",
		Issuer: "Northwind Traders Inc.", IssuerTaxID: "12-3456789", Currency: "USD",
		Subtotal: ptr(sub), Tax: ptr(tax), Total: ptr(round2(sub + tax)), LineItems: lineItems(items),
	}
	d := newDoc(a4)
	d.AddPage()
	d.font("B", 16)
	d.at(20, 20, f.Issuer)
	d.font("", 10)
	d.at(20, 27, "1200 Market Street, Suite 400")
	d.at(20, 32, "San Francisco, CA 94103")
	d.at(20, 37, "Tax ID: "+f.IssuerTaxID)
	d.font("B", 20)
	d.at(20, 55, "INVOICE")
	d.font("", 10)
	for i, kv := range [][2]string{
		{"Invoice number:", f.InvoiceNumber},
		{"Invoice date:", "March 5, 2024"},
		{"Due date:", "April 4, 2024"},
		{"Terms:", "Net 30"},
	} {
		y := 67 + float64(i)*6
		d.at(20, y, kv[0])
		d.at(60, y, kv[1])
	}
	d.font("B", 10)
	d.at(20, 98, "Bill to:")
	d.font("", 10)
	d.at(20, 104, "Contoso Ltd")
	d.at(20, 109, "88 Harbour Way")
	d.at(20, 114, "Seattle, WA 98101")
	var rows [][]string
	for _, it := range items {
		rows = append(rows, []string{it.desc, qty(it.qty), us(it.unit), us(it.amount())})
	}
	y := d.table(132, []float64{20, 120, 155, 190}, []string{"Description", "Qty", "Unit price", "Amount"}, rows)
	for i, kv := range [][2]string{
		{"Subtotal", "$" + us(*f.Subtotal)},
		{"Sales tax (8%)", "$" + us(*f.Tax)},
		{"Total due", "$" + us(*f.Total)},
	} {
		yy := y + 12 + float64(i)*7
		if i == 2 {
			d.font("B", 11)
		}
		d.at(125, yy, kv[0])
		d.right(190, yy, kv[1])
	}
	d.font("I", 9)
	d.at(20, 275, "Please pay within 30 days. Thank you for your business.")
	return samples.Expected{
		File:        "invoice-classic.pdf",
		Description: "clean invoice, classic layout: letterhead, 'Label: value' lines, item table; USD, dates in words",
		Type:        schema.Invoice, Outcome: samples.OutcomeRules, Fields: &f,
	}, d.bytes()
}

// twoColumnInvoice: issuer block on the left, invoice details on the right
// of the same lines; British pounds, DD/MM/YYYY dates, IBAN in the footer.
func twoColumnInvoice() (samples.Expected, []byte) {
	items := []item{
		{"Logo design", 1, 850},
		{"Business cards (500)", 2, 45},
		{"Brand guidelines", 1, 400},
	}
	sub := sum(items)
	tax := round2(sub * 0.20)
	f := schema.Fields{
		InvoiceNumber: "BD-1042", IssueDate: "2024-03-12", DueDate: "2024-04-11",
		Issuer: "Brightline Design Ltd", IssuerTaxID: "GB123456789", IBAN: "GB29NWBK60161331926819",
		Currency: "GBP", Subtotal: ptr(sub), Tax: ptr(tax), Total: ptr(round2(sub + tax)),
		LineItems: lineItems(items),
	}
	d := newDoc(a4)
	d.AddPage()
	d.font("B", 14)
	d.at(15, 20, f.Issuer)
	d.font("B", 20)
	d.at(130, 20, "INVOICE")
	d.font("", 10)
	left := []string{"14 Camden Passage", "London N1 8EA", "United Kingdom", "VAT No: " + f.IssuerTaxID}
	right := [][2]string{{"Invoice #:", f.InvoiceNumber}, {"Date:", "12/03/2024"}, {"Due:", "11/04/2024"}}
	for i, s := range left {
		y := 28 + float64(i)*5.5
		d.at(15, y, s)
		if i < len(right) {
			d.at(130, y, right[i][0])
			d.at(160, y, right[i][1])
		}
	}
	d.font("B", 10)
	d.at(15, 60, "Bill to:")
	d.font("", 10)
	d.at(15, 66, "Harbor & Finch LLP")
	d.at(15, 71, "2 Kings Road, Brighton BN1 2AA")
	var rows [][]string
	for _, it := range items {
		rows = append(rows, []string{it.desc, qty(it.qty), us(it.unit), us(it.amount())})
	}
	y := d.table(90, []float64{15, 120, 155, 195}, []string{"Item", "Qty", "Price", "Line total"}, rows)
	for i, kv := range [][2]string{
		{"Subtotal", "£" + us(*f.Subtotal)},
		{"VAT @ 20%", "£" + us(*f.Tax)},
		{"Total", "£" + us(*f.Total)},
	} {
		yy := y + 12 + float64(i)*7
		d.at(130, yy, kv[0])
		d.right(195, yy, kv[1])
	}
	d.font("", 8)
	d.at(15, 280, "Bank: NatWest   IBAN: GB29 NWBK 6016 1331 9268 19   BIC: NWBKGB2L")
	d.at(15, 285, "Brightline Design Ltd is registered in England and Wales, company no. 09876543.")
	return samples.Expected{
		File:        "invoice-two-column.pdf",
		Description: "clean invoice, two-column header (issuer left, invoice details right); GBP, DD/MM/YYYY dates, IBAN",
		Type:        schema.Invoice, Outcome: samples.OutcomeRules, Fields: &f,
	}, d.bytes()
}

// tableInvoice: a boxed details table (labels above values) and a wide item
// table with item codes and a VAT column; euros written in English style.
func tableInvoice() (samples.Expected, []byte) {
	type row struct {
		code string
		item
	}
	rows := []row{
		{"PAP-A4-80", item{"Copy paper A4 80g (box)", 12, 24.90}},
		{"TON-HP-26X", item{"Toner cartridge HP 26X", 4, 139.00}},
		{"PEN-BLU-50", item{"Ballpoint pens, blue (50)", 6, 8.75}},
		{"FOL-L-100", item{"L-folders, clear (100)", 5, 11.40}},
		{"STP-24-6", item{"Staples 24/6 (5000)", 10, 2.95}},
		{"CHR-ERG-01", item{"Ergonomic office chair", 2, 289.00}},
		{"LMP-LED-02", item{"LED desk lamp", 3, 42.50}},
		{"NTB-A5-DOT", item{"Notebook A5 dotted", 20, 4.60}},
	}
	items := make([]item, len(rows))
	for i, r := range rows {
		items[i] = r.item
	}
	sub := sum(items)
	tax := round2(sub * 0.23)
	f := schema.Fields{
		InvoiceNumber: "CO-55031", IssueDate: "2024-03-18", DueDate: "2024-04-17",
		Issuer: "Contoso Office Supplies Ltd", IssuerTaxID: "IE6388047V", IBAN: "IE29AIBK93115212345678",
		Currency: "EUR", Subtotal: ptr(sub), Tax: ptr(tax), Total: ptr(round2(sub + tax)),
		LineItems: lineItems(items),
	}
	d := newDoc(a4)
	d.AddPage()
	d.font("B", 16)
	d.at(12, 18, f.Issuer)
	d.font("B", 18)
	d.right(198, 18, "INVOICE")
	d.font("", 9)
	d.at(12, 24, "Unit 7, Greenogue Business Park, Dublin D24 X2N3, Ireland")
	d.at(12, 29, "VAT: "+f.IssuerTaxID+"      www.contoso-office.example")

	d.SetXY(12, 38)
	d.SetFillColor(230, 230, 230)
	d.font("B", 9)
	labels := []string{"Invoice No.", "Invoice Date", "Due Date", "Customer No.", "Currency"}
	values := []string{f.InvoiceNumber, f.IssueDate, f.DueDate, "C-2207", f.Currency}
	for _, l := range labels {
		d.CellFormat(37, 7, l, "1", 0, "L", true, 0, "")
	}
	d.Ln(7)
	d.SetX(12)
	d.font("", 9)
	for _, v := range values {
		d.CellFormat(37, 7, v, "1", 0, "L", false, 0, "")
	}

	d.font("B", 9)
	d.at(12, 62, "Invoice to")
	d.font("", 9)
	d.at(12, 67, "Adventure Works Cycles Ltd, 3 Quay Street, Galway H91 E2X4")

	widths := []float64{8, 28, 62, 14, 24, 16, 34}
	header := []string{"#", "Item code", "Description", "Qty", "Unit price", "VAT", "Net amount"}
	d.SetXY(12, 76)
	d.font("B", 9)
	for i, h := range header {
		align := "R"
		if i == 1 || i == 2 {
			align = "L"
		}
		d.CellFormat(widths[i], 7, h, "1", 0, align, true, 0, "")
	}
	d.font("", 9)
	for n, r := range rows {
		d.Ln(7)
		d.SetX(12)
		cells := []string{fmt.Sprint(n + 1), r.code, r.desc, qty(r.qty), us(r.unit), "23%", us(r.amount())}
		for i, c := range cells {
			align := "R"
			if i == 1 || i == 2 {
				align = "L"
			}
			d.CellFormat(widths[i], 7, d.tr(c), "1", 0, align, false, 0, "")
		}
	}
	y := 76 + 7*float64(len(rows)+1) + 10
	for i, kv := range [][2]string{
		{"Net total", "EUR " + us(*f.Subtotal)},
		{"VAT 23%", "EUR " + us(*f.Tax)},
		{"Total amount due", "EUR " + us(*f.Total)},
	} {
		if i == 2 {
			d.font("B", 10)
		}
		d.at(120, y+float64(i)*7, kv[0])
		d.right(198, y+float64(i)*7, kv[1])
	}
	d.font("", 8)
	d.at(12, 282, "Payment by bank transfer within 30 days.   IBAN: IE29 AIBK 9311 5212 3456 78   BIC: AIBKIE2D")
	return samples.Expected{
		File:        "invoice-table.pdf",
		Description: "clean invoice, table-heavy: boxed details (labels above values), 8 items with codes and a VAT column; EUR in English number style",
		Type:        schema.Invoice, Outcome: samples.OutcomeRules, Fields: &f,
	}, d.bytes()
}

// dutchInvoice: a Dutch invoice in euros with 1.234,56 amounts and
// DD-MM-YYYY dates.
func dutchInvoice() (samples.Expected, []byte) {
	items := []item{
		{"Taart op maat", 2, 185},
		{"Broodjes (catering)", 120, 4.75},
		{"Bezorgkosten", 1, 294.56},
	}
	sub := sum(items)
	tax := round2(sub * 0.21)
	f := schema.Fields{
		InvoiceNumber: "2024-0311", IssueDate: "2024-03-05", DueDate: "2024-04-04",
		Issuer: "Bakkerij De Gouden Korenaar B.V.", IssuerTaxID: "NL123456789B01", IBAN: "NL91ABNA0417164300",
		Currency: "EUR", Subtotal: ptr(sub), Tax: ptr(tax), Total: ptr(round2(sub + tax)),
		LineItems: lineItems(items),
	}
	d := newDoc(a4)
	d.AddPage()
	d.font("B", 16)
	d.at(20, 20, f.Issuer)
	d.font("", 10)
	d.at(20, 27, "Dorpsstraat 12, 3512 AB Utrecht")
	d.at(20, 32, "KvK: 12345678      BTW-nummer: "+f.IssuerTaxID)
	d.font("B", 18)
	d.at(20, 48, "FACTUUR")
	d.font("", 10)
	for i, kv := range [][2]string{
		{"Factuurnummer:", f.InvoiceNumber},
		{"Factuurdatum:", "05-03-2024"},
		{"Vervaldatum:", "04-04-2024"},
	} {
		d.at(20, 58+float64(i)*6, kv[0])
		d.at(60, 58+float64(i)*6, kv[1])
	}
	d.at(20, 82, "Klant: Hotel Zonnezicht, Stationsweg 4, 3811 Amersfoort")
	var rows [][]string
	for _, it := range items {
		rows = append(rows, []string{it.desc, qty(it.qty), "€ " + eu(it.unit), "€ " + eu(it.amount())})
	}
	y := d.table(98, []float64{20, 120, 155, 190}, []string{"Omschrijving", "Aantal", "Prijs", "Bedrag"}, rows)
	for i, kv := range [][2]string{
		{"Subtotaal", "€ " + eu(*f.Subtotal)},
		{"BTW 21%", "€ " + eu(*f.Tax)},
		{"Totaal", "€ " + eu(*f.Total)},
	} {
		d.at(125, y+12+float64(i)*7, kv[0])
		d.right(190, y+12+float64(i)*7, kv[1])
	}
	d.font("", 9)
	d.at(20, 270, "Gelieve binnen 30 dagen te betalen op IBAN NL91 ABNA 0417 1643 00")
	d.at(20, 275, "t.n.v. Bakkerij De Gouden Korenaar B.V. onder vermelding van het factuurnummer.")
	return samples.Expected{
		File:        "factuur-eur.pdf",
		Description: "clean Dutch invoice (factuur) in EUR with 1.234,56 amounts and DD-MM-YYYY dates",
		Type:        schema.Invoice, Outcome: samples.OutcomeRules, Fields: &f,
	}, d.bytes()
}

var receiptSize = fpdf.SizeType{Wd: 80, Ht: 150}

// groceryReceipt: a narrow till receipt in US dollars, no tax line.
func groceryReceipt() (samples.Expected, []byte) {
	items := []item{
		{"Whole milk 1 gal", 0, 3.49},
		{"Bread, sourdough", 0, 4.29},
		{"Apples", 3, 0.80},
		{"Eggs (dozen)", 0, 2.99},
	}
	f := schema.Fields{
		InvoiceNumber: "000482", IssueDate: "2024-03-08", Issuer: "Corner Market",
		Currency: "USD", Total: ptr(sum(items)), LineItems: lineItems(items),
	}
	d := newDoc(receiptSize)
	d.AddPage()
	d.font("B", 13)
	d.right(40+d.GetStringWidth(f.Issuer)/2, 12, f.Issuer)
	d.font("", 8)
	d.at(8, 18, "221 Elm Street, Springfield")
	d.at(8, 22, "Tel. (555) 010-4477")
	d.at(8, 30, "Receipt #: "+f.InvoiceNumber)
	d.at(8, 34, "Date: 03/08/2024   14:32")
	d.Line(8, 37, 72, 37)
	y := 42.0
	for _, it := range items {
		desc := it.desc
		if it.qty != 0 {
			desc = fmt.Sprintf("%s %s x %.2f", it.desc, qty(it.qty), it.unit)
		}
		d.at(8, y, desc)
		d.right(72, y, us(it.amount()))
		y += 4.5
	}
	d.Line(8, y-1.5, 72, y-1.5)
	d.font("B", 10)
	d.at(8, y+4, "TOTAL")
	d.right(72, y+4, "$"+us(*f.Total))
	d.font("", 8)
	d.at(8, y+9, "CASH")
	d.right(72, y+9, "$20.00")
	d.at(8, y+13, "CHANGE")
	d.right(72, y+13, "$"+us(20-*f.Total))
	d.at(18, y+22, "Thank you for shopping with us!")
	return samples.Expected{
		File:        "receipt-grocery.pdf",
		Description: "shop receipt (till roll), USD, MM/DD/YYYY date, cash payment, no tax line",
		Type:        schema.Receipt, Outcome: samples.OutcomeRules, Fields: &f,
	}, d.bytes()
}

// cafeReceipt: a German café receipt in euros, VAT included in the total.
func cafeReceipt() (samples.Expected, []byte) {
	items := []item{
		{"Cappuccino", 2, 3.20},
		{"Croissant", 0, 2.50},
	}
	total := sum(items)
	f := schema.Fields{
		InvoiceNumber: "1187", IssueDate: "2024-03-09", Issuer: "Café Morgenrot",
		IssuerTaxID: "27/123/45678", Currency: "EUR",
		Tax: ptr(round2(total - total/1.19)), Total: ptr(total), LineItems: lineItems(items),
	}
	d := newDoc(receiptSize)
	d.AddPage()
	d.font("B", 13)
	d.at(22, 12, f.Issuer)
	d.font("", 8)
	d.at(8, 18, "Lindenallee 5, 10115 Berlin")
	d.at(8, 22, "St.-Nr. "+f.IssuerTaxID)
	d.font("B", 9)
	d.at(8, 30, "Kassenbon")
	d.font("", 8)
	d.at(8, 35, "Bon-Nr.: "+f.InvoiceNumber)
	d.at(8, 39, "Datum: 09.03.2024   08:47")
	d.Line(8, 42, 72, 42)
	y := 47.0
	for _, it := range items {
		desc := it.desc
		if it.qty != 0 {
			desc = fmt.Sprintf("%s %s x %s", it.desc, qty(it.qty), eu(it.unit))
		}
		d.at(8, y, desc)
		d.right(72, y, eu(it.amount()))
		y += 4.5
	}
	d.Line(8, y-1.5, 72, y-1.5)
	d.font("B", 10)
	d.at(8, y+4, "Summe EUR")
	d.right(72, y+4, eu(total))
	d.font("", 8)
	d.at(8, y+9, "enth. MwSt. 19%")
	d.right(72, y+9, eu(*f.Tax))
	d.at(8, y+14, "Bar")
	d.right(72, y+14, "10,00")
	d.at(8, y+18, "Rückgeld")
	d.right(72, y+18, eu(10-total))
	d.at(15, y+27, "Vielen Dank für Ihren Besuch!")
	return samples.Expected{
		File:        "receipt-cafe.pdf",
		Description: "German café receipt (Kassenbon), EUR with 8,90 amounts, DD.MM.YYYY date, VAT included in the total",
		Type:        schema.Receipt, Outcome: samples.OutcomeRules, Fields: &f,
	}, d.bytes()
}

// multipageInvoice: 45 items over three pages with repeated headers and page
// numbers; the totals are on the last page.
func multipageInvoice() (samples.Expected, []byte) {
	parts := []string{
		"Resistor kit 10k (100 pcs)", "Ceramic capacitor 100nF", "Electrolytic capacitor 470uF",
		"LED red 5mm", "Microcontroller board", "USB-C connector", "Pin header 2x20",
		"Voltage regulator 3.3V", "Breadboard, full size", "Jumper wires (65)",
		"Crystal oscillator 16MHz", "Push button 6x6mm", "Heat shrink tubing set",
		"Solder wire 0.8mm (100g)", "Enclosure ABS 120x80",
	}
	var items []item
	for i := range 45 {
		items = append(items, item{
			desc: fmt.Sprintf("%s, batch %c", parts[i%len(parts)], 'A'+i/len(parts)),
			qty:  float64(1 + (i*7)%12),
			unit: float64(35+(i*37)%400) / 20,
		})
	}
	sub := sum(items)
	tax := round2(sub * 0.0725)
	f := schema.Fields{
		InvoiceNumber: "LW-88120", IssueDate: "2024-02-28", DueDate: "2024-03-29",
		Issuer: "Litware Components Inc.", IssuerTaxID: "98-7654321", Currency: "USD",
		Subtotal: ptr(sub), Tax: ptr(tax), Total: ptr(round2(sub + tax)), LineItems: lineItems(items),
	}
	d := newDoc(a4)
	const perPage = 18
	for page := range 3 {
		d.AddPage()
		d.font("B", 14)
		d.at(15, 18, f.Issuer)
		d.font("", 9)
		y := 30.0
		if page == 0 {
			d.at(15, 24, "500 Foundry Road, Portland, OR 97209      Tax ID: "+f.IssuerTaxID)
			d.font("B", 18)
			d.at(15, 38, "INVOICE")
			d.font("", 10)
			for i, kv := range [][2]string{
				{"Invoice No:", f.InvoiceNumber}, {"Invoice Date:", f.IssueDate}, {"Due Date:", f.DueDate},
			} {
				d.at(15, 47+float64(i)*5.5, kv[0])
				d.at(50, 47+float64(i)*5.5, kv[1])
			}
			d.at(120, 47, "Bill to: Proseware Robotics, 9 Mill Lane, Boise, ID 83702")
			y = 72
		} else {
			d.right(195, 18, "Invoice "+f.InvoiceNumber+" (continued)")
		}
		var rows [][]string
		for _, it := range items[page*perPage : min(len(items), (page+1)*perPage)] {
			rows = append(rows, []string{it.desc, qty(it.qty), us(it.unit), us(it.amount())})
		}
		y = d.table(y, []float64{15, 130, 160, 195}, []string{"Description", "Qty", "Unit price", "Amount"}, rows)
		if page == 2 {
			for i, kv := range [][2]string{
				{"Subtotal", "$" + us(*f.Subtotal)},
				{"Sales tax (7.25%)", "$" + us(*f.Tax)},
				{"Total due", "$" + us(*f.Total)},
			} {
				d.at(125, y+12+float64(i)*7, kv[0])
				d.right(195, y+12+float64(i)*7, kv[1])
			}
		}
		d.font("", 8)
		d.right(195, 287, fmt.Sprintf("Page %d of 3", page+1))
	}
	return samples.Expected{
		File:        "invoice-multipage.pdf",
		Description: "3-page invoice: 45 items over the pages, header repeated, 'Page n of 3' footers, totals on the last page; USD",
		Type:        schema.Invoice, Outcome: samples.OutcomeRules, Fields: &f,
	}, d.bytes()
}

// scannedInvoice: the plain-text invoice printed and scanned (see scan):
// one JPEG page and no text layer, so only OCR reads it.
func scannedInvoice() (samples.Expected, []byte) {
	e, data := plainTextInvoice()
	jpg, err := scan(strings.ReplaceAll(string(data), "\r\n", "\n"), rand.New(rand.NewPCG(2026, 3307)))
	if err != nil {
		log.Fatal(err)
	}
	e.File, e.OCR = "invoice-scanned.pdf", true
	e.Description = "image-only PDF (a scan of invoice-plain.txt's text: grey, slightly turned, speckled JPEG), no text layer: read by OCR"
	return e, imagePDF(jpg, "JPG")
}

// corruptInvoice: the classic invoice cut off before its cross-reference
// table, with a run of bytes overwritten.
func corruptInvoice() (samples.Expected, []byte) {
	_, data := classicInvoice()
	data = bytes.Clone(data[:len(data)*3/5])
	mid := len(data) / 2
	copy(data[mid:], bytes.Repeat([]byte{0x00, 0xFF, '?', '>'}, 64))
	return samples.Expected{
		File:        "invoice-corrupt.pdf",
		Description: "damaged PDF: a valid invoice truncated (no xref table or trailer) and partly overwritten",
		Type:        schema.Invoice, ParseError: "corrupt",
	}, data
}

// encryptedInvoice: an invoice that needs a password to open.
func encryptedInvoice() (samples.Expected, []byte) {
	d := newDoc(a4)
	d.SetProtection(fpdf.CnProtectPrint, "open-sesame", "owner-secret")
	d.AddPage()
	d.font("B", 16)
	d.at(20, 20, "Fabrikam Legal Services LLP")
	d.font("", 10)
	d.at(20, 30, "Invoice number: FL-7781")
	d.at(20, 36, "Invoice date: 2024-03-11")
	d.at(20, 42, "Total: USD 4,200.00")
	return samples.Expected{
		File:        "invoice-encrypted.pdf",
		Description: "password-protected PDF (RC4, user password set): cannot be read without the password",
		Type:        schema.Invoice, ParseError: "encrypted",
	}, d.bytes()
}

// plainTextInvoice: a text-file invoice with CRLF line endings and a
// space-aligned item table.
func plainTextInvoice() (samples.Expected, []byte) {
	items := []item{
		{"Wooden train set", 4, 39.95},
		{"Puzzle, 1000 pieces", 6, 14.50},
		{"Shipping", 1, 12},
	}
	sub := sum(items)
	tax := round2(sub * 0.0825)
	f := schema.Fields{
		InvoiceNumber: "TT-3307", IssueDate: "2024-03-15", DueDate: "2024-04-14",
		Issuer: "Tailspin Toys LLC", IssuerTaxID: "45-1234567", Currency: "USD",
		Subtotal: ptr(sub), Tax: ptr(tax), Total: ptr(round2(sub + tax)), LineItems: lineItems(items),
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	p("%s", f.Issuer)
	p("PO Box 1138, Austin, TX 78701")
	p("EIN: %s", f.IssuerTaxID)
	p("")
	p("INVOICE")
	p("")
	p("Invoice No.: %s", f.InvoiceNumber)
	p("Date: 15 March 2024")
	p("Due date: 14 April 2024")
	p("")
	p("Bill to:")
	p("  Wide World Importers")
	p("  77 Commerce Blvd, Dallas, TX 75201")
	p("")
	p("%-30s %5s %13s %11s", "Description", "Qty", "Unit price", "Amount")
	for _, it := range items {
		p("%-30s %5s %13.2f %11.2f", it.desc, qty(it.qty), it.unit, it.amount())
	}
	p("")
	p("%-40s USD %8s", "Subtotal", us(sub))
	p("%-40s USD %8s", "Sales tax (8.25%)", us(tax))
	p("%-40s USD %8s", "Total", us(*f.Total))
	p("")
	p("Payment by bank transfer to account 000123456789 (routing 111000025).")
	return samples.Expected{
		File:        "invoice-plain.txt",
		Description: "plain-text invoice (UTF-8, CRLF line endings), space-aligned table, USD code amounts, dates in words",
		Type:        schema.Invoice, Outcome: samples.OutcomeRules, Fields: &f,
	}, []byte(b.String())
}

// letter: a non-financial letter.
func letter() (samples.Expected, []byte) {
	d := newDoc(a4)
	d.AddPage()
	d.font("B", 15)
	d.at(25, 25, "Greenfield Community Garden")
	d.font("", 10)
	d.at(25, 31, "14 Orchard Lane, Millbrook")
	d.at(25, 50, "12 February 2024")
	d.font("", 11)
	y := 65.0
	for _, line := range []string{
		"Dear members,",
		"",
		"Spring is nearly here, and with it our annual planting day. We will meet on Saturday",
		"16 March at ten o'clock at the main gate. Please bring gloves, a trowel and, if you",
		"can, seedlings to share with your neighbours.",
		"",
		"The committee has also agreed to extend the rainwater collection system along the",
		"north fence. Volunteers who would like to help are warmly welcome; just let us know",
		"at the gate or drop a note in the shed.",
		"",
		"Kind regards,",
		"",
		"Maria Lopez",
		"Secretary",
	} {
		d.at(25, y, line)
		y += 6.5
	}
	return samples.Expected{
		File:        "letter.pdf",
		Description: "non-financial letter (type other): nothing to extract",
		Type:        schema.Other, Outcome: samples.OutcomeRules, Fields: &schema.Fields{},
	}, d.bytes()
}

// messyInvoice: an invoice the rules cannot read with confidence: the issuer
// only at the bottom, no invoice number label, a two-digit ambiguous date, no
// currency, and two totals that disagree.
func messyInvoice() (samples.Expected, []byte) {
	d := newDoc(a4)
	d.AddPage()
	d.font("B", 22)
	d.at(20, 25, "INVOICE")
	d.font("", 11)
	for i, line := range []string{
		"Bill to: Riverside Dental Clinic, 4 Harbour Road",
		"ref 2024/117      PO 5521",
		"03/04/05",
		"",
		"Repairs, waiting room ................ 1.250",
		"Materials                     310,5",
		"",
		"Total 1.560,50",
		"TOTAL DUE        1,650.50",
		"",
		"Thanks! J. Doe Handyman Services",
	} {
		d.at(20, 40+float64(i)*7, line)
	}
	return samples.Expected{
		File:        "invoice-messy.pdf",
		Description: "deliberately messy invoice: issuer at the bottom, no invoice number label, ambiguous two-digit date, no currency, conflicting totals; no reliable ground truth, a person must decide",
		Type:        schema.Invoice, Outcome: samples.OutcomeReview,
	}, d.bytes()
}
