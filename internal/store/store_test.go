package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/internal/store/storetest"
)

type testBundle struct {
	ctx context.Context
	st  *store.Store
	url string
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	st, url := storetest.New(t)
	return &testBundle{ctx: context.Background(), st: st, url: url}
}

func (b *testBundle) document(t testing.TB, content string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(content))
	id := hex.EncodeToString(sum[:])
	created, err := b.st.PutDocument(b.ctx, &store.Document{ID: id, Name: "doc.txt", MediaType: "text/plain", Content: []byte(content)})
	require.NoError(t, err)
	require.True(t, created)
	return id
}

func TestMigrationsDownAndUp(t *testing.T) {
	t.Parallel()
	b := setup(t)
	exists := func(table string) bool {
		var ok bool
		require.NoError(t, b.st.Pool().QueryRow(b.ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&ok))
		return ok
	}
	column := func(table, name string) bool {
		var n int
		require.NoError(t, b.st.Pool().QueryRow(b.ctx,
			`SELECT count(*) FROM information_schema.columns WHERE table_name = $1 AND column_name = $2`, table, name).Scan(&n))
		return n > 0
	}
	require.True(t, column("rate_log", "requests"))
	v, err := store.Migrate(b.ctx, b.url, -1)
	require.NoError(t, err)
	require.EqualValues(t, 6, v)
	require.False(t, column("rate_log", "requests"), "007 down drops rate_log.requests")
	require.True(t, column("attempts", "text_source"))
	v, err = store.Migrate(b.ctx, b.url, -1)
	require.NoError(t, err)
	require.EqualValues(t, 5, v)
	require.False(t, column("attempts", "text_source"), "006 down drops attempts.text_source")
	require.False(t, column("attempts", "page_images"))
	v, err = store.Migrate(b.ctx, b.url, -1)
	require.NoError(t, err)
	require.EqualValues(t, 4, v)
	v, err = store.Migrate(b.ctx, b.url, -1)
	require.NoError(t, err)
	require.EqualValues(t, 3, v)
	require.False(t, exists("reviewers"), "004 down drops reviewers")
	v, err = store.Migrate(b.ctx, b.url, -1)
	require.NoError(t, err)
	require.EqualValues(t, 2, v)
	require.False(t, exists("rate_log"), "003 down drops rate_log")
	v, err = store.Migrate(b.ctx, b.url, -1)
	require.NoError(t, err)
	require.EqualValues(t, 1, v)
	require.False(t, exists("einvoices"), "002 down drops einvoices")
	v, err = store.Migrate(b.ctx, b.url, -1)
	require.NoError(t, err)
	require.Zero(t, v)
	var n int
	require.NoError(t, b.st.Pool().QueryRow(b.ctx,
		`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations'`).Scan(&n))
	require.Zero(t, n, "down migration leaves no tables")
	v, err = store.Migrate(b.ctx, b.url, 0)
	require.NoError(t, err)
	require.EqualValues(t, 7, v)
	v, err = store.Migrate(b.ctx, b.url, 0)
	require.NoError(t, err, "up again is a no-op")
	require.EqualValues(t, 7, v)
}

func TestPutDocumentIsIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.document(t, "invoice 1")
	created, err := b.st.PutDocument(b.ctx, &store.Document{ID: id, Name: "again.txt", MediaType: "text/plain", Content: []byte("invoice 1")})
	require.NoError(t, err)
	require.False(t, created)
	d, err := b.st.Document(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, "doc.txt", d.Name, "the first submission's name stays")
	require.Equal(t, dftype.StatusPending, d.Status)

	_, err = b.st.Document(b.ctx, "0000000000000000000000000000000000000000000000000000000000000000")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestResolveID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.document(t, "resolve me")
	for _, ref := range []string{id, "doc-" + id, id[:8], "DOC-" + id[:10]} {
		got, err := b.st.ResolveID(b.ctx, ref)
		require.NoError(t, err, ref)
		require.Equal(t, id, got)
	}
	_, err := b.st.ResolveID(b.ctx, "abc")
	require.ErrorContains(t, err, "not a document id")
	_, err = b.st.ResolveID(b.ctx, "ffffffffff")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestFirstValidExtractionWins(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.document(t, "extract me")
	save := func(fields string, valid bool) *store.Extraction {
		e, err := b.st.SaveExtraction(b.ctx, &store.Extraction{DocumentID: id, Tier: "rules", DocType: "invoice",
			Fields: json.RawMessage(fields), Overall: 0.9, Valid: valid})
		require.NoError(t, err)
		return e
	}
	require.False(t, save(`{"total": 1}`, false).Valid)
	kept := save(`{"total": 2}`, true)
	require.True(t, kept.Valid)
	require.JSONEq(t, `{"total": 2}`, string(kept.Fields), "a valid result replaces an invalid one")
	kept = save(`{"total": 3}`, true)
	require.JSONEq(t, `{"total": 2}`, string(kept.Fields), "the first valid result is kept")

	require.NoError(t, b.st.StartProcessing(b.ctx, id, true))
	_, err := b.st.Extraction(b.ctx, id, "rules")
	require.ErrorIs(t, err, store.ErrNotFound, "reprocessing drops earlier candidates")
}

func TestCompleteTotalsAttempts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.document(t, "complete me")
	now := time.Now()
	for i, a := range []*store.Attempt{
		{Tier: "primary", Model: "gpt-4o", Outcome: store.OutcomeError, ErrorClass: "RateLimited", Latency: 200 * time.Millisecond, CostUSD: 0},
		{Tier: "primary", Model: "gpt-4o", Outcome: store.OutcomeSuccess, Latency: 800 * time.Millisecond, PromptTokens: 1000, CompletionTokens: 100, CostUSD: 0.0035,
			TextSource: "ocr", PageImages: 2},
	} {
		a.DocumentID, a.Attempt, a.StartedAt = id, i+1, now.Add(time.Duration(i)*time.Second)
		require.NoError(t, b.st.RecordAttempt(b.ctx, a))
	}
	require.NoError(t, b.st.Complete(b.ctx, &store.Result{DocumentID: id, DocType: "invoice",
		Fields: json.RawMessage(`{"total": 5}`), Tier: "primary", Model: "gpt-4o"}))

	r, err := b.st.Result(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, 2, r.Attempts)
	require.InDelta(t, 0.0035, r.CostUSD, 1e-9)
	require.EqualValues(t, 1000, r.LatencyMS)
	d, err := b.st.Document(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, dftype.StatusCompleted, d.Status)
	require.NotNil(t, d.FinishedAt)
	attempts, err := b.st.Attempts(b.ctx, id)
	require.NoError(t, err)
	require.Len(t, attempts, 2)
	require.Equal(t, "RateLimited", attempts[0].ErrorClass)
	require.Empty(t, attempts[0].TextSource)
	require.Equal(t, "ocr", attempts[1].TextSource, "what the attempt read")
	require.Equal(t, 2, attempts[1].PageImages)
}

func TestReviewResolution(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.document(t, "review me")
	itemID, err := b.st.EnqueueReview(b.ctx, &store.ReviewItem{DocumentID: id, WorkflowID: "doc-" + id, DocType: "invoice",
		Priority: 100, Reasons: []dftype.Reason{{Tier: "rules", Code: "low_confidence"}}, DueAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	again, err := b.st.EnqueueReview(b.ctx, &store.ReviewItem{DocumentID: id, WorkflowID: "doc-" + id, DocType: "invoice",
		Priority: 100, DueAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	require.Equal(t, itemID, again, "one item per document")
	d, err := b.st.Document(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, dftype.StatusReview, d.Status)

	// Another reviewer holds a live lease: the decision is refused.
	_, err = b.st.Pool().Exec(b.ctx, `UPDATE review_items SET state = 'claimed', claimed_by = 'zed',
		lease_expires_at = now() + interval '5 minutes' WHERE id = $1`, itemID)
	require.NoError(t, err)
	err = b.st.ResolveReview(b.ctx, id, &dftype.Decision{Reviewer: "ann", Fields: json.RawMessage(`{"total": 1}`)})
	require.ErrorIs(t, err, store.ErrNotHolder)

	require.NoError(t, b.st.ResolveReview(b.ctx, id, &dftype.Decision{Reviewer: "zed", Fields: json.RawMessage(`{"total": 1}`)}))
	require.NoError(t, b.st.ResolveReview(b.ctx, id, &dftype.Decision{Reviewer: "zed", Fields: json.RawMessage(`{"total": 1}`)}),
		"the same decision again is a no-op")
	require.ErrorIs(t, b.st.ResolveReview(b.ctx, id, &dftype.Decision{Reviewer: "ann", Reason: "nope"}), store.ErrClosed)
	require.ErrorIs(t, b.st.ResolveReview(b.ctx, id, &dftype.Decision{Reviewer: "zed", Reason: "nope"}), store.ErrClosed,
		"a different decision by the same reviewer is a conflict too")
	require.ErrorIs(t, b.st.ResolveReview(b.ctx, id, &dftype.Decision{Reviewer: "zed", Fields: json.RawMessage(`{"total": 2}`)}),
		store.ErrClosed, "so are other fields")

	r, err := b.st.Result(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, "manual", r.Tier)
	require.Equal(t, "zed", r.Reviewer)
	var actions []string
	rows, err := b.st.Pool().Query(b.ctx, `SELECT action FROM review_events WHERE review_item_id = $1 ORDER BY id`, itemID)
	require.NoError(t, err)
	for rows.Next() {
		var a string
		require.NoError(t, rows.Scan(&a))
		actions = append(actions, a)
	}
	require.Equal(t, []string{"enqueued", "enqueued", "completed"}, actions)
}

func TestReviewerCorrectsTheType(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.document(t, "a scan")
	_, err := b.st.EnqueueReview(b.ctx, &store.ReviewItem{DocumentID: id, WorkflowID: "doc-" + id, DocType: "other",
		Priority: 100, DueAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	require.NoError(t, b.st.ResolveReview(b.ctx, id, &dftype.Decision{Reviewer: "ann", DocType: "invoice",
		Fields: json.RawMessage(`{"total": 3}`)}))
	r, err := b.st.Result(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, "invoice", r.DocType)
	d, err := b.st.Document(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, "invoice", d.DocType)
}

func TestEInvoiceXML(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.document(t, "e-invoice")
	_, _, err := b.st.EInvoice(b.ctx, id)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, b.st.SaveEInvoice(b.ctx, id, "factur-x.xml", []byte("<x/>")))
	require.NoError(t, b.st.SaveEInvoice(b.ctx, id, "factur-x.xml", []byte("<y/>")), "parsing again replaces it")
	xml, name, err := b.st.EInvoice(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, "factur-x.xml", name)
	require.Equal(t, []byte("<y/>"), xml)
}

func TestReviewerAccounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.st.ReviewerPasswordHash(b.ctx, "ann")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, b.st.SetReviewer(b.ctx, "ann", []byte("hash-1")))
	require.NoError(t, b.st.SetReviewer(b.ctx, "ann", []byte("hash-2")), "setting again replaces the hash")
	hash, err := b.st.ReviewerPasswordHash(b.ctx, "ann")
	require.NoError(t, err)
	require.Equal(t, "hash-2", string(hash))
}
