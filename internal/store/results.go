package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Extraction is one tier's candidate result for a document.
type Extraction struct {
	DocumentID string             `json:"document_id"`
	Tier       string             `json:"tier"`
	Model      string             `json:"model,omitempty"`
	DocType    string             `json:"doc_type"`
	Fields     json.RawMessage    `json:"fields"`
	Confidence map[string]float64 `json:"confidence,omitempty"`
	Overall    float64            `json:"overall"`
	Valid      bool               `json:"valid"`
	Problems   []string           `json:"problems,omitempty"`
}

// SaveExtraction records a tier's candidate. A valid candidate already stored
// for the tier is kept: the first valid result wins, and is returned.
func (s *Store) SaveExtraction(ctx context.Context, e *Extraction) (*Extraction, error) {
	conf, _ := json.Marshal(nonNilMap(e.Confidence))
	probs, _ := json.Marshal(nonNilSlice(e.Problems))
	_, err := s.pool.Exec(ctx, `
		INSERT INTO extractions (document_id, tier, model, doc_type, fields, confidence, overall, valid, problems)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (document_id, tier) DO UPDATE
		SET model = excluded.model, doc_type = excluded.doc_type, fields = excluded.fields,
		    confidence = excluded.confidence, overall = excluded.overall, valid = excluded.valid,
		    problems = excluded.problems, created_at = now()
		WHERE NOT extractions.valid`,
		e.DocumentID, e.Tier, e.Model, e.DocType, e.Fields, conf, e.Overall, e.Valid, probs)
	if err != nil {
		return nil, fmt.Errorf("save extraction: %w", err)
	}
	return s.Extraction(ctx, e.DocumentID, e.Tier)
}

const extractionColumns = `document_id, tier, model, doc_type, fields, confidence, overall, valid, problems`

func scanExtraction(row pgx.Row) (*Extraction, error) {
	var e Extraction
	err := row.Scan(&e.DocumentID, &e.Tier, &e.Model, &e.DocType, &e.Fields, &e.Confidence, &e.Overall, &e.Valid, &e.Problems)
	return &e, err
}

// Extraction returns the candidate a tier stored for a document.
func (s *Store) Extraction(ctx context.Context, docID, tier string) (*Extraction, error) {
	e, err := scanExtraction(s.pool.QueryRow(ctx,
		`SELECT `+extractionColumns+` FROM extractions WHERE document_id = $1 AND tier = $2`, docID, tier))
	if err != nil {
		return nil, notFound(err, "extraction "+tier+" of "+docID)
	}
	return e, nil
}

// BestExtraction returns the candidate with the highest confidence, valid or
// not: the partial fields a reviewer starts from.
func (s *Store) BestExtraction(ctx context.Context, docID string) (*Extraction, error) {
	e, err := scanExtraction(s.pool.QueryRow(ctx, `
		SELECT `+extractionColumns+` FROM extractions WHERE document_id = $1
		ORDER BY valid DESC, overall DESC, created_at LIMIT 1`, docID))
	if err != nil {
		return nil, notFound(err, "extractions of "+docID)
	}
	return e, nil
}

// Attempt is one try of one tier, successful or not.
type Attempt struct {
	DocumentID       string        `json:"document_id"`
	Task             string        `json:"task"` // extract (the default), classify or summarize
	Tier             string        `json:"tier"`
	Model            string        `json:"model,omitempty"`
	Attempt          int           `json:"attempt"`
	Outcome          string        `json:"outcome"` // success, error, invalid, low_confidence
	ErrorClass       string        `json:"error_class,omitempty"`
	ErrorMessage     string        `json:"error_message,omitempty"`
	Latency          time.Duration `json:"-"`
	LatencyMS        int64         `json:"latency_ms"`
	PromptTokens     int           `json:"prompt_tokens"`
	CompletionTokens int           `json:"completion_tokens"`
	CostUSD          float64       `json:"cost_usd"`
	StartedAt        time.Time     `json:"started_at"`
	// TextSource is where the text the attempt read came from (text_layer,
	// ocr, file, einvoice), empty when unknown (an answer from the cache);
	// PageImages counts the page images sent with it to a vision model.
	TextSource string `json:"text_source,omitempty"`
	PageImages int    `json:"page_images,omitempty"`
}

// Attempt outcomes.
const (
	OutcomeSuccess       = "success"
	OutcomeError         = "error"
	OutcomeInvalid       = "invalid"
	OutcomeLowConfidence = "low_confidence"
)

// RecordAttempt appends to the attempts log.
func (s *Store) RecordAttempt(ctx context.Context, a *Attempt) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO attempts (document_id, task, tier, model, attempt, outcome, error_class, error_message,
			latency_ms, prompt_tokens, completion_tokens, cost_usd, started_at, text_source, page_images)
		VALUES ($1, coalesce(nullif($2, ''), 'extract'), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		a.DocumentID, a.Task, a.Tier, a.Model, a.Attempt, a.Outcome, a.ErrorClass, a.ErrorMessage,
		a.Latency.Milliseconds(), a.PromptTokens, a.CompletionTokens, a.CostUSD, a.StartedAt, a.TextSource, a.PageImages)
	if err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	return nil
}

// Attempts returns a document's attempts, oldest first.
func (s *Store) Attempts(ctx context.Context, docID string) ([]*Attempt, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT document_id, task, tier, model, attempt, outcome, error_class, error_message, latency_ms,
			prompt_tokens, completion_tokens, cost_usd::float8, started_at, text_source, page_images
		FROM attempts WHERE document_id = $1 ORDER BY started_at, id`, docID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*Attempt, error) {
		var a Attempt
		err := row.Scan(&a.DocumentID, &a.Task, &a.Tier, &a.Model, &a.Attempt, &a.Outcome, &a.ErrorClass, &a.ErrorMessage,
			&a.LatencyMS, &a.PromptTokens, &a.CompletionTokens, &a.CostUSD, &a.StartedAt, &a.TextSource, &a.PageImages)
		a.Latency = time.Duration(a.LatencyMS) * time.Millisecond
		return &a, err
	})
}

// Result is a document's final result with its provenance.
type Result struct {
	DocumentID string             `json:"document_id"`
	DocType    string             `json:"doc_type"`
	Fields     json.RawMessage    `json:"fields"`
	Confidence map[string]float64 `json:"confidence,omitempty"`
	Tier       string             `json:"tier"`
	Model      string             `json:"model,omitempty"`
	Attempts   int                `json:"attempts"`
	CostUSD    float64            `json:"cost_usd"`
	LatencyMS  int64              `json:"latency_ms"`
	Reviewer   string             `json:"reviewer,omitempty"`
	CreatedAt  time.Time          `json:"created_at"`
}

// Complete stores a document's final result and marks it completed. Attempts,
// cost and latency are totalled from the attempts log.
func (s *Store) Complete(ctx context.Context, r *Result) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return complete(ctx, tx, r) })
}

func complete(ctx context.Context, tx pgx.Tx, r *Result) error {
	conf, _ := json.Marshal(nonNilMap(r.Confidence))
	_, err := tx.Exec(ctx, `
			INSERT INTO results (document_id, doc_type, fields, confidence, tier, model, attempts, cost_usd, latency_ms, reviewer)
			SELECT $1, $2, $3, $4, $5, $6, count(a.id), coalesce(sum(a.cost_usd), 0), coalesce(sum(a.latency_ms), 0), nullif($7, '')
			FROM (SELECT 1) one LEFT JOIN attempts a ON a.document_id = $1
			ON CONFLICT (document_id) DO UPDATE
			SET doc_type = excluded.doc_type, fields = excluded.fields, confidence = excluded.confidence,
			    tier = excluded.tier, model = excluded.model, attempts = excluded.attempts,
			    cost_usd = excluded.cost_usd, latency_ms = excluded.latency_ms, reviewer = excluded.reviewer,
			    created_at = now()`,
		r.DocumentID, r.DocType, r.Fields, conf, r.Tier, r.Model, r.Reviewer)
	if err != nil {
		return fmt.Errorf("store result: %w", err)
	}
	tag, err := tx.Exec(ctx, `
		UPDATE documents SET status = 'completed', doc_type = $2, reason = NULL, finished_at = now(), updated_at = now()
		WHERE id = $1`, r.DocumentID, r.DocType)
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("document %s: %w", r.DocumentID, ErrNotFound)
	}
	return err
}

// Result returns a document's final result.
func (s *Store) Result(ctx context.Context, docID string) (*Result, error) {
	var r Result
	var reviewer *string
	err := s.pool.QueryRow(ctx, `
		SELECT document_id, doc_type, fields, confidence, tier, model, attempts, cost_usd::float8, latency_ms, reviewer, created_at
		FROM results WHERE document_id = $1`, docID).
		Scan(&r.DocumentID, &r.DocType, &r.Fields, &r.Confidence, &r.Tier, &r.Model, &r.Attempts, &r.CostUSD,
			&r.LatencyMS, &reviewer, &r.CreatedAt)
	if err != nil {
		return nil, notFound(err, "result of "+docID)
	}
	if reviewer != nil {
		r.Reviewer = *reviewer
	}
	return &r, nil
}

func nonNilMap(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// CacheKey identifies a cached LLM answer.
type CacheKey struct {
	DocumentID, DocType, Model, PromptVersion string
}

// CachedAnswer returns a validated LLM answer stored under key no longer ago
// than ttl, and the model name the API reported for it.
func (s *Store) CachedAnswer(ctx context.Context, key CacheKey, ttl time.Duration) (json.RawMessage, string, error) {
	var fields json.RawMessage
	var by string
	err := s.pool.QueryRow(ctx, `
		SELECT fields, answered_by FROM llm_cache
		WHERE document_id = $1 AND doc_type = $2 AND model = $3 AND prompt_version = $4
		  AND created_at > now() - make_interval(secs => $5)`,
		key.DocumentID, key.DocType, key.Model, key.PromptVersion, ttl.Seconds()).Scan(&fields, &by)
	if err != nil {
		return nil, "", notFound(err, "cached answer")
	}
	return fields, by, nil
}

// CacheAnswer stores (or refreshes) a validated LLM answer.
func (s *Store) CacheAnswer(ctx context.Context, key CacheKey, fields json.RawMessage, answeredBy string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO llm_cache (document_id, doc_type, model, prompt_version, fields, answered_by)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (document_id, doc_type, model, prompt_version) DO UPDATE
		SET fields = excluded.fields, answered_by = excluded.answered_by, created_at = now()`,
		key.DocumentID, key.DocType, key.Model, key.PromptVersion, fields, answeredBy)
	return err
}

// TaskResult is the output of an optional task on a document.
type TaskResult struct {
	DocumentID string          `json:"document_id"`
	Task       string          `json:"task"`
	Output     json.RawMessage `json:"output"`
	Tier       string          `json:"tier"`
	Model      string          `json:"model,omitempty"`
	Fallback   bool            `json:"fallback"`
}

// SaveTaskResult stores (or replaces) a task's output. A classification
// also sets the document's type.
func (s *Store) SaveTaskResult(ctx context.Context, r *TaskResult) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO task_results (document_id, task, output, tier, model, fallback) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (document_id, task) DO UPDATE
			SET output = excluded.output, tier = excluded.tier, model = excluded.model,
			    fallback = excluded.fallback, created_at = now()`,
			r.DocumentID, r.Task, r.Output, r.Tier, r.Model, r.Fallback); err != nil {
			return fmt.Errorf("save %s result: %w", r.Task, err)
		}
		if r.Task != "classify" {
			return nil
		}
		_, err := tx.Exec(ctx, `UPDATE documents SET doc_type = $2::jsonb ->> 'category', updated_at = now() WHERE id = $1`,
			r.DocumentID, r.Output)
		return err
	})
}

// TaskResults returns a document's task outputs by task.
func (s *Store) TaskResults(ctx context.Context, docID string) (map[string]*TaskResult, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT document_id, task, output, tier, model, fallback FROM task_results WHERE document_id = $1`, docID)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*TaskResult, error) {
		var r TaskResult
		err := row.Scan(&r.DocumentID, &r.Task, &r.Output, &r.Tier, &r.Model, &r.Fallback)
		return &r, err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]*TaskResult, len(list))
	for _, r := range list {
		out[r.Task] = r
	}
	return out, nil
}

// DocumentCost is what a document's attempts have cost so far.
func (s *Store) DocumentCost(ctx context.Context, id string) (float64, error) {
	var cost float64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(cost_usd), 0)::float8 FROM attempts WHERE document_id = $1`, id).Scan(&cost)
	if err != nil {
		return 0, fmt.Errorf("cost of %s: %w", id, err)
	}
	return cost, nil
}
