package parsers

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Label kinds besides the JSON field names of schema.Fields.
const (
	kindVAT      = "vat"      // "VAT", "BTW", "MwSt": a tax amount or the issuer's VAT number
	kindCustomer = "customer" // "Bill to", "Customer": the start of the customer's block
	kindIssuer   = "from"     // "From", "Seller": the issuer's block
	kindIgnore   = "ignore"   // looks like a label of ours but is not ("Order number", "Cash")
	kindDue      = "due"      // "Amount due", "Zahlbetrag": what is left to pay, the total unless prepaid
	kindName     = "name"     // "Name", "Firma": a name in an address block
	kindPaid     = "paid"     // "Amount paid", "Erhaltene Anzahlungen": paid before the amount due
)

// labelEntry is a group of phrases that label the same thing. Rank orders
// labels of one field: "Invoice date" (3) beats "Date" (2), and a title such
// as "Invoice LW-88120" (1) is the weakest.
type labelEntry struct {
	kind    string
	rank    int
	phrases []string
}

// lexicon lists the labels the rules know, in English, Dutch, German and
// French, with the commonest in Spanish and Italian. Words in a phrase match with a space, a dot, a hyphen or nothing
// between them, so "sub total" also matches "Sub-total" and "Subtotal".
var lexicon = []labelEntry{
	{"invoice_number", 3, []string{
		"invoice number", "invoice no", "invoice nr", "invoice #", "invoice num", "invoice id",
		"inv no", "inv #", "bill no", "bill number", "receipt number", "receipt no", "receipt nr",
		"receipt #", "bon nr", "bonnummer", "beleg nr", "belegnummer", "factuurnummer", "factuur nr",
		"rechnungsnummer", "rechnung nr", "rechnungs nr", "re nr", "numéro de facture",
		"n° de facture", "facture n°", "facture no", "document no", "document number",
		"ticket n°", "ticket no", "ticket nr", "trans #", "transaction no", "transaction #",
		"transaction number", "beleg", "kassenbon nr", "gutschrift nr", "gutschriftsnummer", "facture numéro",
		"numéro facture", "n° facture", "credit note number", "credit note no",
		"número de factura", "factura n°", "factura nº", "nº factura", "n° factura",
		"numero fattura", "fattura n", "fattura nr", "fattura n°", "n fattura",
	}},
	{"invoice_number", 1, []string{
		"invoice", "tax invoice", "receipt", "factuur", "rechnung", "facture", "factura", "fattura",
	}},
	{"issue_date", 3, []string{
		"invoice date", "date of issue", "issue date", "issued on", "issued", "invoice dated",
		"receipt date", "factuurdatum", "rechnungsdatum", "ausstellungsdatum", "date de facture",
		"date facture", "date d'émission", "tax point", "date of supply", "belegdatum",
		"date de la facture", "fecha de factura", "fecha factura",
		"fecha de emisión", "data fattura", "data documento", "data di emissione",
	}},
	{"issue_date", 2, []string{"date", "datum", "dated", "fecha", "data"}},
	{"due_date", 3, []string{
		"due date", "payment due", "due on", "due by", "pay by", "payable by", "date due", "due",
		"vervaldatum", "vervaldag", "uiterste betaaldatum", "fällig", "fällig am", "fälligkeit",
		"fälligkeitsdatum", "zahlbar bis", "échéance", "date d'échéance", "date limite de paiement",
		"fecha de vencimiento", "vencimiento", "scadenza", "data scadenza",
	}},
	{"total", 3, []string{
		"grand total", "total amount", "invoice total", "total incl vat", "total including vat",
		"total incl tax", "total incl", "totaalbedrag", "totaal incl btw", "gesamtbetrag",
		"rechnungsbetrag", "endbetrag", "gesamtsumme", "summe", "bruttosumme", "bruttobetrag",
		"rechnungssumme", "rechnungssumme brutto", "rechnungsbeitrag", "summe brutto", "gesamt brutto", "summe inkl", "summe inkl ust", "summe inkl mwst",
		"gesamtbetrag inkl ust", "gesamtbetrag inkl mwst", "rechnungssumme inkl ust",
		"gesamtbetrag brutto", "total ttc", "montant ttc", "montant total", "total facture",
		"importe total", "total factura", "totale fattura", "totale documento", "importo totale",
	}},
	{kindDue, 3, []string{
		"total due", "amount due", "balance due", "total amount due", "total to pay",
		"amount payable", "total payable", "due payable", "te betalen", "totaal te betalen", "zu zahlen",
		"zahlbetrag", "zahlbetrag brutto", "offener betrag", "net à payer", "total à payer",
		"reste à payer", "montant à payer", "total a pagar", "importe a pagar", "netto a pagare",
		"totale da pagare",
	}},
	{"total", 2, []string{"total", "totaal", "gesamt", "totale", "total paid"}},
	{"subtotal", 3, []string{
		"subtotal", "net total", "total net", "net amount", "amount before tax",
		"total before tax", "total excl vat", "total excluding vat", "total excl tax", "total excl",
		"subtotaal", "totaal excl btw", "netto", "nettobetrag", "zwischensumme", "summe netto",
		"gesamt netto", "sous total", "total ht", "montant ht", "nettosumme",
		"rechnungssumme netto", "rechnungssumme ohne ust", "rechnungssumme ohne mwst",
		"gesamtbetrag netto", "total hors taxes", "base imponible", "imponibile", "totale imponibile",
	}},
	{"tax", 3, []string{
		"sales tax", "total tax", "total vat", "vat amount", "tax amount", "btw bedrag", "gst", "hst",
		"pst", "umsatzsteuer", "mehrwertsteuer", "incl vat", "including vat", "incl btw", "inkl mwst",
		"enth mwst", "davon mwst", "total tva", "montant tva", "tax", "steuerbetrag",
		"vat total", "tax total", "versicherungsteuer", "versicherungssteuer", "ust betrag", "mwst betrag", "umsatzsteuerbetrag", "zuzügl ust", "zuzüglich ust",
		"zzgl ust", "zzgl mwst", "cuota iva", "importe iva", "imposta", "totale iva",
	}},
	{kindVAT, 3, []string{"vat", "btw", "mwst", "ust", "tva", "iva"}},
	{"issuer_tax_id", 3, []string{
		"vat no", "vat number", "vat reg no", "vat registration number", "vat registration no",
		"vat id", "vat reg", "btw nummer", "btw nr", "btw id", "btw identificatienummer",
		"ust idnr", "ust id", "umsatzsteuer id", "ust identifikationsnummer",
		"n° tva", "numéro de tva", "tva intracommunautaire", "gst no", "gst number", "abn",
		"ust identnr", "partita iva", "p iva", "nif", "cif",
	}},
	{"issuer_tax_id", 2, []string{
		"tax id", "tax number", "tax no", "tin", "ein", "steuernummer", "st nr", "steuer nr",
		"siret", "siren", "uid",
	}},
	{"issuer_tax_id", 1, []string{
		"kvk", "kvk nummer", "company no", "company number", "company reg no", "registration no",
		"registration number", "handelsregister", "hrb",
	}},
	{"currency", 3, []string{
		"currency", "valuta", "währung", "devise", "munt", "rechnungswährung", "invoice currency",
		"devise de facturation", "moneda", "divisa", "beträge in",
	}},
	{kindCustomer, 0, []string{
		"bill to", "billed to", "invoice to", "sold to", "ship to", "deliver to", "customer",
		"client", "klant", "kunde", "rechnungsempfänger", "factureren aan", "facturé à",
		"adressé à", "recipient", "to", "buyer", "käufer", "leistungsempfänger", "käufer leistungsempfänger",
		"acheteur", "koper", "afnemer", "cliente", "destinatario", "abweichender warenempfänger",
		"warenempfänger", "factuuradres", "rechnungsadresse", "billing address", "invoice address",
		"adresse de facturation", "dirección de facturación", "indirizzo di fatturazione",
	}},
	{kindIssuer, 0, []string{
		"from", "seller", "supplier", "vendor", "issued by", "van", "von", "verkäufer",
		"lieferant", "leverancier", "fournisseur", "émetteur", "rechnungsersteller",
		"leistungserbringer", "rechnungssteller", "vendeur", "verkoper", "venditore", "fornitore",
		"proveedor", "vendedor", "emisor", "cedente prestatore",
	}},
	{kindPaid, 0, []string{
		"amount paid", "paid", "prepaid", "prepaid amount", "paid amount", "prepayment",
		"erhaltene anzahlungen", "erhaltene anzahlung", "anzahlung", "anzahlungen", "vorauszahlung",
		"bereits bezahlt", "bereits gezahlt", "acompte", "acomptes", "déjà payé", "déjà réglé",
		"reeds betaald", "aanbetaling", "anticipo", "acconto", "già pagato",
	}},
	{kindName, 0, []string{
		"name", "firma", "firmenname", "company", "company name", "naam", "bedrijfsnaam",
		"raison sociale", "nom", "razón social", "ragione sociale", "denominazione",
	}},
	{kindIgnore, 0, []string{
		"order number", "order no", "order date", "order #", "po number", "po", "purchase order",
		"customer number", "customer no", "customer id", "customer vat", "customer vat no",
		"client vat", "your vat", "customer tax id", "account number", "account no", "klantnummer",
		"kundennummer", "ordernummer", "bestellnummer", "reference", "ref", "your reference",
		"our reference", "delivery date", "delivery note", "ship date", "shipping date",
		"service date", "leverdatum", "lieferdatum", "date de livraison", "print date", "tracking",
		"phone", "tel", "fax", "page", "pagina", "seite", "vat rate", "tax rate", "btw tarief",
		"excl vat", "excl btw", "excl tax", "cash", "change", "card", "visa", "mastercard",
		"tendered", "bar", "rückgeld", "gegeben", "wisselgeld", "contant",
		"pin", "espèces", "rendu", "total items", "total qty", "total quantity", "items",
		"discount", "korting", "rabatt", "remise", "terms", "payment terms",
		"n° de commande", "numéro de commande", "référence client", "référence", "bestelnummer",
		"auftragsnummer", "lieferschein", "währung der umsatzsteuerbuchung", "tax currency",
		"vat currency", "leveringsdatum", "afleverdatum", "leistungsdatum",
		"liefer und leistungsdatum", "lieferscheindatum", "bestelldatum",
		"bestellung", "positionssumme", "basisbetrag", "steuerbasisbetrag", "lieferantennummer", "leitweg id",
		"referenz", "projektnummer", "vertragsnummer", "rapport nr", "mandatsreferenz",
	}},
}

// chargeWords name allowances and charges: a total of them ("Gesamtbetrag
// der Zuschläge", "Total charges", "Montant des remises") is not the
// document's total.
var chargeWords = map[string]bool{
	"zuschläge": true, "abschläge": true, "zuschlag": true, "abschlag": true, "rabatte": true,
	"nachlässe": true, "allowances": true, "charges": true, "discounts": true, "remises": true,
	"frais": true, "kortingen": true, "toeslagen": true, "descuentos": true, "cargos": true,
	"sconti": true, "maggiorazioni": true,
}

// chargeFollows reports whether one of the next two words names
// allowances or charges.
func chargeFollows(next []token) bool {
	for k := 0; k < 2 && k < len(next); k++ {
		if chargeWords[strings.ToLower(next[k].text)] {
			return true
		}
	}
	return false
}

type labelMatch struct {
	entry      *labelEntry
	start, end int  // byte offsets of the label in the line
	cell       int  // the cell it is in
	cellStart  bool // nothing but punctuation before it in its cell (see speck)
}

var (
	labelKey      = map[string]*labelEntry{}
	maxLabelWords int
)

// phraseKey normalises a phrase or a run of words for lookup: lower case,
// without spaces, dots and hyphens.
func phraseKey(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' || r == '-' {
			return -1
		}
		return r
	}, strings.ToLower(s))
}

func init() {
	for i := range lexicon {
		e := &lexicon[i]
		for _, p := range e.phrases {
			k := phraseKey(p)
			if _, dup := labelKey[k]; dup {
				panic("parsers: duplicate label " + p)
			}
			labelKey[k] = e
			maxLabelWords = max(maxLabelWords, len(labelWords(p)))
		}
	}
	// The phrases without their accents, unless that is another phrase:
	// OCR and plain ASCII write "Fallig am", "Date d'echeance".
	for i := range lexicon {
		for _, p := range lexicon[i].phrases {
			if bare := phraseKey(withoutAccents(p)); labelKey[bare] == nil {
				labelKey[bare] = &lexicon[i]
			}
		}
	}
}

// withoutAccents returns s without combining marks: "fällig" is "fallig".
func withoutAccents(s string) string {
	return norm.NFC.String(strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, norm.NFD.String(s)))
}

// labelWords splits s into the words labels are made of: runs of letters,
// digits, ° and inner apostrophes, and # on its own.
func labelWords(s string) []token {
	var out []token
	start := -1
	for i, r := range s {
		word := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '°' ||
			(r == '\'' || r == '’') && start >= 0
		if word {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, token{s[start:i], start, i})
			start = -1
		}
		if r == '#' {
			out = append(out, token{"#", i, i + 1})
		}
	}
	if start >= 0 {
		out = append(out, token{s[start:], start, len(s)})
	}
	return out
}

// joinable reports whether sep may stand between two words of one label: a
// space, a dot, a hyphen, or nothing ("Sub-total", "St.-Nr.", "Invoice no").
func joinable(sep string) bool {
	return len(sep) <= 3 && strings.Count(sep, " ") <= 1 && strings.Trim(sep, " .-") == ""
}

// speck reports whether s, the text before a label in its cell, is nothing
// but spaces, rules and bullets (" :#*-–|") and at most two other marks of
// punctuation or symbols ("‘Subtotal", "• Total"), as OCR reads dust and
// ticks before a word.
func speck(s string) bool {
	marks := 0
	for _, r := range s {
		switch {
		case strings.ContainsRune(" :#*-–|", r):
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
			marks++
		default:
			return false
		}
	}
	return marks <= 2
}

// findLabels returns the labels in s, left to right; at each word the
// longest label wins.
func findLabels(s string, cells [][2]int) []labelMatch {
	words := labelWords(s)
	var out []labelMatch
	for i := 0; i < len(words); {
		n, e := 0, (*labelEntry)(nil)
		key := ""
		for k := i; k < len(words) && k-i < maxLabelWords; k++ {
			if k > i && !joinable(s[words[k-1].end:words[k].start]) {
				break
			}
			key += strings.ToLower(words[k].text)
			if found, ok := labelKey[key]; ok {
				n, e = k-i+1, found
			}
		}
		if e == nil {
			i++
			continue
		}
		start, end := words[i].start, words[i+n-1].end
		lm := labelMatch{entry: e, start: start, end: end}
		cellEnd := len(s)
		for c, cell := range cells {
			if start < cell[1] {
				lm.cell, cellEnd = c, max(end, cell[1])
				lm.cellStart = speck(s[cell[0]:start])
				break
			}
		}
		if rest := strings.TrimSpace(s[end:cellEnd]); (e.kind == kindIssuer || e.kind == kindCustomer && key == "to") &&
			!strings.HasPrefix(rest, ":") && !(lm.cellStart && rest == "" && !hasLegalForm(s[start:min(len(s), cellEnd+24)])) {
			// "Van Dijk B.V." and "To be paid" are not labels; "Van:" is,
			// and so is a heading alone in its cell ("Verkäufer"), unless
			// a legal form follows ("Lieferant   GmbH" is a name).
			i++
			continue
		}
		if strings.Count(s[:start], "(") > strings.Count(s[:start], ")") {
			i += n // "Summe Brutto (inkl. USt.)": a label's qualifier, not a label
			continue
		}
		if e.kind == "total" && chargeFollows(words[i+n:]) {
			i += n // "Gesamtbetrag der Zuschläge": a sum of charges, not the total
			continue
		}
		out = append(out, lm)
		i += n
	}
	return out
}
