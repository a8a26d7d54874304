package activities_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/dftype"
)

// TestReviewSLAFromTheWorkflow: the SLA the workflow passes sets the item's
// due time and each escalation; items of older workflows, which pass none,
// take the worker's.
func TestReviewSLAFromTheWorkflow(t *testing.T) {
	t.Parallel()
	b := setup(t) // the worker's SLA is an hour
	for _, tc := range []struct {
		file string
		sla  time.Duration
		want time.Duration
	}{
		{"invoice-messy.pdf", 90 * time.Minute, 90 * time.Minute},
		{"letter.pdf", 0, time.Hour},
	} {
		id := b.put(t, tc.file)
		v, err := b.env.ExecuteActivity(b.acts.EnqueueReview, activities.ReviewInput{DocumentID: id, WorkflowID: "doc-" + id,
			DocType: "invoice", Reasons: []dftype.Reason{{Tier: "rules", Code: "low_confidence"}}, SLA: tc.sla})
		require.NoError(t, err)
		require.NoError(t, v.Get(new(int64)))
		it, err := b.st.ReviewItemByDocument(b.ctx, id)
		require.NoError(t, err)
		require.InDelta(t, tc.want.Seconds(), it.DueAt.Sub(it.CreatedAt).Seconds(), 60, tc.file)

		_, err = b.env.ExecuteActivity(b.acts.Escalate, id, tc.sla)
		require.NoError(t, err)
		var sla string
		require.NoError(t, b.st.Pool().QueryRow(b.ctx, `SELECT detail->>'sla' FROM review_events
			WHERE review_item_id = $1 AND action = 'escalated'`, it.ID).Scan(&sla))
		require.Equal(t, tc.want.String(), sla, tc.file)
	}
}
