package workflows

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/schema"
)

func postgresDown() error {
	return temporal.NewApplicationError("postgres unavailable: failed to connect", activities.ErrTypeInfrastructure)
}

// TestInfrastructureFaultsAreNotTierFailures: Postgres down longer than a
// tier's retry policy lasts does not move the chain on; the tier runs again
// until the database answers, and completes with no reason recorded.
func TestInfrastructureFaultsAreNotTierFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		chain []router.Tier
		tier  string
		fn    any
	}{
		{"rules", []router.Tier{rulesTier, manualTier}, "rules", a.ExtractRules},
		{"llm", llmChain(), "primary", a.ExtractLLM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.parses("invoice")
			b.routes(tc.chain...)
			failures := 0
			b.env.OnActivity(tc.fn, mock.Anything, onTier(tc.tier)).Return(
				func(_ context.Context, _ activities.ExtractInput) (*activities.ExtractOutput, error) {
					if failures < 7 {
						failures++
						return nil, postgresDown()
					}
					return &activities.ExtractOutput{Valid: true, Overall: 1}, nil
				})
			b.completes("invoice", tc.tier)

			b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

			res := b.result(t)
			require.Equal(t, 7, failures)
			require.Equal(t, dftype.StatusCompleted, res.Status)
			require.Equal(t, tc.tier, res.Tier)
			require.Empty(t, res.Reasons, "an outage of our database is no reason of the tier")
		})
	}
}

func TestInfrastructureFaultsDuringATask(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.parses("invoice")
	b.env.OnActivity(a.Route, mock.Anything, mock.Anything).Return(router.Plan{Classify: true, Tiers: llmChain()}, nil).Once()
	failures := 0
	b.env.OnActivity(a.RunTask, mock.Anything, onTask(schema.TaskClassify, "primary")).Return(
		func(_ context.Context, _ activities.TaskInput) (*activities.TaskOutput, error) {
			if failures < 5 {
				failures++
				return nil, postgresDown()
			}
			return &activities.TaskOutput{Output: json.RawMessage(`{"category":"receipt","confidence":0.9}`)}, nil
		})
	b.env.OnActivity(a.ExtractLLM, mock.Anything, onTier("primary")).Return(&activities.ExtractOutput{Valid: true, Overall: 1}, nil).Once()
	b.completes("receipt", "primary")

	b.env.ExecuteWorkflow(ProcessDocument, Input{DocumentID: docID, Name: "a.pdf"})

	res := b.result(t)
	require.Equal(t, 5, failures)
	require.Equal(t, "receipt", res.DocType)
	require.Empty(t, res.Reasons)
}
