package activities

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
)

// ErrTypeReviewConflict is the error type when the review item is held by someone else or closed.
const ErrTypeReviewConflict = "ReviewConflict"

// ReviewInput describes a document that needs a person.
type ReviewInput struct {
	DocumentID string          `json:"document_id"`
	WorkflowID string          `json:"workflow_id"`
	DocType    string          `json:"doc_type"`
	Reasons    []dftype.Reason `json:"reasons"`
	// SLA is how long the item may wait before it is escalated; it sets
	// the item's due time. Zero (workflows started before it was passed)
	// takes Activities.ReviewSLA.
	SLA time.Duration `json:"sla,omitempty"`
}

// EnqueueReview puts the document in the review queue with the best partial
// fields any tier produced, and returns the item's id.
func (a *Activities) EnqueueReview(ctx context.Context, in ReviewInput) (int64, error) {
	var partial json.RawMessage
	best, err := a.Store.BestExtraction(ctx, in.DocumentID)
	switch {
	case err == nil:
		partial = best.Fields
	case !errors.Is(err, store.ErrNotFound):
		return 0, err
	}
	now := time.Now()
	id, err := a.Store.EnqueueReview(ctx, &store.ReviewItem{
		DocumentID: in.DocumentID, WorkflowID: in.WorkflowID, DocType: in.DocType,
		Priority: reviewPriority(partial, now), Reasons: in.Reasons, PartialFields: partial,
		DueAt: now.Add(cmp.Or(in.SLA, a.ReviewSLA)),
	})
	if err == nil {
		a.Metrics.Document(ctx, "review", "")
	}
	return id, err
}

// reviewPriority ranks a review item from the partial fields: lower is more
// urgent. Large amounts and payments due soon come first; among equals the
// queue takes the oldest, and overdue items are escalated.
func reviewPriority(partial json.RawMessage, now time.Time) int {
	priority := 100
	var f schema.Fields
	if len(partial) == 0 || json.Unmarshal(partial, &f) != nil {
		return priority
	}
	switch {
	case f.Total == nil:
	case *f.Total >= 10_000:
		priority -= 30
	case *f.Total >= 1_000:
		priority -= 15
	}
	if due, err := time.Parse(time.DateOnly, f.DueDate); err == nil {
		switch days := due.Sub(now).Hours() / 24; {
		case days < 3:
			priority -= 30
		case days < 14:
			priority -= 10
		}
	}
	return priority
}

// Escalate raises the priority of a review item that outlived its SLA and
// pushes its due time out by sla (zero, from workflows started before it
// was passed: Activities.ReviewSLA).
func (a *Activities) Escalate(ctx context.Context, documentID string, sla time.Duration) (bool, error) {
	return a.Store.Escalate(ctx, documentID, cmp.Or(sla, a.ReviewSLA))
}

// ResolveInput is a reviewer's decision on a document.
type ResolveInput struct {
	DocumentID string          `json:"document_id"`
	Decision   dftype.Decision `json:"decision"`
}

// ResolveReview records the reviewer's decision and ends the document. It is
// idempotent on the decision: run again after it succeeded (a retry), the
// same decision is a no-op; a different one on the closed item fails with
// ErrTypeReviewConflict.
func (a *Activities) ResolveReview(ctx context.Context, in ResolveInput) error {
	err := a.Store.ResolveReview(ctx, in.DocumentID, &in.Decision)
	if errors.Is(err, store.ErrNotHolder) || errors.Is(err, store.ErrClosed) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeReviewConflict, err)
	}
	if err == nil && in.Decision.Reason != "" {
		a.Metrics.Document(ctx, "rejected", "")
	} else if err == nil {
		a.Metrics.Document(ctx, "completed", "manual")
	}
	return storeError(err)
}

// RedriveInput names a document in review to run through the tiers again.
type RedriveInput struct {
	DocumentID string `json:"document_id"`
	Actor      string `json:"actor"`
}

// Redrive takes the document's review item out of the queue.
func (a *Activities) Redrive(ctx context.Context, in RedriveInput) error {
	err := a.Store.Redrive(ctx, in.DocumentID, in.Actor)
	if errors.Is(err, store.ErrClosed) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeReviewConflict, err)
	}
	return storeError(err)
}
