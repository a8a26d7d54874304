package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Stats summarises the pipeline over the documents submitted since a time.
type Stats struct {
	Since time.Time `json:"since"`
	// Documents counts the documents submitted in the window by status.
	Documents map[string]int `json:"documents"`
	// Settled counts those that reached completed, rejected or review.
	Settled int `json:"settled"`
	// CompletedByTier counts completed documents by the tier that
	// completed them (manual: by a reviewer).
	CompletedByTier map[string]int `json:"completed_by_tier"`
	// AutomatedRate is the share of settled documents completed without a
	// person; ManualRate the share that went to the review queue.
	AutomatedRate float64 `json:"automated_rate"`
	ManualRate    float64 `json:"manual_rate"`
	// CostUSD is the cost of every attempt in the window.
	CostUSD float64 `json:"cost_usd"`
	// Tiers are the attempts in the window by task, tier and model.
	Tiers []TierStats `json:"tiers"`
	// TopReasons are the most frequent reasons documents went to review.
	TopReasons []TopReason `json:"top_reasons"`
	// TopErrors are the most frequent failed attempts by tier and class.
	TopErrors []ErrorCount `json:"top_errors"`
	// Queue is the review queue now (not limited to the window).
	Queue QueueStats `json:"queue"`
}

// TierStats are the attempts of one task, tier and model.
type TierStats struct {
	Task             string  `json:"task"`
	Tier             string  `json:"tier"`
	Model            string  `json:"model,omitempty"`
	Attempts         int     `json:"attempts"`
	Successes        int     `json:"successes"`
	SuccessRate      float64 `json:"success_rate"`
	CostUSD          float64 `json:"cost_usd"`
	PromptTokens     int64   `json:"prompt_tokens"`
	CompletionTokens int64   `json:"completion_tokens"`
	LatencyP50MS     float64 `json:"latency_p50_ms"`
	LatencyP95MS     float64 `json:"latency_p95_ms"`
	LatencyP99MS     float64 `json:"latency_p99_ms"`
}

// TopReason is how often a review reason ("tier:code") occurred.
type TopReason struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// ErrorCount is how often attempts of a tier failed with an error class.
type ErrorCount struct {
	Tier       string `json:"tier"`
	ErrorClass string `json:"error_class"`
	Count      int    `json:"count"`
}

// QueueStats is the review queue's depth and its oldest pending item.
type QueueStats struct {
	Pending          int     `json:"pending"`
	Claimed          int     `json:"claimed"`
	Overdue          int     `json:"overdue"`
	OldestPendingSec float64 `json:"oldest_pending_seconds"`
}

// Stats reads the pipeline's figures for documents submitted since since;
// top lists hold at most top rows.
func (s *Store) Stats(ctx context.Context, since time.Time, top int) (*Stats, error) {
	st := &Stats{Since: since, Documents: map[string]int{}, CompletedByTier: map[string]int{},
		Tiers: []TierStats{}, TopReasons: []TopReason{}, TopErrors: []ErrorCount{}}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		each := func(sql string, scans []any, fn func(), args ...any) error {
			rows, err := tx.Query(ctx, sql, args...)
			if err != nil {
				return err
			}
			_, err = pgx.ForEachRow(rows, scans, func() error { fn(); return nil })
			return err
		}
		var (
			key, key2 string
			n         int
			t         TierStats
		)
		if err := each(`SELECT status, count(*) FROM documents WHERE submitted_at >= $1 GROUP BY status`,
			[]any{&key, &n}, func() { st.Documents[key] = n }, since); err != nil {
			return err
		}
		if err := each(`
			SELECT r.tier, count(*) FROM results r JOIN documents d ON d.id = r.document_id
			WHERE d.submitted_at >= $1 AND d.status = 'completed' GROUP BY r.tier`,
			[]any{&key, &n}, func() { st.CompletedByTier[key] = n }, since); err != nil {
			return err
		}
		// Documents that went to a person: every one with a review item,
		// whatever happened to it since.
		var reviewed int
		if err := tx.QueryRow(ctx, `
			SELECT count(*) FROM review_items i JOIN documents d ON d.id = i.document_id
			WHERE d.submitted_at >= $1`, since).Scan(&reviewed); err != nil {
			return err
		}
		if err := each(`
			SELECT a.task, a.tier, a.model, count(*), count(*) FILTER (WHERE a.outcome = 'success'),
			       coalesce(sum(a.cost_usd), 0)::float8, coalesce(sum(a.prompt_tokens), 0), coalesce(sum(a.completion_tokens), 0),
			       percentile_cont(0.5) WITHIN GROUP (ORDER BY a.latency_ms),
			       percentile_cont(0.95) WITHIN GROUP (ORDER BY a.latency_ms),
			       percentile_cont(0.99) WITHIN GROUP (ORDER BY a.latency_ms)
			FROM attempts a JOIN documents d ON d.id = a.document_id
			WHERE d.submitted_at >= $1
			GROUP BY a.task, a.tier, a.model ORDER BY a.task, a.tier, a.model`,
			[]any{&t.Task, &t.Tier, &t.Model, &t.Attempts, &t.Successes, &t.CostUSD, &t.PromptTokens,
				&t.CompletionTokens, &t.LatencyP50MS, &t.LatencyP95MS, &t.LatencyP99MS},
			func() {
				t.SuccessRate = float64(t.Successes) / float64(t.Attempts)
				st.CostUSD += t.CostUSD
				st.Tiers = append(st.Tiers, t)
			}, since); err != nil {
			return err
		}
		if err := each(`
			SELECT r->>'tier' || ':' || (r->>'code'), count(*)
			FROM review_items i JOIN documents d ON d.id = i.document_id,
				jsonb_array_elements(CASE jsonb_typeof(i.reasons) WHEN 'array' THEN i.reasons ELSE '[]' END) r
			WHERE d.submitted_at >= $1
			GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $2`,
			[]any{&key, &n}, func() { st.TopReasons = append(st.TopReasons, TopReason{Reason: key, Count: n}) }, since, top); err != nil {
			return err
		}
		if err := each(`
			SELECT a.tier, a.error_class, count(*)
			FROM attempts a JOIN documents d ON d.id = a.document_id
			WHERE d.submitted_at >= $1 AND a.outcome <> 'success'
			GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT $2`,
			[]any{&key, &key2, &n}, func() { st.TopErrors = append(st.TopErrors, ErrorCount{Tier: key, ErrorClass: key2, Count: n}) },
			since, top); err != nil {
			return err
		}
		q, err := queueStats(ctx, tx)
		st.Queue = q
		if err != nil {
			return err
		}
		st.Settled = st.Documents["completed"] + st.Documents["rejected"] + st.Documents["review"]
		if st.Settled > 0 {
			st.AutomatedRate = float64(st.Documents["completed"]-st.CompletedByTier["manual"]) / float64(st.Settled)
			st.ManualRate = float64(min(reviewed, st.Settled)) / float64(st.Settled)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	return st, nil
}

// QueueStats reads the review queue's depth and the age of its oldest
// pending item.
func (s *Store) QueueStats(ctx context.Context) (QueueStats, error) {
	return queueStats(ctx, s.pool)
}

type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func queueStats(ctx context.Context, db queryRower) (QueueStats, error) {
	var q QueueStats
	err := db.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'claimed'),
		       count(*) FILTER (WHERE state IN ('pending', 'claimed') AND due_at < now()),
		       coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE state = 'pending')), 0)::float8
		FROM review_items WHERE state IN ('pending', 'claimed')`).Scan(&q.Pending, &q.Claimed, &q.Overdue, &q.OldestPendingSec)
	if err != nil {
		return QueueStats{}, fmt.Errorf("review queue stats: %w", err)
	}
	return q, nil
}

// ModelHealth is what the attempts log says of a model's recent calls.
type ModelHealth struct {
	Attempts, Failures int
	// Waits are the attempts that ended waiting for the shared rate limit.
	Waits     int
	SinceLast time.Duration
	// LastFailed reports that the last attempt failed with one of the
	// failure classes.
	LastFailed bool
	// Latency is the median latency of the successful attempts, 0 when
	// there were none.
	Latency time.Duration
}

// ModelHealth reads each model's attempts of the last window from every
// worker's log: how many, how many failed with one of failureClasses, how
// many ended with waitClass, the time since the last one and the median
// latency of those that succeeded.
func (s *Store) ModelHealth(ctx context.Context, window time.Duration, failureClasses []string, waitClass string) (map[string]ModelHealth, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT model, count(*), count(*) FILTER (WHERE outcome = 'error' AND error_class = ANY($2)),
		       count(*) FILTER (WHERE outcome = 'error' AND error_class = $3),
		       extract(epoch FROM now() - max(started_at))::float8,
		       (array_agg(outcome = 'error' AND error_class = ANY($2) ORDER BY started_at DESC, id DESC))[1],
		       coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE outcome = 'success'), 0)
		FROM attempts WHERE model <> '' AND started_at > now() - $1::interval
		GROUP BY model`, window, failureClasses, waitClass)
	if err != nil {
		return nil, fmt.Errorf("model health: %w", err)
	}
	health := map[string]ModelHealth{}
	var (
		model     string
		h         ModelHealth
		secs      float64
		latencyMS int64
	)
	_, err = pgx.ForEachRow(rows, []any{&model, &h.Attempts, &h.Failures, &h.Waits, &secs, &h.LastFailed, &latencyMS}, func() error {
		h.SinceLast = time.Duration(secs * float64(time.Second))
		h.Latency = time.Duration(latencyMS) * time.Millisecond
		health[model] = h
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("model health: %w", err)
	}
	return health, nil
}

// BusiestMinute returns the most prompt tokens model's attempts used in any
// minute, counted from when the attempts ended: what a provider that
// charges the prompt against its tokens-per-minute limit counted in its
// fullest minute, when its answers are quick (an attempt starts before it
// waits for room in the rate limits, and ends soon after its request
// arrived).
func (s *Store) BusiestMinute(ctx context.Context, model string) (int64, error) {
	var tokens int64
	// The minute from each end: the frame ends a microsecond (Postgres's
	// resolution) short of a minute, as a use leaves the provider's window
	// at a minute.
	err := s.pool.QueryRow(ctx, `
		SELECT coalesce(max(minute), 0) FROM (
			SELECT sum(prompt_tokens) OVER (ORDER BY at RANGE BETWEEN CURRENT ROW AND interval '59.999999 seconds' FOLLOWING) AS minute
			FROM (SELECT started_at + latency_ms * interval '1 millisecond' AS at, prompt_tokens
				FROM attempts WHERE model = $1 AND prompt_tokens > 0) ended) w`,
		model).Scan(&tokens)
	if err != nil {
		return 0, fmt.Errorf("busiest minute of %s: %w", model, err)
	}
	return tokens, nil
}
