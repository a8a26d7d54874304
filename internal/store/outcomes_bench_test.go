package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/dataforge/dataforge/internal/store/storetest"
)

// BenchmarkModelOutcomes measures learned routing's one grouped query over
// a week of attempts: 20,000 documents of four types, each tried on two
// models (40,000 attempts), next to the circuit breakers' ModelHealth over
// the same table, in the same run.
func BenchmarkModelOutcomes(b *testing.B) {
	st, _ := storetest.New(b)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO documents (id, name, media_type, size_bytes, content, doc_type)
			SELECT encode(sha256(i::text::bytea), 'hex'), 'doc-' || i, 'text/plain', 1, 'x'::bytea,
			       (ARRAY['invoice', 'receipt', 'purchase_order', 'other'])[1 + i % 4]
			FROM generate_series(1, 20000) i`,
		`INSERT INTO document_texts (document_id, text, pages, classification)
			SELECT id, 'x', 1, jsonb_build_object('Type', doc_type, 'Complexity', random()) FROM documents`,
		`INSERT INTO attempts (document_id, tier, model, attempt, outcome, error_class, latency_ms, cost_usd, started_at)
			SELECT d.id, m.tier, m.model, 1, CASE WHEN random() < 0.8 THEN 'success' ELSE 'invalid' END, '', 100, 0.001,
			       now() - random() * interval '7 days'
			FROM documents d, (VALUES ('primary', 'gpt-4o'), ('fallback', 'gpt-4o-mini')) m (tier, model)`,
		`ANALYZE`,
	} {
		if _, err := st.Pool().Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	failures := []string{"InvalidOutput"}
	var outcomes, health time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := st.ModelOutcomes(ctx, 7*24*time.Hour, []float64{0.25, 0.55}, failures); err != nil {
			b.Fatal(err)
		}
		outcomes += time.Since(start)
		start = time.Now()
		if _, err := st.ModelHealth(ctx, 7*24*time.Hour, failures, "RateLimitWait"); err != nil {
			b.Fatal(err)
		}
		health += time.Since(start)
	}
	b.ReportMetric(float64(outcomes.Milliseconds())/float64(b.N), "outcomes-ms/op")
	b.ReportMetric(float64(health.Milliseconds())/float64(b.N), "health-7d-ms/op")
}
