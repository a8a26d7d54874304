package einvoice

import (
	"strings"

	"github.com/dataforge/dataforge/internal/schema"
)

// readUBL maps a UBL 2.1 Invoice or CreditNote.
func readUBL(root *node) (*Invoice, error) {
	r := &reader{}
	credit := root.name == "CreditNote"
	lineName, qtyName, typeName := "InvoiceLine", "InvoicedQuantity", "InvoiceTypeCode"
	if credit {
		lineName, qtyName, typeName = "CreditNoteLine", "CreditedQuantity", "CreditNoteTypeCode"
	}
	currency := root.str("DocumentCurrencyCode")
	inv := &Invoice{
		Syntax: SyntaxUBL, Guideline: root.str("CustomizationID"), TypeCode: root.str(typeName), CreditNote: credit,
	}
	f := &inv.Fields
	f.InvoiceNumber = root.str("ID")
	f.IssueDate = r.date("issue date", root.child("IssueDate"))
	f.DueDate = r.date("due date", root.child("DueDate"))
	f.Currency = currency
	seller := root.path("AccountingSupplierParty", "Party")
	f.Issuer, f.IssuerTaxID = partyName(seller), partyTaxID(seller)
	buyer := root.path("AccountingCustomerParty", "Party")
	inv.Buyer, inv.BuyerTaxID = partyName(buyer), partyTaxID(buyer)
	for _, pm := range root.all("PaymentMeans") {
		if f.DueDate == "" {
			f.DueDate = r.date("due date", pm.child("PaymentDueDate"))
		}
		if iban := pm.str("PayeeFinancialAccount", "ID"); iban != "" && f.IBAN == "" {
			f.IBAN = strings.ReplaceAll(iban, " ", "")
		}
	}
	var taxTotals []*node
	for _, tt := range root.all("TaxTotal") {
		taxTotals = append(taxTotals, tt.child("TaxAmount"))
	}
	if tt := inCurrency(taxTotals, currency); tt != nil {
		f.Tax = r.amount(tt)
		for _, parent := range root.all("TaxTotal") {
			if parent.child("TaxAmount") != tt {
				continue
			}
			for _, sub := range parent.all("TaxSubtotal") {
				if v := r.amount(sub.child("TaxAmount")); v != nil {
					inv.taxParts = append(inv.taxParts, *v)
				}
			}
		}
	}
	m := root.child("LegalMonetaryTotal")
	inv.LineTotal = r.amount(m.child("LineExtensionAmount"))
	f.Subtotal = r.amount(m.child("TaxExclusiveAmount"))
	f.Total = r.amount(m.child("TaxInclusiveAmount"))
	inv.Allowances = r.amount(m.child("AllowanceTotalAmount"))
	inv.Charges = r.amount(m.child("ChargeTotalAmount"))
	inv.Prepaid = r.amount(m.child("PrepaidAmount"))
	inv.Rounding = r.amount(m.child("PayableRoundingAmount"))
	inv.AmountDue = r.amount(m.child("PayableAmount"))

	for _, line := range root.all(lineName) {
		li := schema.LineItem{
			Description: line.str("Item", "Name"),
			Quantity:    r.amount(line.child(qtyName)),
			Amount:      r.amount(line.child("LineExtensionAmount")),
		}
		price := line.child("Price")
		li.UnitPrice = perUnit(r.amount(price.child("PriceAmount")), r.amount(price.child("BaseQuantity")))
		addLine(inv, li)
	}
	var reasons []string
	for _, ac := range root.all("AllowanceCharge") {
		reasons = append(reasons, ac.str("AllowanceChargeReason"))
	}
	addDocumentLevel(inv, reasons)
	return inv, r.err
}

// partyName is a UBL party's legal name, else its trading name.
func partyName(party *node) string {
	if n := party.str("PartyLegalEntity", "RegistrationName"); n != "" {
		return n
	}
	return party.str("PartyName", "Name")
}

// partyTaxID is a UBL party's VAT identifier, else another tax registration.
func partyTaxID(party *node) string {
	var other string
	for _, ts := range party.all("PartyTaxScheme") {
		id := ts.str("CompanyID")
		if strings.EqualFold(ts.str("TaxScheme", "ID"), "VAT") {
			return id
		}
		if other == "" {
			other = id
		}
	}
	return other
}
