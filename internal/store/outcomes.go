package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// pairOutcomes is one row per document, tier and model of the extraction
// attempts that pass the condition %s: whether the tier read the document
// (an attempt succeeded), failed for the document's reasons (an attempt
// was invalid or unsure, or failed with one of the classes in $1), what
// its attempts cost, and when the first started.
const pairOutcomes = `
	SELECT a.document_id, a.tier, a.model,
	       bool_or(a.outcome = 'success') AS succeeded,
	       bool_or(a.outcome IN ('invalid', 'low_confidence') OR a.outcome = 'error' AND a.error_class = ANY($1)) AS failed,
	       coalesce(sum(a.cost_usd), 0)::float8 AS cost, min(a.started_at) AS first_at
	FROM attempts a
	WHERE a.task = 'extract' AND %s
	GROUP BY a.document_id, a.tier, a.model`

// What routing knew of a document when it was parsed (document_texts t):
// the rules classifier's type and complexity.
const (
	classifiedType       = `coalesce(t.classification->>'Type', '')`
	classifiedComplexity = `coalesce((t.classification->>'Complexity')::float8, 0)`
)

// ModelOutcome is what the attempts log says of a model's extractions on
// one kind of document (type, and band of complexity): on how many
// documents the outcome is known (it read them, or failed for the
// document's reasons), how many it read, and what its attempts on them
// cost.
type ModelOutcome struct {
	Model     string
	DocType   string
	Band      int
	Documents int
	Successes int
	CostUSD   float64
}

// ModelOutcomes reads, in one grouped query over the extraction attempts
// of the last window, each model's outcomes by document type and band of
// complexity: band i holds the complexities from bounds[i-1] (inclusive)
// to bounds[i] (Postgres's width_bucket). Errors of documentFailures count
// as failures on the document; other errors (the provider's) say nothing.
func (s *Store) ModelOutcomes(ctx context.Context, window time.Duration, bounds []float64, documentFailures []string) ([]ModelOutcome, error) {
	rows, err := s.pool.Query(ctx, `
		WITH p AS (`+fmt.Sprintf(pairOutcomes, `a.model <> '' AND a.started_at > now() - $2::interval`)+`)
		SELECT p.model, `+classifiedType+`, width_bucket(`+classifiedComplexity+`, $3::float8[]),
		       count(*), count(*) FILTER (WHERE p.succeeded), sum(p.cost)
		FROM p LEFT JOIN document_texts t ON t.document_id = p.document_id
		WHERE p.succeeded OR p.failed
		GROUP BY 1, 2, 3`, documentFailures, window, bounds)
	if err != nil {
		return nil, fmt.Errorf("model outcomes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ModelOutcome, error) {
		var m ModelOutcome
		err := row.Scan(&m.Model, &m.DocType, &m.Band, &m.Documents, &m.Successes, &m.CostUSD)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("model outcomes: %w", err)
	}
	return out, nil
}

// DocumentOutcome is a document's extraction tiers as the attempts log
// recorded them.
type DocumentOutcome struct {
	DocumentID string
	DocType    string
	Complexity float64
	EInvoice   bool
	Tiers      []TierOutcome
}

// TierOutcome is one tier (and model) on one document: it read the
// document (Succeeded), failed for the document's reasons (Failed), or
// neither (only the provider failed: unknown).
type TierOutcome struct {
	Tier, Model       string
	Succeeded, Failed bool
	CostUSD           float64
}

// DocumentOutcomes reads the extraction tiers' outcomes on each document
// submitted since since, oldest first attempt first; documentFailures are
// as for ModelOutcomes.
func (s *Store) DocumentOutcomes(ctx context.Context, since time.Time, documentFailures []string) ([]DocumentOutcome, error) {
	rows, err := s.pool.Query(ctx, `
		WITH p AS (`+fmt.Sprintf(pairOutcomes, `a.document_id IN (SELECT id FROM documents WHERE submitted_at >= $2)`)+`)
		SELECT p.document_id, `+classifiedType+`, `+classifiedComplexity+`,
		       EXISTS (SELECT 1 FROM einvoices e WHERE e.document_id = p.document_id),
		       p.tier, p.model, p.succeeded, p.failed, p.cost
		FROM p LEFT JOIN document_texts t ON t.document_id = p.document_id
		ORDER BY min(p.first_at) OVER (PARTITION BY p.document_id), p.document_id, p.first_at`, documentFailures, since)
	if err != nil {
		return nil, fmt.Errorf("document outcomes: %w", err)
	}
	var (
		out []DocumentOutcome
		d   DocumentOutcome
		t   TierOutcome
	)
	_, err = pgx.ForEachRow(rows, []any{&d.DocumentID, &d.DocType, &d.Complexity, &d.EInvoice,
		&t.Tier, &t.Model, &t.Succeeded, &t.Failed, &t.CostUSD}, func() error {
		if n := len(out); n == 0 || out[n-1].DocumentID != d.DocumentID {
			out = append(out, DocumentOutcome{DocumentID: d.DocumentID, DocType: d.DocType, Complexity: d.Complexity, EInvoice: d.EInvoice})
		}
		out[len(out)-1].Tiers = append(out[len(out)-1].Tiers, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("document outcomes: %w", err)
	}
	return out, nil
}
