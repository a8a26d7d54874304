package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/internal/store/storetest"
)

// BenchmarkClaim measures review claims per second with 1, 4 and 16
// concurrent reviewers: Store.Claim (lease, audit row, full item returned)
// next to a raw single-statement UPDATE … FOR UPDATE SKIP LOCKED on the same
// table, measured in the same run. It reports both rates, their ratio, and
// the number of double claims (which must be 0).
func BenchmarkClaim(b *testing.B) {
	st, _ := storetest.New(b)
	ctx := context.Background()
	const items = 400
	fill := func() {
		exec := func(q string, args ...any) {
			if _, err := st.Pool().Exec(ctx, q, args...); err != nil {
				b.Fatal(err)
			}
		}
		exec(`TRUNCATE documents CASCADE`)
		exec(`INSERT INTO documents (id, name, media_type, size_bytes, content)
			SELECT encode(sha256(i::text::bytea), 'hex'), 'doc-' || i, 'text/plain', 1, 'x'::bytea
			FROM generate_series(1, $1) i`, items)
		exec(`INSERT INTO review_items (document_id, document_name, workflow_id, doc_type, priority, reasons, due_at)
			SELECT id, name, 'doc-' || id, 'invoice', 100, '[{"tier":"rules","code":"low_confidence"}]', now() + interval '1 hour'
			FROM documents`)
		exec(`ANALYZE review_items`)
	}
	raw := func(reviewer string) (int64, error) {
		var id int64
		err := st.Pool().QueryRow(ctx, `
			UPDATE review_items SET state = 'claimed', claimed_by = $1, lease_expires_at = now() + interval '5 minutes'
			WHERE id = (SELECT id FROM review_items WHERE state = 'pending'
			            ORDER BY priority, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
			RETURNING id`, reviewer).Scan(&id)
		return id, err
	}
	claim := func(reviewer string) (int64, error) {
		it, err := st.Claim(ctx, reviewer, 5*time.Minute, store.ClaimFilter{})
		if err != nil {
			return 0, err
		}
		return it.ID, nil
	}
	// drain claims every item with n reviewers and returns the elapsed time
	// and the number of items claimed twice.
	drain := func(n int, take func(string) (int64, error)) (time.Duration, int64) {
		fill()
		var seen sync.Map
		var dup, claimed atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for r := 0; r < n; r++ {
			wg.Add(1)
			go func(name string) {
				defer wg.Done()
				for claimed.Load() < items {
					id, err := take(name)
					if err != nil {
						return
					}
					claimed.Add(1)
					if _, loaded := seen.LoadOrStore(id, name); loaded {
						dup.Add(1)
					}
				}
			}(fmt.Sprint("r", r))
		}
		wg.Wait()
		if claimed.Load() != items {
			b.Fatalf("claimed %d of %d items", claimed.Load(), items)
		}
		return time.Since(start), dup.Load()
	}
	for _, n := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("reviewers=%d", n), func(b *testing.B) {
			var rawTime, claimTime time.Duration
			var dups int64
			for i := 0; i < b.N; i++ {
				t, d := drain(n, raw)
				rawTime += t
				dups += d
				t, d = drain(n, claim)
				claimTime += t
				dups += d
			}
			total := float64(items * b.N)
			b.ReportMetric(total/rawTime.Seconds(), "raw-claims/s")
			b.ReportMetric(total/claimTime.Seconds(), "claims/s")
			b.ReportMetric(rawTime.Seconds()/claimTime.Seconds(), "ratio")
			b.ReportMetric(float64(dups), "double-claims")
			b.ReportMetric(0, "ns/op")
		})
	}
}
