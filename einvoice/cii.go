package einvoice

import (
	"strconv"
	"strings"
	"time"

	"github.com/dataforge/dataforge/internal/schema"
)

// Element names where ZUGFeRD 1.0 and CII D16B differ, as path alternatives.
const (
	ciiContext     = "ExchangedDocumentContext|SpecifiedExchangedDocumentContext"
	ciiDocument    = "ExchangedDocument|HeaderExchangedDocument"
	ciiTransaction = "SupplyChainTradeTransaction|SpecifiedSupplyChainTradeTransaction"
	ciiAgreement   = "ApplicableHeaderTradeAgreement|ApplicableSupplyChainTradeAgreement"
	ciiSettlement  = "ApplicableHeaderTradeSettlement|ApplicableSupplyChainTradeSettlement"
	ciiSummation   = "SpecifiedTradeSettlementHeaderMonetarySummation|SpecifiedTradeSettlementMonetarySummation"
	lineAgreement  = "SpecifiedLineTradeAgreement|SpecifiedSupplyChainTradeAgreement"
	lineDelivery   = "SpecifiedLineTradeDelivery|SpecifiedSupplyChainTradeDelivery"
	lineSettlement = "SpecifiedLineTradeSettlement|SpecifiedSupplyChainTradeSettlement"
	lineSummation  = "SpecifiedTradeSettlementLineMonetarySummation|SpecifiedTradeSettlementMonetarySummation"
)

// readCII maps a CrossIndustryInvoice (CII D16B: Factur-X, ZUGFeRD 2,
// XRechnung) or a ZUGFeRD 1.0 CrossIndustryDocument.
func readCII(root *node, syntax Syntax) (*Invoice, error) {
	r := &reader{}
	doc := root.path(ciiDocument)
	tx := root.path(ciiTransaction)
	agreement := tx.path(ciiAgreement)
	settlement := tx.path(ciiSettlement)
	sum := settlement.path(ciiSummation)
	currency := strings.TrimSpace(settlement.str("InvoiceCurrencyCode"))
	inv := &Invoice{
		Syntax:    syntax,
		Guideline: root.str(ciiContext, "GuidelineSpecifiedDocumentContextParameter", "ID"),
		TypeCode:  doc.str("TypeCode"),
	}
	f := &inv.Fields
	f.InvoiceNumber = doc.str("ID")
	f.IssueDate = r.date("issue date", doc.path("IssueDateTime", "DateTimeString"))
	f.Currency = currency
	seller := agreement.child("SellerTradeParty")
	f.Issuer = seller.str("Name")
	f.IssuerTaxID = taxID(seller)
	buyer := agreement.child("BuyerTradeParty")
	inv.Buyer, inv.BuyerTaxID = buyer.str("Name"), taxID(buyer)
	for _, pm := range settlement.all("SpecifiedTradeSettlementPaymentMeans") {
		if iban := pm.str("PayeePartyCreditorFinancialAccount", "IBANID"); iban != "" {
			f.IBAN = strings.ReplaceAll(iban, " ", "")
			break
		}
	}
	for _, t := range settlement.all("SpecifiedTradePaymentTerms") {
		if d := t.path("DueDateDateTime", "DateTimeString"); d != nil {
			f.DueDate = r.date("due date", d)
			break
		}
	}
	for _, t := range settlement.all("ApplicableTradeTax") {
		if v := r.amount(t.child("CalculatedAmount")); v != nil {
			inv.taxParts = append(inv.taxParts, *v)
		}
	}
	inv.LineTotal = r.amount(sum.child("LineTotalAmount"))
	inv.Allowances = r.amount(sum.child("AllowanceTotalAmount"))
	inv.Charges = r.amount(sum.child("ChargeTotalAmount"))
	f.Subtotal = r.amount(sum.child("TaxBasisTotalAmount"))
	f.Tax = r.amount(inCurrency(sum.all("TaxTotalAmount"), currency))
	inv.Rounding = r.amount(sum.child("RoundingAmount"))
	f.Total = r.amount(sum.child("GrandTotalAmount"))
	inv.Prepaid = r.amount(sum.child("TotalPrepaidAmount"))
	inv.AmountDue = r.amount(sum.child("DuePayableAmount"))

	for _, line := range tx.all("IncludedSupplyChainTradeLineItem") {
		li := schema.LineItem{
			Description: line.str("SpecifiedTradeProduct", "Name"),
			Quantity:    r.amount(line.path(lineDelivery, "BilledQuantity")),
			Amount:      r.amount(line.path(lineSettlement, lineSummation, "LineTotalAmount")),
		}
		price := line.path(lineAgreement, "NetPriceProductTradePrice")
		li.UnitPrice = perUnit(r.amount(price.child("ChargeAmount")), r.amount(price.child("BasisQuantity")))
		addLine(inv, li)
	}
	var reasons []string
	for _, ac := range settlement.all("SpecifiedTradeAllowanceCharge") {
		reasons = append(reasons, ac.str("Reason"))
	}
	addDocumentLevel(inv, reasons)
	return inv, r.err
}

// taxID is a party's VAT identifier, else its tax number.
func taxID(party *node) string {
	var fiscal string
	for _, reg := range party.all("SpecifiedTaxRegistration") {
		id := reg.child("ID")
		switch id.attr("schemeID") {
		case "VA":
			return id.text
		case "FC":
			fiscal = id.text
		}
	}
	return fiscal
}

// inCurrency picks the amount in the invoice currency among amounts that may
// also be given in the VAT accounting currency.
func inCurrency(amounts []*node, currency string) *node {
	for _, a := range amounts {
		if c := a.attr("currencyID"); c == "" || c == currency {
			return a
		}
	}
	if len(amounts) > 0 {
		return amounts[0]
	}
	return nil
}

// perUnit is a price for a basis quantity turned into the price of one unit.
func perUnit(price, basis *float64) *float64 {
	if price == nil || basis == nil || *basis == 0 || *basis == 1 {
		return price
	}
	v := *price / *basis
	return &v
}

// addLine adds an invoice line to the fields. A line with neither a name nor
// an amount (a note line) is left out. The unit price is kept only when
// quantity × price gives the line's net amount: the net amount (BT-131) is
// what counts, and a price that does not explain it (line allowances and
// charges, rounded prices, gross prices) would contradict it in fields that
// have no place for line allowances.
func addLine(inv *Invoice, li schema.LineItem) {
	if li.Description == "" && li.Amount == nil {
		return
	}
	if li.Amount != nil {
		inv.lineAmounts = append(inv.lineAmounts, *li.Amount)
		if li.Quantity != nil && li.UnitPrice != nil && !near(*li.Quantity**li.UnitPrice, *li.Amount) {
			li.UnitPrice = nil
		}
	}
	inv.Fields.LineItems = append(inv.Fields.LineItems, li)
}

// addDocumentLevel appends the document level allowances and charges as
// line items, so that the line items add up to the tax basis (the subtotal)
// as the business checks require.
func addDocumentLevel(inv *Invoice, reasons []string) {
	if len(inv.Fields.LineItems) == 0 {
		return
	}
	desc := func(kind string) string {
		var rs []string
		for _, r := range reasons {
			if r != "" {
				rs = append(rs, r)
			}
		}
		if len(rs) == 0 {
			return kind
		}
		return kind + ": " + strings.Join(rs, ", ")
	}
	if a := val(inv.Allowances); a != 0 {
		amount := -a
		inv.Fields.LineItems = append(inv.Fields.LineItems, schema.LineItem{Description: desc("Allowances"), Amount: &amount})
	}
	if c := val(inv.Charges); c != 0 {
		amount := c
		inv.Fields.LineItems = append(inv.Fields.LineItems, schema.LineItem{Description: desc("Charges"), Amount: &amount})
	}
}

// reader collects the first unreadable value while a document is mapped.
type reader struct {
	err error
}

// amount reads a decimal amount or quantity; nil when the element is absent.
func (r *reader) amount(n *node) *float64 {
	if n == nil || n.text == "" {
		return nil
	}
	v, err := strconv.ParseFloat(n.text, 64)
	if err != nil {
		if r.err == nil {
			r.err = newError(CodeIncomplete, "<%s> %q is not a number", n.name, n.text)
		}
		return nil
	}
	return &v
}

// date reads a CII date (format 102, YYYYMMDD) or an ISO date as
// YYYY-MM-DD; "" when the element is absent.
func (r *reader) date(what string, n *node) string {
	if n == nil || n.text == "" {
		return ""
	}
	s := n.text
	for _, layout := range []string{"20060102", time.DateOnly} {
		if d, err := time.Parse(layout, s); err == nil {
			return d.Format(time.DateOnly)
		}
	}
	if r.err == nil {
		r.err = newError(CodeIncomplete, "%s %q is not a date", what, s)
	}
	return ""
}
