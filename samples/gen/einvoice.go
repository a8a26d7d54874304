package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/samples"
)

// eInvoice is an invoice written as EN 16931 XML: CII (several profiles),
// ZUGFeRD 1.0 or UBL.
type eInvoice struct {
	number, typeCode      string
	issued, due           time.Time
	seller, sellerVAT     string
	buyer, buyerVAT, iban string
	currency              string
	items                 []item
	allowance             float64 // document level, before tax
	allowanceReason       string
	rate                  float64 // VAT rate, percent
	prepaid               float64
}

func (e *eInvoice) lineTotal() float64 { return sum(e.items) }
func (e *eInvoice) basis() float64     { return round2(e.lineTotal() - e.allowance) }
func (e *eInvoice) tax() float64       { return round2(e.basis() * e.rate / 100) }
func (e *eInvoice) grand() float64     { return round2(e.basis() + e.tax()) }
func (e *eInvoice) dueAmount() float64 { return round2(e.grand() - e.prepaid) }

// fields are what the einvoice tier reads from the XML; withLines says
// whether the profile carries invoice lines.
func (e *eInvoice) fields(withLines bool) *schema.Fields {
	f := &schema.Fields{
		InvoiceNumber: e.number, IssueDate: e.issued.Format(time.DateOnly), DueDate: e.due.Format(time.DateOnly),
		Issuer: e.seller, IssuerTaxID: e.sellerVAT, IBAN: e.iban, Currency: e.currency,
		Subtotal: ptr(e.basis()), Tax: ptr(e.tax()), Total: ptr(e.grand()),
	}
	if withLines {
		f.LineItems = lineItems(e.items)
		if e.allowance != 0 {
			f.LineItems = append(f.LineItems, schema.LineItem{Description: "Allowances: " + e.allowanceReason, Amount: ptr(-e.allowance)})
		}
	}
	return f
}

func amt(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// xw writes indented XML elements.
type xw struct {
	b     bytes.Buffer
	depth int
}

func (w *xw) open(name string, attrs ...string) {
	w.b.WriteString(strings.Repeat("  ", w.depth) + "<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		fmt.Fprintf(&w.b, " %s=%q", attrs[i], attrs[i+1])
	}
	w.b.WriteString(">\n")
	w.depth++
}

func (w *xw) close(name string) {
	w.depth--
	w.b.WriteString(strings.Repeat("  ", w.depth) + "</" + name + ">\n")
}

// el writes <name attrs>text</name>.
func (w *xw) el(name, text string, attrs ...string) {
	w.b.WriteString(strings.Repeat("  ", w.depth) + "<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		fmt.Fprintf(&w.b, " %s=%q", attrs[i], attrs[i+1])
	}
	w.b.WriteString(">")
	_ = xml.EscapeText(&w.b, []byte(text))
	w.b.WriteString("</" + name + ">\n")
}

// ciiProfile is a CII profile: its guideline identifier and what it carries.
type ciiProfile struct {
	name, guideline string
	lines           bool // invoice lines (BASIC and up)
	parties         bool // VAT ids, IBAN, due date (BASIC WL and up)
}

var ciiProfiles = []ciiProfile{
	{"minimum", "urn:factur-x.eu:1p0:minimum", false, false},
	{"basic-wl", "urn:factur-x.eu:1p0:basicwl", false, true},
	{"basic", "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", true, true},
	{"en16931", "urn:cen.eu:en16931:2017", true, true},
	{"extended", "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", true, true},
	{"xrechnung", "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0", true, true},
}

// cii writes e as a CII D16B CrossIndustryInvoice, or with zugferd1 as a
// ZUGFeRD 1.0 CrossIndustryDocument (same content, older element names).
func (e *eInvoice) cii(p ciiProfile, zugferd1 bool) []byte {
	n := map[string]string{
		"root": "rsm:CrossIndustryInvoice", "context": "rsm:ExchangedDocumentContext", "doc": "rsm:ExchangedDocument",
		"tx": "rsm:SupplyChainTradeTransaction", "agreement": "ram:ApplicableHeaderTradeAgreement",
		"delivery": "ram:ApplicableHeaderTradeDelivery", "settlement": "ram:ApplicableHeaderTradeSettlement",
		"sum": "ram:SpecifiedTradeSettlementHeaderMonetarySummation", "lineAgreement": "ram:SpecifiedLineTradeAgreement",
		"lineDelivery": "ram:SpecifiedLineTradeDelivery", "lineSettlement": "ram:SpecifiedLineTradeSettlement",
		"lineSum": "ram:SpecifiedTradeSettlementLineMonetarySummation",
	}
	ns := []string{"xmlns:rsm", "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
		"xmlns:ram", "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
		"xmlns:udt", "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"}
	if zugferd1 {
		for k, v := range map[string]string{
			"root": "rsm:CrossIndustryDocument", "context": "rsm:SpecifiedExchangedDocumentContext", "doc": "rsm:HeaderExchangedDocument",
			"tx": "rsm:SpecifiedSupplyChainTradeTransaction", "agreement": "ram:ApplicableSupplyChainTradeAgreement",
			"delivery": "ram:ApplicableSupplyChainTradeDelivery", "settlement": "ram:ApplicableSupplyChainTradeSettlement",
			"sum": "ram:SpecifiedTradeSettlementMonetarySummation", "lineAgreement": "ram:SpecifiedSupplyChainTradeAgreement",
			"lineDelivery": "ram:SpecifiedSupplyChainTradeDelivery", "lineSettlement": "ram:SpecifiedSupplyChainTradeSettlement",
			"lineSum": "ram:SpecifiedTradeSettlementMonetarySummation",
		} {
			n[k] = v
		}
		ns = []string{"xmlns:rsm", "urn:ferd:CrossIndustryDocument:invoice:1p0",
			"xmlns:ram", "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
			"xmlns:udt", "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15"}
	}
	date := func(w *xw, name string, t time.Time) {
		w.open(name)
		w.el("udt:DateTimeString", t.Format("20060102"), "format", "102")
		w.close(name)
	}
	w := &xw{}
	w.b.WriteString(xml.Header)
	w.open(n["root"], ns...)
	w.open(n["context"])
	w.open("ram:GuidelineSpecifiedDocumentContextParameter")
	w.el("ram:ID", p.guideline)
	w.close("ram:GuidelineSpecifiedDocumentContextParameter")
	w.close(n["context"])
	w.open(n["doc"])
	w.el("ram:ID", e.number)
	w.el("ram:TypeCode", e.typeCode)
	date(w, "ram:IssueDateTime", e.issued)
	w.close(n["doc"])
	w.open(n["tx"])
	lines := func() {
		if !p.lines {
			return
		}
		for i, it := range e.items {
			w.open("ram:IncludedSupplyChainTradeLineItem")
			w.open("ram:AssociatedDocumentLineDocument")
			w.el("ram:LineID", strconv.Itoa(i+1))
			w.close("ram:AssociatedDocumentLineDocument")
			if !zugferd1 {
				w.open("ram:SpecifiedTradeProduct")
				w.el("ram:Name", it.desc)
				w.close("ram:SpecifiedTradeProduct")
			}
			w.open(n["lineAgreement"])
			w.open("ram:NetPriceProductTradePrice")
			w.el("ram:ChargeAmount", amt(it.unit))
			w.close("ram:NetPriceProductTradePrice")
			w.close(n["lineAgreement"])
			w.open(n["lineDelivery"])
			w.el("ram:BilledQuantity", qty(it.qty), "unitCode", "C62")
			w.close(n["lineDelivery"])
			w.open(n["lineSettlement"])
			w.open("ram:ApplicableTradeTax")
			w.el("ram:TypeCode", "VAT")
			w.el("ram:CategoryCode", "S")
			w.el("ram:RateApplicablePercent", amt(e.rate))
			w.close("ram:ApplicableTradeTax")
			w.open(n["lineSum"])
			w.el("ram:LineTotalAmount", amt(it.amount()))
			w.close(n["lineSum"])
			w.close(n["lineSettlement"])
			if zugferd1 {
				w.open("ram:SpecifiedTradeProduct")
				w.el("ram:Name", it.desc)
				w.close("ram:SpecifiedTradeProduct")
			}
			w.close("ram:IncludedSupplyChainTradeLineItem")
		}
	}
	if !zugferd1 {
		lines() // CII D16B: lines first; ZUGFeRD 1: after the header
	}
	w.open(n["agreement"])
	w.open("ram:SellerTradeParty")
	w.el("ram:Name", e.seller)
	if p.parties {
		w.open("ram:SpecifiedTaxRegistration")
		w.el("ram:ID", e.sellerVAT, "schemeID", "VA")
		w.close("ram:SpecifiedTaxRegistration")
	}
	w.close("ram:SellerTradeParty")
	w.open("ram:BuyerTradeParty")
	w.el("ram:Name", e.buyer)
	w.close("ram:BuyerTradeParty")
	w.close(n["agreement"])
	w.el(n["delivery"], "")
	w.open(n["settlement"])
	w.el("ram:InvoiceCurrencyCode", e.currency)
	if p.parties {
		w.open("ram:SpecifiedTradeSettlementPaymentMeans")
		w.el("ram:TypeCode", "58")
		w.open("ram:PayeePartyCreditorFinancialAccount")
		w.el("ram:IBANID", e.iban)
		w.close("ram:PayeePartyCreditorFinancialAccount")
		w.close("ram:SpecifiedTradeSettlementPaymentMeans")
		w.open("ram:ApplicableTradeTax")
		w.el("ram:CalculatedAmount", amt(e.tax()))
		w.el("ram:TypeCode", "VAT")
		w.el("ram:BasisAmount", amt(e.basis()))
		w.el("ram:CategoryCode", "S")
		w.el("ram:RateApplicablePercent", amt(e.rate))
		w.close("ram:ApplicableTradeTax")
		if e.allowance != 0 {
			w.open("ram:SpecifiedTradeAllowanceCharge")
			w.open("ram:ChargeIndicator")
			w.el("udt:Indicator", "false")
			w.close("ram:ChargeIndicator")
			w.el("ram:ActualAmount", amt(e.allowance))
			w.el("ram:Reason", e.allowanceReason)
			w.close("ram:SpecifiedTradeAllowanceCharge")
		}
		w.open("ram:SpecifiedTradePaymentTerms")
		date(w, "ram:DueDateDateTime", e.due)
		w.close("ram:SpecifiedTradePaymentTerms")
	}
	w.open(n["sum"])
	if p.parties {
		w.el("ram:LineTotalAmount", amt(e.lineTotal()))
		w.el("ram:AllowanceTotalAmount", amt(e.allowance))
	}
	w.el("ram:TaxBasisTotalAmount", amt(e.basis()))
	w.el("ram:TaxTotalAmount", amt(e.tax()), "currencyID", e.currency)
	w.el("ram:GrandTotalAmount", amt(e.grand()))
	if e.prepaid != 0 {
		w.el("ram:TotalPrepaidAmount", amt(e.prepaid))
	}
	w.el("ram:DuePayableAmount", amt(e.dueAmount()))
	w.close(n["sum"])
	w.close(n["settlement"])
	if zugferd1 {
		lines()
	}
	w.close(n["tx"])
	w.close(n["root"])
	return w.b.Bytes()
}

// ubl writes e as a UBL 2.1 Invoice, or a CreditNote for type code 381.
func (e *eInvoice) ubl() []byte {
	root, line, quantity, typeName := "Invoice", "cac:InvoiceLine", "cbc:InvoicedQuantity", "cbc:InvoiceTypeCode"
	if e.typeCode == "381" {
		root, line, quantity, typeName = "CreditNote", "cac:CreditNoteLine", "cbc:CreditedQuantity", "cbc:CreditNoteTypeCode"
	}
	cur := []string{"currencyID", e.currency}
	w := &xw{}
	w.b.WriteString(xml.Header)
	w.open(root, "xmlns", "urn:oasis:names:specification:ubl:schema:xsd:"+root+"-2",
		"xmlns:cac", "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
		"xmlns:cbc", "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2")
	w.el("cbc:CustomizationID", "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0")
	w.el("cbc:ID", e.number)
	w.el("cbc:IssueDate", e.issued.Format(time.DateOnly))
	if root == "Invoice" {
		w.el("cbc:DueDate", e.due.Format(time.DateOnly))
	}
	w.el(typeName, e.typeCode)
	w.el("cbc:DocumentCurrencyCode", e.currency)
	party := func(role, name, vat string) {
		w.open(role)
		w.open("cac:Party")
		if vat != "" {
			w.open("cac:PartyTaxScheme")
			w.el("cbc:CompanyID", vat)
			w.open("cac:TaxScheme")
			w.el("cbc:ID", "VAT")
			w.close("cac:TaxScheme")
			w.close("cac:PartyTaxScheme")
		}
		w.open("cac:PartyLegalEntity")
		w.el("cbc:RegistrationName", name)
		w.close("cac:PartyLegalEntity")
		w.close("cac:Party")
		w.close(role)
	}
	party("cac:AccountingSupplierParty", e.seller, e.sellerVAT)
	party("cac:AccountingCustomerParty", e.buyer, e.buyerVAT)
	w.open("cac:PaymentMeans")
	w.el("cbc:PaymentMeansCode", "58")
	if root == "CreditNote" {
		w.el("cbc:PaymentDueDate", e.due.Format(time.DateOnly))
	}
	w.open("cac:PayeeFinancialAccount")
	w.el("cbc:ID", e.iban)
	w.close("cac:PayeeFinancialAccount")
	w.close("cac:PaymentMeans")
	if e.allowance != 0 {
		w.open("cac:AllowanceCharge")
		w.el("cbc:ChargeIndicator", "false")
		w.el("cbc:AllowanceChargeReason", e.allowanceReason)
		w.el("cbc:Amount", amt(e.allowance), cur...)
		w.close("cac:AllowanceCharge")
	}
	w.open("cac:TaxTotal")
	w.el("cbc:TaxAmount", amt(e.tax()), cur...)
	w.open("cac:TaxSubtotal")
	w.el("cbc:TaxableAmount", amt(e.basis()), cur...)
	w.el("cbc:TaxAmount", amt(e.tax()), cur...)
	w.close("cac:TaxSubtotal")
	w.close("cac:TaxTotal")
	w.open("cac:LegalMonetaryTotal")
	w.el("cbc:LineExtensionAmount", amt(e.lineTotal()), cur...)
	w.el("cbc:TaxExclusiveAmount", amt(e.basis()), cur...)
	w.el("cbc:TaxInclusiveAmount", amt(e.grand()), cur...)
	w.el("cbc:AllowanceTotalAmount", amt(e.allowance), cur...)
	w.el("cbc:PrepaidAmount", amt(e.prepaid), cur...)
	w.el("cbc:PayableAmount", amt(e.dueAmount()), cur...)
	w.close("cac:LegalMonetaryTotal")
	for i, it := range e.items {
		w.open(line)
		w.el("cbc:ID", strconv.Itoa(i+1))
		w.el(quantity, qty(it.qty), "unitCode", "C62")
		w.el("cbc:LineExtensionAmount", amt(it.amount()), cur...)
		w.open("cac:Item")
		w.el("cbc:Name", it.desc)
		w.close("cac:Item")
		w.open("cac:Price")
		w.el("cbc:PriceAmount", amt(it.unit), cur...)
		w.close("cac:Price")
		w.close(line)
	}
	w.close(root)
	return w.b.Bytes()
}

// sampleEInvoice is the e-invoice of the samples: a Factur-X style PDF and
// the test set are written from it.
func sampleEInvoice() *eInvoice {
	return &eInvoice{
		number: "FX-2024-0042", typeCode: "380",
		issued: time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC), due: time.Date(2024, 4, 3, 0, 0, 0, 0, time.UTC),
		seller: "Lindqvist & Vogel GmbH", sellerVAT: "DE298765432",
		buyer: "Northwind Traders Inc.", buyerVAT: "FR61954506077", iban: "DE02120300000000202051",
		currency: "EUR",
		items: []item{
			{"Cloud storage, 2 TB (March)", 3, 24.50},
			{"Support hours", 4, 85},
			{"Setup fee", 1, 120},
		},
		allowance: 20, allowanceReason: "loyalty discount", rate: 19, prepaid: 100,
	}
}

// eInvoicePDF: a Factur-X style PDF/A-3: a printed invoice that carries the
// same invoice as CII XML (EN 16931 profile) in an embedded factur-x.xml,
// listed both in the /EmbeddedFiles name tree and the catalog's /AF array.
func eInvoicePDF() (samples.Expected, []byte) {
	e := sampleEInvoice()
	xmlData := e.cii(ciiProfiles[3], false)
	d := newDoc(a4)
	d.SetAttachments([]fpdf.Attachment{{Content: xmlData, Filename: "factur-x.xml", Description: "Factur-X invoice"}})
	d.AddPage()
	d.font("B", 16)
	d.at(20, 25, e.seller)
	d.font("", 10)
	d.at(20, 32, "VAT ID "+e.sellerVAT)
	d.font("B", 13)
	d.at(20, 50, "RECHNUNG / INVOICE")
	d.font("", 10)
	for i, kv := range [][2]string{
		{"Invoice number", e.number}, {"Invoice date", e.issued.Format("02.01.2006")},
		{"Due date", e.due.Format("02.01.2006")}, {"Bill to", e.buyer},
	} {
		d.at(20, 60+float64(i)*6, kv[0]+": "+kv[1])
	}
	var rows [][]string
	for _, it := range e.items {
		rows = append(rows, []string{it.desc, qty(it.qty), eu(it.unit), eu(it.amount())})
	}
	rows = append(rows, []string{"Discount (" + e.allowanceReason + ")", "", "", eu(-e.allowance)})
	y := d.table(95, []float64{20, 120, 155, 190}, []string{"Description", "Qty", "Unit price", "Amount"}, rows)
	for i, kv := range [][2]string{
		{"Subtotal", eu(e.basis())}, {"VAT 19%", eu(e.tax())}, {"Total EUR", eu(e.grand())},
		{"Paid in advance", eu(e.prepaid)}, {"Amount due EUR", eu(e.dueAmount())},
	} {
		d.at(120, y+12+float64(i)*6, kv[0])
		d.right(190, y+12+float64(i)*6, kv[1])
	}
	d.at(20, y+50, "IBAN "+groups(e.iban))
	return samples.Expected{
		File:        "einvoice-factur-x.pdf",
		Description: "Factur-X (EN 16931) PDF: the invoice as CII XML in an embedded factur-x.xml (/EmbeddedFiles and /AF)",
		Type:        schema.Invoice, Outcome: samples.OutcomeEInvoice, Fields: e.fields(true),
	}, withAF(d.bytes())
}

// eInvoiceXML: a bare XRechnung in UBL syntax.
func eInvoiceXML() (samples.Expected, []byte) {
	e := sampleEInvoice()
	e.number, e.prepaid = "XR-2024-0007", 0
	return samples.Expected{
		File:        "einvoice-xrechnung.xml",
		Description: "XRechnung 3.0 in UBL syntax, submitted as bare XML",
		Type:        schema.Invoice, Outcome: samples.OutcomeEInvoice, Fields: e.fields(true),
	}, e.ubl()
}

var (
	catalogRe = regexp.MustCompile(`(?s)\n(\d+) 0 obj\n(<<\s*/Type /Catalog.*?)\nendobj`)
	filespec  = regexp.MustCompile(`\n(\d+) 0 obj\n<< /Type /Filespec`)
	startxref = regexp.MustCompile(`startxref\n(\d+)\n%%EOF`)
	trailerRe = regexp.MustCompile(`(?s)trailer\n<<(.*?)>>\nstartxref`)
)

// withAF adds the catalog's /AF array (PDF/A-3 associated files) listing the
// embedded files, as an incremental update: a new version of the catalog
// object, an xref section for it and a trailer pointing back to the
// original one.
func withAF(pdf []byte) []byte {
	cat := catalogRe.FindSubmatch(pdf)
	prev := startxref.FindSubmatch(pdf)
	trailer := trailerRe.FindSubmatch(pdf)
	specs := filespec.FindAllSubmatch(pdf, -1)
	if cat == nil || prev == nil || trailer == nil || len(specs) == 0 {
		panic("withAF: unexpected PDF structure from fpdf")
	}
	var refs []string
	for _, s := range specs {
		refs = append(refs, string(s[1])+" 0 R")
	}
	dict := strings.TrimSuffix(strings.TrimSpace(string(cat[2])), ">>")
	out := bytes.NewBuffer(bytes.Clone(pdf))
	offset := out.Len()
	fmt.Fprintf(out, "%s 0 obj\n%s/AF [%s]\n>>\nendobj\n", cat[1], dict, strings.Join(refs, " "))
	xref := out.Len()
	fmt.Fprintf(out, "xref\n%s 1\n%010d 00000 n \ntrailer\n<<%s/Prev %s\n>>\nstartxref\n%d\n%%%%EOF\n",
		cat[1], offset, strings.TrimRight(string(trailer[1]), "\n"), prev[1], xref)
	return out.Bytes()
}

// generateEInvoices writes the e-invoice test set into dir: the sample
// invoice in every CII profile, in ZUGFeRD 1.0, and as UBL invoice and
// credit note, with an index of what the einvoice tier should read.
func generateEInvoices(dir string) (int, error) {
	type entry struct {
		File     string         `json:"file"`
		Profile  string         `json:"profile"`
		TypeCode string         `json:"type_code"`
		Fields   *schema.Fields `json:"fields"`
	}
	var list []entry
	write := func(name, profile, typeCode string, data []byte, f *schema.Fields) error {
		list = append(list, entry{File: name, Profile: profile, TypeCode: typeCode, Fields: f})
		return os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	e := sampleEInvoice()
	for _, p := range ciiProfiles {
		f := e.fields(p.lines)
		if !p.parties {
			f.IssuerTaxID, f.IBAN, f.DueDate = "", "", ""
		}
		profile := strings.ToUpper(strings.ReplaceAll(p.name, "-", " "))
		if err := write("cii-"+p.name+".xml", profile, e.typeCode, e.cii(p, false), f); err != nil {
			return 0, err
		}
	}
	zf1 := ciiProfile{"comfort", "urn:ferd:CrossIndustryDocument:invoice:1p0:comfort", true, true}
	if err := write("zugferd1-comfort.xml", "COMFORT", e.typeCode, e.cii(zf1, true), e.fields(true)); err != nil {
		return 0, err
	}
	if err := write("ubl-invoice.xml", "XRECHNUNG", e.typeCode, e.ubl(), e.fields(true)); err != nil {
		return 0, err
	}
	credit := sampleEInvoice()
	credit.number, credit.typeCode, credit.prepaid, credit.allowance = "CN-2024-0003", "381", 0, 0
	credit.items = credit.items[1:2]
	if err := write("ubl-credit-note.xml", "XRECHNUNG", credit.typeCode, credit.ubl(), credit.fields(true)); err != nil {
		return 0, err
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return 0, err
	}
	return len(list), os.WriteFile(filepath.Join(dir, samples.ExpectedFile), append(b, '\n'), 0o644)
}
