package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/store"
)

func (b *testBundle) enqueue(t testing.TB, n int, docType, code string, priority int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		id := b.document(t, fmt.Sprintf("%s-%s-%d-%d", docType, code, priority, i))
		_, err := b.st.EnqueueReview(b.ctx, &store.ReviewItem{DocumentID: id, WorkflowID: "doc-" + id, DocType: docType,
			Priority: priority, Reasons: []dftype.Reason{{Tier: "primary", Code: code}}, DueAt: time.Now().Add(time.Hour)})
		require.NoError(t, err)
		ids[i] = id
	}
	return ids
}

func TestConcurrentClaimersNeverShareAnItem(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const items, reviewers = 120, 16
	b.enqueue(t, items, "invoice", "low_confidence", 100)

	var mu sync.Mutex
	claimedBy := map[int64]string{}
	var wg sync.WaitGroup
	errs := make(chan error, reviewers)
	for r := 0; r < reviewers; r++ {
		wg.Add(1)
		go func(name string) {
			defer wg.Done()
			for {
				it, err := b.st.Claim(b.ctx, name, time.Minute, store.ClaimFilter{})
				if errors.Is(err, store.ErrQueueEmpty) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if prev, dup := claimedBy[it.ID]; dup {
					errs <- fmt.Errorf("item %d claimed by %s and %s", it.ID, prev, name)
				}
				claimedBy[it.ID] = name
				mu.Unlock()
			}
		}(fmt.Sprintf("reviewer-%d", r))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, claimedBy, items, "every item claimed exactly once")
	var events int
	require.NoError(t, b.st.Pool().QueryRow(b.ctx, `SELECT count(*) FROM review_events WHERE action = 'claimed'`).Scan(&events))
	require.Equal(t, items, events, "every claim is audited")
}

func TestClaimOrderAndFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.enqueue(t, 1, "receipt", "rate_limit", 100)
	urgent := b.enqueue(t, 1, "invoice", "low_confidence", 10)
	b.enqueue(t, 1, "invoice", "rate_limit", 100)

	it, err := b.st.Claim(b.ctx, "ann", time.Minute, store.ClaimFilter{})
	require.NoError(t, err)
	require.Equal(t, urgent[0], it.DocumentID, "lower priority value first")
	require.Equal(t, "ann", it.ClaimedBy)
	require.Equal(t, store.ReviewClaimed, it.State)

	it, err = b.st.Claim(b.ctx, "ann", time.Minute, store.ClaimFilter{DocType: "invoice", Reason: "rate_limit"})
	require.NoError(t, err)
	require.Equal(t, "invoice", it.DocType)
	require.Equal(t, "rate_limit", it.Reasons[0].Code)
	_, err = b.st.Claim(b.ctx, "ann", time.Minute, store.ClaimFilter{DocType: "invoice"})
	require.ErrorIs(t, err, store.ErrQueueEmpty)

	pending, err := b.st.ListReview(b.ctx, store.ReviewFilter{State: store.ReviewPending})
	require.NoError(t, err)
	require.Len(t, pending, 1)
	require.Equal(t, "receipt", pending[0].DocType)
	old, err := b.st.ListReview(b.ctx, store.ReviewFilter{OlderThan: time.Hour})
	require.NoError(t, err)
	require.Empty(t, old)
}

func TestLeasesExpireExtendAndRelease(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.enqueue(t, 1, "invoice", "low_confidence", 100)

	// Long enough that a loaded machine still claims again inside it.
	it, err := b.st.Claim(b.ctx, "ann", 2*time.Second, store.ClaimFilter{})
	require.NoError(t, err)
	_, err = b.st.Extend(b.ctx, it.ID, "bob", time.Minute)
	require.ErrorIs(t, err, store.ErrNotHolder)
	_, err = b.st.Claim(b.ctx, "bob", time.Minute, store.ClaimFilter{})
	require.ErrorIs(t, err, store.ErrQueueEmpty, "a live lease keeps the item")

	time.Sleep(2100 * time.Millisecond)
	again, err := b.st.Claim(b.ctx, "bob", time.Minute, store.ClaimFilter{})
	require.NoError(t, err, "an expired lease returns the item to the queue")
	require.Equal(t, it.ID, again.ID)
	require.Equal(t, "bob", again.ClaimedBy)

	_, err = b.st.Release(b.ctx, it.ID, "ann")
	require.ErrorIs(t, err, store.ErrNotHolder, "ann's lease is gone")
	ext, err := b.st.Extend(b.ctx, it.ID, "bob", time.Hour)
	require.NoError(t, err)
	require.True(t, ext.LeaseExpiresAt.After(time.Now().Add(50*time.Minute)))
	rel, err := b.st.Release(b.ctx, it.ID, "bob")
	require.NoError(t, err)
	require.Equal(t, store.ReviewPending, rel.State)
	require.Empty(t, rel.ClaimedBy)

	events, err := b.st.ReviewEvents(b.ctx, it.ID)
	require.NoError(t, err)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	require.Equal(t, []string{"system enqueued", "ann claimed", "system lease_expired", "bob claimed", "bob extended", "bob released"}, actions)
}
