package store

import (
	"context"
	"errors"
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
		if err := lockModel(ctx, tx, model); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rate_log WHERE model = $1 AND at < clock_timestamp() - interval '2 minutes'`, model); err != nil {
			return err
		}
		uses, err := windowUses(ctx, tx, model)
		if err != nil {
			return err
		}
		usedRequests, usedTokens := 0, 0
		for _, u := range uses {
			usedRequests += u.requests
			usedTokens += u.tokens
		}
		need := min(tokens, max(lim.TPM, 1)) // an oversized request waits for an empty window
		if lim.TPM <= 0 {
			need = 0
		}
		// The request fits once enough of the oldest uses have expired.
		for i := 0; i <= len(uses); i++ {
			fitsRequests := lim.RPM <= 0 || usedRequests+1 <= lim.RPM
			fitsTokens := lim.TPM <= 0 || usedTokens+need <= lim.TPM
			if fitsRequests && fitsTokens {
				if i > 0 {
					wait = max(uses[i-1].expires, time.Millisecond)
				}
				break
			}
			if i < len(uses) {
				usedRequests -= uses[i].requests
				usedTokens -= uses[i].tokens
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

// use is a row of the log inside the current window: the requests and
// tokens it counts and how long until it leaves the window.
type use struct {
	requests, tokens int
	expires          time.Duration
}

// windowUses reads model's uses inside the window, oldest first.
func windowUses(ctx context.Context, tx pgx.Tx, model string) ([]use, error) {
	rows, err := tx.Query(ctx, `
		SELECT requests, tokens, extract(epoch FROM at + $2::interval - clock_timestamp())::float8
		FROM rate_log WHERE model = $1 AND at > clock_timestamp() - $2::interval ORDER BY at`, model, RateWindow)
	if err != nil {
		return nil, err
	}
	var (
		uses []use
		u    use
		secs float64
	)
	_, err = pgx.ForEachRow(rows, []any{&u.requests, &u.tokens, &secs}, func() error {
		u.expires = time.Duration(secs * float64(time.Second))
		uses = append(uses, u)
		return nil
	})
	return uses, err
}

// lockModel serialises the log's readers and writers of one model until
// the transaction ends.
func lockModel(ctx context.Context, tx pgx.Tx, model string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('rate_log:' || $1, 0))`, model)
	return err
}

// Settle records that the provider has answered request id, having counted
// tokens for it. The request's time in the log moves to now: the provider
// counts a request from when it arrived, which lies between Take and the
// answer, so a use counted from the answer never leaves the log's minute
// before it leaves the provider's. (Counted from Take, a request that took
// long to arrive would leave the log first, and the next one sent into its
// room would be refused.)
//
// requestsLeft and tokensLeft are what the provider's x-ratelimit-remaining-*
// headers said was left of its minute (negative: not reported). Where the
// provider has less room than the log, it counts usage the log does not
// (another client on the same key, or a lower limit than configured): the
// difference is logged as one use that holds its room for a whole window,
// the longest such usage can still count at the provider. The headers
// describe the provider's minute when the request arrived, which ended
// after the request was taken: the log is compared over the minute before
// the Take and since, which holds every request of ours the provider can
// still have counted. (Over the last minute only, a request answered a
// little more than a minute ago, left the log but still counted by the
// provider when this one arrived, would be taken for unseen usage.)
func (r *RateLog) Settle(ctx context.Context, id int64, tokens, requestsLeft, tokensLeft int) error {
	err := pgx.BeginFunc(ctx, r.store.pool, func(tx pgx.Tx) error {
		// The row is updated before the model's lock is taken: Take locks
		// only rows older than two minutes (to delete them), and a request
		// is answered well before (the client's timeout is a minute). Were
		// one not, Postgres would end the deadlock by failing one side: a
		// Settle leaves the reservation, a Take is retried.
		var (
			model string
			taken time.Time
		)
		err := tx.QueryRow(ctx, `
			UPDATE rate_log r SET tokens = $2, at = clock_timestamp() FROM rate_log taken
			WHERE r.id = $1 AND taken.id = $1 RETURNING r.model, taken.at`,
			id, tokens).Scan(&model, &taken)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // already expired and deleted
		}
		if err != nil {
			return err
		}
		lim := r.limits[model]
		if (lim.RPM <= 0 || requestsLeft < 0) && (lim.TPM <= 0 || tokensLeft < 0) {
			return nil
		}
		if err := lockModel(ctx, tx, model); err != nil {
			return err
		}
		var usedRequests, usedTokens int
		if err := tx.QueryRow(ctx, `
			SELECT coalesce(sum(requests), 0), coalesce(sum(tokens), 0) FROM rate_log
			WHERE model = $1 AND at > $2::timestamptz - $3::interval`, model, taken, RateWindow).Scan(&usedRequests, &usedTokens); err != nil {
			return err
		}
		var unseen use
		if lim.RPM > 0 && requestsLeft >= 0 {
			unseen.requests = max(lim.RPM-usedRequests-requestsLeft, 0)
		}
		if lim.TPM > 0 && tokensLeft >= 0 {
			unseen.tokens = max(lim.TPM-usedTokens-tokensLeft, 0)
		}
		if unseen.requests == 0 && unseen.tokens == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO rate_log (model, requests, tokens) VALUES ($1, $2, $3)`, model, unseen.requests, unseen.tokens)
		return err
	})
	if err != nil {
		return fmt.Errorf("rate log: %w", err)
	}
	return nil
}
