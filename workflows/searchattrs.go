package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// Search attributes the workflow upserts as it learns them, so the Temporal
// UI can filter documents ("all invoices that ended in review").
var (
	AttrDocumentType = temporal.NewSearchAttributeKeyKeyword("DocumentType")
	AttrTier         = temporal.NewSearchAttributeKeyKeyword("Tier")
	AttrOutcome      = temporal.NewSearchAttributeKeyKeyword("Outcome")
	AttrIssuer       = temporal.NewSearchAttributeKeyKeyword("Issuer")
	AttrReviewReason = temporal.NewSearchAttributeKeyKeywordList("ReviewReason")
)

// SearchAttributes lists the custom search attributes to register on a
// namespace before workers run.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	AttrDocumentType.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrTier.GetName():         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrOutcome.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrIssuer.GetName():       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrReviewReason.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}
