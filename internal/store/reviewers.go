package store

import (
	"context"
	"fmt"
)

// SetReviewer creates a reviewer account, or replaces its password hash
// when the account exists. The hash is bcrypt's; the store never sees a
// password.
func (s *Store) SetReviewer(ctx context.Context, name string, passwordHash []byte) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO reviewers (name, password_hash) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, updated_at = now()`,
		name, passwordHash)
	if err != nil {
		return fmt.Errorf("set reviewer %s: %w", name, err)
	}
	return nil
}

// ReviewerPasswordHash returns a reviewer's bcrypt hash, or ErrNotFound.
func (s *Store) ReviewerPasswordHash(ctx context.Context, name string) ([]byte, error) {
	var hash []byte
	if err := s.pool.QueryRow(ctx, `SELECT password_hash FROM reviewers WHERE name = $1`, name).Scan(&hash); err != nil {
		return nil, notFound(err, "reviewer "+name)
	}
	return hash, nil
}

// ReasonCount is how many open items (pending or claimed) carry a reason code.
type ReasonCount struct {
	Code  string `json:"code"`
	Count int    `json:"count"`
}

// OpenReasonCounts counts the open items per reason code, most frequent first.
func (s *Store) OpenReasonCounts(ctx context.Context) ([]ReasonCount, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT r->>'code', count(DISTINCT i.id)::int FROM review_items i,
		     jsonb_array_elements(CASE jsonb_typeof(i.reasons) WHEN 'array' THEN i.reasons ELSE '[]' END) r
		WHERE i.state IN ('pending', 'claimed')
		GROUP BY 1 ORDER BY 2 DESC, 1`)
	if err != nil {
		return nil, fmt.Errorf("reason counts: %w", err)
	}
	defer rows.Close()
	var out []ReasonCount
	for rows.Next() {
		var c ReasonCount
		if err := rows.Scan(&c.Code, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
