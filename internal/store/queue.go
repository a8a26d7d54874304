package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ClaimFilter narrows which pending items a reviewer takes.
type ClaimFilter struct {
	DocType string // only this document type
	Reason  string // only items with a reason of this code
}

const reviewColumns = `r.id, r.document_id, r.document_name, r.workflow_id, r.doc_type, r.state, r.priority, r.reasons,
	r.partial_fields, coalesce(r.claimed_by, ''), r.lease_expires_at, r.due_at, r.escalated, r.created_at, r.updated_at`

func scanReviewItem(row pgx.Row) (*ReviewItem, error) {
	var it ReviewItem
	var partial []byte
	err := row.Scan(&it.ID, &it.DocumentID, &it.DocumentName, &it.WorkflowID, &it.DocType, &it.State, &it.Priority,
		&it.Reasons, &partial, &it.ClaimedBy, &it.LeaseExpiresAt, &it.DueAt, &it.Escalated, &it.CreatedAt, &it.UpdatedAt)
	if len(partial) > 0 {
		it.PartialFields = partial
	}
	return &it, err
}

// Claim gives the reviewer the most urgent, oldest pending item, leased for
// lease. It is one statement in the shape river uses — lock with FOR UPDATE
// SKIP LOCKED in the order of review_items_claim_idx, update, audit — so
// concurrent reviewers never wait on each other or take the same item. When
// nothing is pending it returns expired leases to the queue and tries once
// more; then ErrQueueEmpty.
func (s *Store) Claim(ctx context.Context, reviewer string, lease time.Duration, f ClaimFilter) (*ReviewItem, error) {
	for try := 0; try < 2; try++ {
		it, err := scanReviewItem(s.pool.QueryRow(ctx, `
			WITH locked AS (
				SELECT id FROM review_items
				WHERE state = 'pending'
				  AND ($3 = '' OR doc_type = $3)
				  AND ($4 = '' OR reasons @> jsonb_build_array(jsonb_build_object('code', $4::text)))
				ORDER BY priority, created_at, id
				LIMIT 1
				FOR UPDATE SKIP LOCKED
			), claimed AS (
				UPDATE review_items r
				SET state = 'claimed', claimed_by = $1, lease_expires_at = now() + make_interval(secs => $2), updated_at = now()
				FROM locked WHERE r.id = locked.id
				RETURNING r.*
			), event AS (
				INSERT INTO review_events (review_item_id, action, actor, detail)
				SELECT id, 'claimed', $1, jsonb_build_object('lease_seconds', $2::float8) FROM claimed
			)
			SELECT `+reviewColumns+` FROM claimed r`,
			reviewer, lease.Seconds(), f.DocType, f.Reason))
		if err == nil {
			return it, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("claim: %w", err)
		}
		if n, err := s.ExpireLeases(ctx); err != nil || n == 0 {
			return nil, errors.Join(ErrQueueEmpty, err)
		}
	}
	return nil, ErrQueueEmpty
}

// ExpireLeases returns claimed items whose lease ran out to the queue and
// says how many there were.
func (s *Store) ExpireLeases(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `
		WITH expired AS (
			UPDATE review_items
			SET state = 'pending', claimed_by = NULL, lease_expires_at = NULL, updated_at = now()
			WHERE state = 'claimed' AND lease_expires_at < now()
			RETURNING id
		), event AS (
			INSERT INTO review_events (review_item_id, action, actor) SELECT id, 'lease_expired', 'system' FROM expired
		)
		SELECT count(*) FROM expired`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("expire leases: %w", err)
	}
	return n, nil
}

// Extend renews the reviewer's lease on an item they hold.
func (s *Store) Extend(ctx context.Context, id int64, reviewer string, lease time.Duration) (*ReviewItem, error) {
	return s.holderAction(ctx, id, reviewer, "extended", `
		UPDATE review_items SET lease_expires_at = now() + make_interval(secs => $3), updated_at = now()
		WHERE id = $1 AND state = 'claimed' AND claimed_by = $2`, lease.Seconds())
}

// Release gives an item the reviewer holds back to the queue.
func (s *Store) Release(ctx context.Context, id int64, reviewer string) (*ReviewItem, error) {
	return s.holderAction(ctx, id, reviewer, "released", `
		UPDATE review_items SET state = 'pending', claimed_by = NULL, lease_expires_at = NULL, updated_at = now()
		WHERE id = $1 AND state = 'claimed' AND claimed_by = $2`)
}

// holderAction runs update (whose $1 and $2 are the item id and the
// reviewer, followed by args) for the item's holder, and audits it.
func (s *Store) holderAction(ctx context.Context, id int64, reviewer, action, update string, args ...any) (*ReviewItem, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, update, append([]any{id, reviewer}, args...)...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return s.whyNotHolder(ctx, tx, id)
		}
		return audit(ctx, tx, id, action, reviewer, map[string]any{})
	})
	if err != nil {
		return nil, err
	}
	return s.ReviewItem(ctx, id)
}

func (s *Store) whyNotHolder(ctx context.Context, tx pgx.Tx, id int64) error {
	var state string
	var holder *string
	if err := tx.QueryRow(ctx, `SELECT state, claimed_by FROM review_items WHERE id = $1`, id).Scan(&state, &holder); err != nil {
		return notFound(err, fmt.Sprintf("review item %d", id))
	}
	switch {
	case state == ReviewCompleted || state == ReviewRejected:
		return ErrClosed
	case holder != nil:
		return fmt.Errorf("%w (held by %s)", ErrNotHolder, *holder)
	default:
		return fmt.Errorf("%w (it is %s)", ErrNotHolder, state)
	}
}

// ReviewItem returns one item.
func (s *Store) ReviewItem(ctx context.Context, id int64) (*ReviewItem, error) {
	it, err := scanReviewItem(s.pool.QueryRow(ctx, `SELECT `+reviewColumns+`
		FROM review_items r WHERE r.id = $1`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("review item %d", id))
	}
	return it, nil
}

// ReviewFilter selects items to list; zero values match everything.
type ReviewFilter struct {
	State     string
	DocType   string
	Reason    string
	OlderThan time.Duration
	Limit     int
}

// ListReview lists items, most urgent and oldest first.
func (s *Store) ListReview(ctx context.Context, f ReviewFilter) ([]*ReviewItem, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := s.pool.Query(ctx, `SELECT `+reviewColumns+`
		FROM review_items r
		WHERE ($1 = '' OR r.state = $1) AND ($2 = '' OR r.doc_type = $2)
		  AND ($3 = '' OR r.reasons @> jsonb_build_array(jsonb_build_object('code', $3::text)))
		  AND r.created_at <= now() - make_interval(secs => $4)
		ORDER BY r.priority, r.created_at, r.id LIMIT $5`,
		f.State, f.DocType, f.Reason, f.OlderThan.Seconds(), f.Limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*ReviewItem, error) { return scanReviewItem(row) })
}

// ReviewEvent is one line of an item's audit log.
type ReviewEvent struct {
	Action string          `json:"action"`
	Actor  string          `json:"actor"`
	Detail json.RawMessage `json:"detail,omitempty"`
	At     time.Time       `json:"at"`
}

// ReviewEvents returns an item's audit log, oldest first.
func (s *Store) ReviewEvents(ctx context.Context, id int64) ([]*ReviewEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT action, actor, detail, at FROM review_events WHERE review_item_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*ReviewEvent, error) {
		var e ReviewEvent
		err := row.Scan(&e.Action, &e.Actor, &e.Detail, &e.At)
		return &e, err
	})
}

// ReviewItemByDocument returns a document's review item.
func (s *Store) ReviewItemByDocument(ctx context.Context, docID string) (*ReviewItem, error) {
	it, err := scanReviewItem(s.pool.QueryRow(ctx, `SELECT `+reviewColumns+`
		FROM review_items r WHERE r.document_id = $1`, docID))
	if err != nil {
		return nil, notFound(err, "review item of "+docID)
	}
	return it, nil
}
