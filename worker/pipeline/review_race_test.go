package pipeline_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkclient "go.temporal.io/sdk/client"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/workflows"
)

// variant writes a copy of the messy sample (which the rules send to
// review) made distinct by a trailing PDF comment, so each case has a
// document of its own.
func variant(t *testing.T, n string) string {
	t.Helper()
	content, err := os.ReadFile(sample(t, "invoice-messy.pdf"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "messy-"+n+".pdf")
	require.NoError(t, os.WriteFile(path, append(content, []byte("\n% "+n+"\n")...), 0o644))
	return path
}

type action struct {
	name string
	arg  any
}

func (b *testBundle) act(id string, a action) error {
	h, err := b.client.UpdateWorkflow(b.ctx, sdkclient.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(id), UpdateName: a.name, Args: []any{a.arg},
		WaitForStage: sdkclient.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return h.Get(b.ctx, nil)
}

// TestConcurrentReviewerActions sends two reviewer actions at once to a
// document waiting in review on a real server: exactly one wins, the other
// gets an error, and Postgres holds the winner's decision, as the workflow's
// result does.
func TestConcurrentReviewerActions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	fields := &schema.Fields{InvoiceNumber: "M-1", IssueDate: "2024-02-01", Issuer: "Cafe Lux", Total: ptr(42.5), Currency: "EUR"}
	ann := action{workflows.UpdateReview, workflows.ReviewDecision{Reviewer: "ann", Fields: fields}}
	cases := []struct {
		name  string
		other action
	}{
		{"two submits", action{workflows.UpdateReview, workflows.ReviewDecision{Reviewer: "bob", Fields: fields}}},
		{"submit and reject", action{workflows.UpdateReview, workflows.ReviewDecision{Reviewer: "bob", Reject: true, Reason: "dup"}}},
		{"submit and redrive", action{workflows.UpdateRedrive, "ops"}},
	}
	var paths []string
	for i := range cases {
		paths = append(paths, variant(t, cases[i].name))
	}
	items := b.submitAndWait(t, paths, client.Options{})
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := items[i].DocumentID
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for j, act := range []action{ann, tc.other} {
				wg.Add(1)
				go func() { defer wg.Done(); errs[j] = b.act(id, act) }()
			}
			wg.Wait()
			require.True(t, (errs[0] == nil) != (errs[1] == nil), "exactly one wins: %v", errs)
			loser := errs[0]
			if loser == nil {
				loser = errs[1]
			}
			require.Regexp(t, "already reviewed|being recorded|not waiting for review", loser.Error())
			t.Logf("ann's submit won: %v; the other: %v", errs[0] == nil, loser)
			if errs[1] == nil && tc.other.name == workflows.UpdateRedrive {
				// The re-drive won: the rules fail again and the document
				// waits once more; then ann decides.
				require.Eventually(t, func() bool {
					it, err := b.st.ReviewItemByDocument(b.ctx, id)
					return err == nil && it.State == store.ReviewPending
				}, time.Minute, 100*time.Millisecond)
				require.NoError(t, b.act(id, ann))
			}

			var res workflows.Result
			require.NoError(t, b.client.GetWorkflow(b.ctx, workflows.WorkflowID(id), "").Get(b.ctx, &res))
			doc, err := b.st.Document(b.ctx, id)
			require.NoError(t, err)
			require.Equal(t, res.Status, doc.Status, "Postgres and the workflow agree")
			var decisions int
			var reviewer string
			require.NoError(t, b.st.Pool().QueryRow(b.ctx, `
				SELECT count(*), max(e.actor) FROM review_events e JOIN review_items i ON i.id = e.review_item_id
				WHERE i.document_id = $1 AND e.action IN ('completed', 'rejected')`, id).Scan(&decisions, &reviewer))
			require.Equal(t, 1, decisions, "one decision recorded")
			require.Equal(t, res.Reviewer, reviewer)
			if res.Status == dftype.StatusCompleted {
				stored, err := b.st.Result(b.ctx, id)
				require.NoError(t, err)
				require.Equal(t, res.Reviewer, stored.Reviewer)
			}
		})
	}
}

// TestSubmitRacingEscalation: with a 1 s SLA the item is escalated again and
// again while it waits; the submit wins, and no escalation touches the item
// after the decision. Escalations use the SLA given at client.
func TestSubmitRacingEscalation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	items := b.submitAndWait(t, []string{variant(t, "sla")}, client.Options{ReviewSLA: time.Second})
	id := items[0].DocumentID
	require.Eventually(t, func() bool {
		it, err := b.st.ReviewItemByDocument(b.ctx, id)
		return err == nil && it.Escalated
	}, time.Minute, 100*time.Millisecond)
	require.NoError(t, b.act(id, action{workflows.UpdateReview, workflows.ReviewDecision{Reviewer: "ann", Reject: true, Reason: "not ours"}}))
	var res workflows.Result
	require.NoError(t, b.client.GetWorkflow(b.ctx, workflows.WorkflowID(id), "").Get(b.ctx, &res))
	require.Equal(t, dftype.StatusRejected, res.Status)
	doc, err := b.st.Document(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, dftype.StatusRejected, doc.Status)
	var after int
	require.NoError(t, b.st.Pool().QueryRow(b.ctx, `
		SELECT count(*) FROM review_events e JOIN review_items i ON i.id = e.review_item_id
		WHERE i.document_id = $1 AND e.action = 'escalated'
		  AND e.id > (SELECT max(id) FROM review_events WHERE review_item_id = i.id AND action = 'rejected')`, id).Scan(&after))
	require.Zero(t, after, "no escalation after the decision")
	it, err := b.st.ReviewItemByDocument(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, store.ReviewRejected, it.State)
	var slas []string
	require.NoError(t, b.st.Pool().QueryRow(b.ctx, `
		SELECT array_agg(DISTINCT e.detail->>'sla') FROM review_events e JOIN review_items i ON i.id = e.review_item_id
		WHERE i.document_id = $1 AND e.action = 'escalated'`, id).Scan(&slas))
	require.Equal(t, []string{"1s"}, slas, "escalations use the SLA given at submit, not the worker's (1 h here)")
}
