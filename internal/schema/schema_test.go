package schema

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func f(v float64) *float64 { return &v }

func TestValidate(t *testing.T) {
	t.Parallel()
	valid := `{"invoice_number":"INV-7","issue_date":"2024-03-05","due_date":"2024-04-04","issuer":"Acme BV",
		"issuer_tax_id":null,"iban":null,"currency":"EUR","subtotal":100,"tax":21,"total":121,
		"line_items":[{"description":"Widget","quantity":2,"unit_price":50,"amount":100}]}`
	got, err := Validate(Invoice, []byte(valid))
	require.NoError(t, err)
	require.Equal(t, "INV-7", got.InvoiceNumber)
	require.InDelta(t, 121, *got.Total, 0)

	for _, tc := range []struct {
		name, raw, problem string
	}{
		{"not JSON", `{"total":`, "not JSON"},
		{"unknown property", `{"invoice_number":"1","issue_date":null,"due_date":null,"issuer":null,"issuer_tax_id":null,"iban":null,"currency":null,"subtotal":null,"tax":null,"total":null,"line_items":null,"hack":1}`, "additional properties 'hack' not allowed"},
		{"missing property", `{"invoice_number":"1"}`, "missing properties 'issue_date'"},
		{"required business fields", `{"invoice_number":null,"issue_date":null,"due_date":null,"issuer":null,"issuer_tax_id":null,"iban":null,"currency":null,"subtotal":null,"tax":null,"total":null,"line_items":null}`, "invoice_number: required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Validate(Invoice, []byte(tc.raw))
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Contains(t, ve.Error(), tc.problem)
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	base := func() *Fields {
		return &Fields{InvoiceNumber: "1", IssueDate: "2024-03-05", Issuer: "Acme", Currency: "EUR", Total: f(121)}
	}
	require.Empty(t, Check(Invoice, base()))

	for _, tc := range []struct {
		name    string
		mutate  func(*Fields)
		problem string
	}{
		{"bad date", func(x *Fields) { x.IssueDate = "05/03/2024" }, "issue_date: \"05/03/2024\" is not a date"},
		{"due before issue", func(x *Fields) { x.DueDate = "2024-01-01" }, "due_date: before issue_date"},
		{"currency", func(x *Fields) { x.Currency = "EURO" }, "not an ISO 4217 code"},
		{"sum", func(x *Fields) { x.Subtotal, x.Tax = f(100), f(20) }, "subtotal 100.00 + tax 20.00 ≠ total 121.00"},
		{"forged total", func(x *Fields) {
			x.Total = f(0)
			x.LineItems = []LineItem{{Description: "Consulting", Amount: f(500)}}
		}, "line_items: amounts sum to 500.00, total is 0.00"},
		{"negative", func(x *Fields) { x.Total = f(-1) }, "total: negative"},
		{"line arithmetic", func(x *Fields) {
			x.Total = f(10)
			x.LineItems = []LineItem{{Description: "A", Quantity: f(3), UnitPrice: f(3), Amount: f(10)}}
		}, "quantity × unit price ≠ amount"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := base()
			tc.mutate(x)
			require.Contains(t, strings.Join(Check(Invoice, x), "; "), tc.problem)
		})
	}
	require.Contains(t, Check(Receipt, &Fields{}), "issuer: required")
	require.Empty(t, Check(Other, &Fields{}))
}

func TestSchemasAreStrict(t *testing.T) {
	t.Parallel()
	for _, typ := range Types {
		raw, err := JSON(typ)
		require.NoError(t, err)
		var s struct {
			AdditionalProperties bool           `json:"additionalProperties"`
			Required             []string       `json:"required"`
			Properties           map[string]any `json:"properties"`
		}
		require.NoError(t, json.Unmarshal(raw, &s))
		require.False(t, s.AdditionalProperties)
		require.Len(t, s.Required, len(s.Properties), "structured outputs want every property required")
	}
	_, err := ParseDocType("memo")
	require.Error(t, err)
}

func TestZeroFieldsPassTheSchema(t *testing.T) {
	t.Parallel()
	// Go's zero values (empty strings, nil) are absent values: the schema
	// accepts them and the business checks decide what is required.
	require.NoError(t, ValidateFields(Other, &Fields{}))
	err := ValidateFields(Invoice, &Fields{})
	require.ErrorContains(t, err, "invoice_number: required")
	require.NotContains(t, err.Error(), "pattern")
}
