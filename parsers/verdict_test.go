package parsers

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/schema"
)

func TestJudge(t *testing.T) {
	t.Parallel()
	total := 12.5
	good := Extraction{Overall: 0.9, Fields: schema.Fields{IssueDate: "2024-03-01", Issuer: "Corner Market", Total: &total, Currency: "USD"}}
	require.True(t, Judge(good, schema.Receipt, 0.95).OK)

	v := Judge(Extraction{Overall: 0.9}, schema.Receipt, 0.95)
	require.Equal(t, CodeInvalidFields, v.Code)
	require.Contains(t, v.Problems, "issuer: required")

	low := good
	low.Overall = 0.5
	v = Judge(low, schema.Receipt, 0.95)
	require.Equal(t, CodeLowConfidence, v.Code)
	require.Equal(t, "confidence 0.50 below 0.80", v.Detail)

	low.Confidence = map[string]float64{"issuer": 0.5, "total": 0.95}
	require.Equal(t, "confidence 0.50 below 0.80 (least sure: issuer 0.50)", Judge(low, schema.Receipt, 0.95).Detail)
	low.Confidence = map[string]float64{"issuer": 0.9, "total": 0.95}
	require.Equal(t, "confidence 0.50 below 0.80 (the amounts or the item table do not add up)", Judge(low, schema.Receipt, 0.95).Detail)

	require.True(t, Judge(Extraction{Overall: 1}, schema.Other, 0.95).OK, "a letter is confidently other")
	v = Judge(Extraction{Overall: 1}, schema.Other, 0.5)
	require.Equal(t, CodeLowConfidence, v.Code, "an unplaced document is not passed as other")
}
