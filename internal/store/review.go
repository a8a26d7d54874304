package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dataforge/dataforge/dftype"
)

// Review item states.
const (
	ReviewPending   = "pending"
	ReviewClaimed   = "claimed"
	ReviewCompleted = "completed"
	ReviewRejected  = "rejected"
	// ReviewRedriven items left the queue to go through the automated
	// tiers again; they come back pending if those fail again.
	ReviewRedriven = "redriven"
)

// Errors of the review queue.
var (
	ErrQueueEmpty = errors.New("no review item is waiting")
	ErrNotHolder  = errors.New("review item is not claimed by this reviewer")
	ErrClosed     = errors.New("review item is no longer open")
)

// ReviewItem is a document waiting for, or handled by, a person.
type ReviewItem struct {
	ID             int64           `json:"id"`
	DocumentID     string          `json:"document_id"`
	DocumentName   string          `json:"document_name"`
	WorkflowID     string          `json:"workflow_id"`
	DocType        string          `json:"doc_type"`
	State          string          `json:"state"`
	Priority       int             `json:"priority"`
	Reasons        []dftype.Reason `json:"reasons"`
	PartialFields  json.RawMessage `json:"partial_fields,omitempty"`
	ClaimedBy      string          `json:"claimed_by,omitempty"`
	LeaseExpiresAt *time.Time      `json:"lease_expires_at,omitempty"`
	DueAt          time.Time       `json:"due_at"`
	Escalated      bool            `json:"escalated"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

// HeldBy says whether reviewer holds a live claim on the item at now.
func (it *ReviewItem) HeldBy(reviewer string, now time.Time) bool {
	return it.State == ReviewClaimed && reviewer != "" && it.ClaimedBy == reviewer &&
		it.LeaseExpiresAt != nil && it.LeaseExpiresAt.After(now)
}

// EnqueueReview puts a document in the review queue (or back in it, pending,
// when it was there before) and marks the document as in review.
func (s *Store) EnqueueReview(ctx context.Context, it *ReviewItem) (int64, error) {
	reasons, err := json.Marshal(nonNilSlice(it.Reasons))
	if err != nil {
		return 0, err
	}
	var id int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO review_items (document_id, document_name, workflow_id, doc_type, priority, reasons, partial_fields, due_at)
			SELECT $1, d.name, $2, $3, $4, $5, $6, $7 FROM documents d WHERE d.id = $1
			ON CONFLICT (document_id) DO UPDATE
			SET workflow_id = excluded.workflow_id, doc_type = excluded.doc_type, priority = excluded.priority,
			    reasons = excluded.reasons, partial_fields = excluded.partial_fields, due_at = excluded.due_at,
			    state = 'pending', claimed_by = NULL, lease_expires_at = NULL, escalated = false, updated_at = now()
			RETURNING id`,
			it.DocumentID, it.WorkflowID, it.DocType, it.Priority, reasons, nullJSON(it.PartialFields), it.DueAt).Scan(&id)
		if err != nil {
			return notFound(err, "document "+it.DocumentID)
		}
		if _, err := tx.Exec(ctx, `
			UPDATE documents SET status = 'review', reason = $2, updated_at = now() WHERE id = $1`,
			it.DocumentID, reasonSummary(it.Reasons)); err != nil {
			return err
		}
		return audit(ctx, tx, id, "enqueued", "system", map[string]any{"reasons": it.Reasons})
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue review of %s: %w", it.DocumentID, err)
	}
	return id, nil
}

// reasonSummary is the document's reason: every tier's failure, in order.
func reasonSummary(rs []dftype.Reason) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		parts = append(parts, r.Tier+": "+r.Code)
	}
	return strings.Join(parts, ", ")
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}

func audit(ctx context.Context, tx pgx.Tx, itemID int64, action, actor string, detail any) error {
	d, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO review_events (review_item_id, action, actor, detail) VALUES ($1, $2, $3, $4)`,
		itemID, action, actor, d)
	return err
}

// ResolveReview applies a decision to a document's review item and ends the
// document: completed with the reviewed fields (tier manual), or rejected.
// An item claimed by another reviewer whose lease has not expired is
// refused with ErrNotHolder. Applying the same decision twice is a no-op, so
// the activity that calls it can be retried; a different decision on a
// closed item is refused with ErrClosed.
func (s *Store) ResolveReview(ctx context.Context, docID string, d *dftype.Decision) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var (
			id        int64
			state     string
			docType   string
			claimedBy *string
			leaseLive bool
		)
		err := tx.QueryRow(ctx, `
			SELECT id, state, doc_type, claimed_by, coalesce(lease_expires_at > now(), false)
			FROM review_items WHERE document_id = $1 FOR UPDATE`, docID).
			Scan(&id, &state, &docType, &claimedBy, &leaseLive)
		if err != nil {
			return notFound(err, "review item of "+docID)
		}
		if state == ReviewCompleted || state == ReviewRejected {
			return sameDecision(ctx, tx, id, state, d)
		}
		if state == ReviewRedriven {
			return fmt.Errorf("%w (re-driven through the automated tiers)", ErrClosed)
		}
		if state == ReviewClaimed && leaseLive && claimedBy != nil && *claimedBy != d.Reviewer {
			return fmt.Errorf("%w (held by %s)", ErrNotHolder, *claimedBy)
		}
		newState, action := ReviewCompleted, "completed"
		if d.Fields == nil {
			newState, action = ReviewRejected, "rejected"
		}
		if _, err := tx.Exec(ctx, `
			UPDATE review_items SET state = $2, claimed_by = $3, lease_expires_at = NULL, updated_at = now()
			WHERE id = $1`, id, newState, d.Reviewer); err != nil {
			return err
		}
		if err := audit(ctx, tx, id, action, d.Reviewer, d); err != nil {
			return err
		}
		if d.Fields == nil {
			_, err = tx.Exec(ctx, `
				UPDATE documents SET status = 'rejected', reason = $2, finished_at = now(), updated_at = now()
				WHERE id = $1`, docID, "rejected by "+d.Reviewer+": "+d.Reason)
			return err
		}
		if d.DocType != "" {
			docType = d.DocType
		}
		return complete(ctx, tx, &Result{
			DocumentID: docID, DocType: docType, Fields: d.Fields, Tier: "manual", Reviewer: d.Reviewer,
		})
	})
}

// sameDecision returns nil when d is the decision that closed item id (a
// retried call), and ErrClosed when another decision did.
func sameDecision(ctx context.Context, tx pgx.Tx, id int64, state string, d *dftype.Decision) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	var same bool
	err = tx.QueryRow(ctx, `
		SELECT coalesce((SELECT detail = $2::jsonb FROM review_events
		                 WHERE review_item_id = $1 AND action IN ('completed', 'rejected')
		                 ORDER BY id DESC LIMIT 1), false)`, id, raw).Scan(&same)
	if err != nil || same {
		return err
	}
	return fmt.Errorf("%w (already %s by another decision)", ErrClosed, state)
}

// Escalate raises an overdue item's priority and pushes its due time out by
// sla. It reports whether the item was still open.
func (s *Store) Escalate(ctx context.Context, docID string, sla time.Duration) (bool, error) {
	var open bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `
			UPDATE review_items
			SET priority = greatest(priority - 10, 0), escalated = true,
			    due_at = now() + make_interval(secs => $2), updated_at = now()
			WHERE document_id = $1 AND state IN ('pending', 'claimed')
			RETURNING id`, docID, sla.Seconds()).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		open = true
		return audit(ctx, tx, id, "escalated", "system", map[string]any{"sla": sla.String()})
	})
	return open, err
}

// Redrive takes a document's open review item out of the queue so that its
// workflow can run the automated tiers again, and marks the document as
// processing. Redriving an item already redriven is a no-op.
func (s *Store) Redrive(ctx context.Context, docID, actor string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		var state string
		err := tx.QueryRow(ctx, `SELECT id, state FROM review_items WHERE document_id = $1 FOR UPDATE`, docID).Scan(&id, &state)
		if err != nil {
			return notFound(err, "review item of "+docID)
		}
		switch state {
		case ReviewRedriven:
			return nil
		case ReviewCompleted, ReviewRejected:
			return ErrClosed
		}
		if _, err := tx.Exec(ctx, `
			UPDATE review_items SET state = 'redriven', claimed_by = NULL, lease_expires_at = NULL, updated_at = now()
			WHERE id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			UPDATE documents SET status = 'processing', reason = NULL, updated_at = now() WHERE id = $1`, docID); err != nil {
			return err
		}
		return audit(ctx, tx, id, "redriven", actor, map[string]any{})
	})
}
