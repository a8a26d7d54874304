package parsers

import (
	"errors"
	"fmt"

	"github.com/dataforge/dataforge/internal/schema"
)

// Reason codes of a rules result that cannot be accepted without a person.
const (
	CodeInvalidFields Code = "invalid_fields"
	CodeLowConfidence Code = "low_confidence"
)

// Verdict says whether a rules result can be accepted without a person, and
// if not, why.
type Verdict struct {
	OK     bool
	Code   Code
	Detail string
	// Problems are the validation problems, for invalid fields.
	Problems []string
}

// Judge decides on an extraction of a document of type t classified with
// typeConfidence: its fields must pass the schema and business checks, its
// Overall confidence must reach ConfidenceThreshold, and a document of type
// other must be confidently other — nothing is required of that type, so an
// invoice the classifier could not place would otherwise pass with no
// fields.
func Judge(ex Extraction, t schema.DocType, typeConfidence float64) Verdict {
	if err := schema.ValidateFields(t, &ex.Fields); err != nil {
		var ve *schema.ValidationError
		if !errors.As(err, &ve) {
			return Verdict{Code: CodeInvalidFields, Detail: err.Error(), Problems: []string{err.Error()}}
		}
		return Verdict{Code: CodeInvalidFields, Detail: ve.Error(), Problems: ve.Problems}
	}
	if ex.Overall < ConfidenceThreshold {
		return Verdict{Code: CodeLowConfidence, Detail: fmt.Sprintf("confidence %.2f below %.2f%s", ex.Overall, ConfidenceThreshold, doubt(ex))}
	}
	if t == schema.Other && typeConfidence < ConfidenceThreshold {
		return Verdict{Code: CodeLowConfidence, Detail: fmt.Sprintf("document type unclear (other, confidence %.2f)", typeConfidence)}
	}
	return Verdict{OK: true}
}

// doubt names what lowered the confidence, for the reviewer: the least
// sure field, or the cross-checks when every field is sure by itself.
func doubt(ex Extraction) string {
	if len(ex.Confidence) == 0 {
		return ""
	}
	field, c := "", 2.0
	for f, v := range ex.Confidence {
		if v < c || v == c && f < field {
			field, c = f, v
		}
	}
	if c < ConfidenceThreshold {
		return fmt.Sprintf(" (least sure: %s %.2f)", field, c)
	}
	return " (the amounts or the item table do not add up)"
}
