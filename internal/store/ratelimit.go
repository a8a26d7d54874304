package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RateWindow is the window providers count their per-minute limits over.
const RateWindow = time.Minute

// RateLimit is a model's requests and tokens per minute; zero fields are not
// limited.
type RateLimit struct {
	RPM, TPM int
}

// RateLog keeps every worker's requests to the models inside their limits:
// Take records a request in the shared log when the last minute has room for
// it. Requests to one model are serialised by a transaction-scoped advisory
// lock, so two workers never both take the last room.
type RateLog struct {
	store  *Store
	limits map[string]RateLimit
}

// RateLog returns the log that enforces limits, by model name; models not
// in limits are not limited.
func (s *Store) RateLog(limits map[string]RateLimit) *RateLog {
	return &RateLog{store: s, limits: limits}
}

// Take records a request of tokens to model and returns its id in the log
// and 0, or, when the last minute has no room for it, records nothing and
// returns how long until it has. A request larger than the model's TPM never fits: it is taken alone
// once the window is empty, so that the provider answers it (with its own
// error) instead of the request waiting forever.
func (r *RateLog) Take(ctx context.Context, model string, tokens int) (int64, time.Duration, error) {
	lim, ok := r.limits[model]
	if !ok || lim.RPM <= 0 && lim.TPM <= 0 {
		return 0, 0, nil
	}
	var (
		id   int64
		wait time.Duration
	)
	err := pgx.BeginFunc(ctx, r.store.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('rate_log:' || $1, 0))`, model); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rate_log WHERE model = $1 AND at < clock_timestamp() - interval '2 minutes'`, model); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT tokens, extract(epoch FROM at + $2::interval - clock_timestamp())::float8
			FROM rate_log WHERE model = $1 AND at > clock_timestamp() - $2::interval ORDER BY at`, model, RateWindow)
		if err != nil {
			return err
		}
		type use struct {
			tokens  int
			expires time.Duration
		}
		var uses []use
		var u use
		var secs float64
		if _, err := pgx.ForEachRow(rows, []any{&u.tokens, &secs}, func() error {
			u.expires = time.Duration(secs * float64(time.Second))
			uses = append(uses, u)
			return nil
		}); err != nil {
			return err
		}
		used := 0
		for _, u := range uses {
			used += u.tokens
		}
		need := min(tokens, max(lim.TPM, 1)) // an oversized request waits for an empty window
		if lim.TPM <= 0 {
			need = 0
		}
		// The request fits once enough of the oldest uses have expired.
		for i := 0; i <= len(uses); i++ {
			fitsRequests := lim.RPM <= 0 || len(uses)-i+1 <= lim.RPM
			fitsTokens := lim.TPM <= 0 || used+need <= lim.TPM
			if fitsRequests && fitsTokens {
				if i > 0 {
					wait = max(uses[i-1].expires, time.Millisecond)
				}
				break
			}
			if i < len(uses) {
				used -= uses[i].tokens
			}
		}
		if wait > 0 {
			return nil
		}
		return tx.QueryRow(ctx, `INSERT INTO rate_log (model, tokens) VALUES ($1, $2) RETURNING id`, model, tokens).Scan(&id)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("rate log %s: %w", model, err)
	}
	return id, wait, nil
}

// Settle records that the provider has answered request id, having counted
// tokens for it. The request's time in the log moves to now: the provider
// counts a request from when it arrived, which lies between Take and the
// answer, so a use counted from the answer never leaves the log's minute
// before it leaves the provider's. (Counted from Take, a request that took
// long to arrive would leave the log first, and the next one sent into its
// room would be refused.)
func (r *RateLog) Settle(ctx context.Context, id int64, tokens int) error {
	if _, err := r.store.pool.Exec(ctx, `UPDATE rate_log SET tokens = $2, at = clock_timestamp() WHERE id = $1`, id, tokens); err != nil {
		return fmt.Errorf("rate log: %w", err)
	}
	return nil
}
