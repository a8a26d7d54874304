package activities

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/dataforge/dataforge/einvoice"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/parsers"
)

// ExtractEInvoice is the einvoice tier: it reads the EN 16931 XML that Parse
// stored for the document, checks its arithmetic and the business rules,
// and stores the fields (model: the XML's syntax and profile). It costs
// nothing and makes one attempt row. XML that is unreadable or does not add
// up is reported as not valid, with the einvoice.Code, so the chain goes on.
func (a *Activities) ExtractEInvoice(ctx context.Context, in ExtractInput) (*ExtractOutput, error) {
	if out, ok, err := a.reuse(ctx, in); ok || err != nil {
		return out, err
	}
	started := time.Now()
	xml, _, err := a.Store.EInvoice(ctx, in.DocumentID)
	if err != nil {
		return nil, storeError(err)
	}
	inv, err := einvoice.Load(xml)
	var bad *einvoice.Error
	if err != nil && !errors.As(err, &bad) {
		return nil, err
	}
	out := &ExtractOutput{Valid: err == nil}
	outcome := store.OutcomeSuccess
	if bad != nil {
		out.Code, out.Detail, outcome = string(bad.Code), bad.Detail, store.OutcomeInvalid
	}
	var ex *store.Extraction
	if inv != nil {
		out.Model, out.Issuer = inv.Label(), inv.Fields.Issuer
		raw, err := json.Marshal(inv.Fields)
		if err != nil {
			return nil, err
		}
		confidence := map[string]float64{}
		if out.Valid {
			out.Overall = 1
			var present map[string]any
			_ = json.Unmarshal(raw, &present)
			for k, v := range present {
				if v != nil && v != "" {
					confidence[k] = 1
				}
			}
		}
		var problems []string
		if bad != nil {
			problems = []string{bad.Error()}
		}
		ex = &store.Extraction{Fields: raw, Confidence: confidence, Problems: problems}
	}
	if err := a.settle(ctx, in, out, ex, outcome, string(parsers.SourceEInvoice), started); err != nil {
		return nil, err
	}
	return out, nil
}
