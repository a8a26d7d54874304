package pipeline_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/llmsim/simrules"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/workflows"
)

// TestAPIKeyIsNowhere runs documents through a real server with an API key
// set — one accepted by the provider, and one it refuses (its error is
// recorded) — then reads the workflows' whole histories and every table of
// the database: neither key appears anywhere.
func TestAPIKeyIsNowhere(t *testing.T) {
	t.Parallel()
	const good, bad = "sk-dataforge-GOODKEY-7f3a9c51e2", "sk-dataforge-BADKEY-0b8d2e4f6a"
	for _, key := range []string{good, bad} {
		t.Run(key[13:20], func(t *testing.T) {
			t.Parallel()
			sim := llmsim.New(llmsim.Options{Models: llmsim.FastModels(), Answer: simrules.Answer, APIKey: good})
			srv := httptest.NewServer(sim)
			t.Cleanup(srv.Close)
			b := setup(t, func(a *activities.Activities) {
				a.LLM = llm.New(llm.Config{APIKey: key, BaseURL: srv.URL + "/v1", Timeout: 5 * time.Second})
				a.Router = router.Config{PrimaryModel: "gpt-4o", FallbackModel: "gpt-4o-mini", LLMRetry: fastRetry()}
			})
			items := b.submitAndWait(t, []string{sample(t, "invoice-classic.pdf"), sample(t, "invoice-messy.pdf")}, client.Options{})

			var calls int
			require.NoError(t, b.st.Pool().QueryRow(b.ctx, `SELECT count(*) FROM attempts WHERE tier <> 'rules'`).Scan(&calls))
			require.Positive(t, calls, "the model tiers were called")
			if key == bad {
				var refused int
				require.NoError(t, b.st.Pool().QueryRow(b.ctx, `SELECT count(*) FROM attempts WHERE error_class = $1`,
					llm.ErrTypeAuth).Scan(&refused))
				require.Positive(t, refused, "the provider's refusal was recorded")
			}
			for _, it := range items {
				iter := b.client.GetWorkflowHistory(b.ctx, workflows.WorkflowID(it.DocumentID), "", false,
					enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
				var h historypb.History
				for iter.HasNext() {
					e, err := iter.Next()
					require.NoError(t, err)
					h.Events = append(h.Events, e)
				}
				require.NotEmpty(t, h.Events)
				for _, meta := range []map[string]any{nil, {commonpb.EnablePayloadShorthandMetadataKey: true}} {
					js, err := temporalproto.CustomJSONMarshalOptions{Metadata: meta}.Marshal(&h)
					require.NoError(t, err)
					require.NotContains(t, string(js), key[3:], "history of %s", it.Name)
					require.NotContains(t, string(js), "BADKEY")
					require.NotContains(t, string(js), "GOODKEY")
					if meta != nil {
						require.Contains(t, string(js), `"`+it.Name+`"`, "payloads are read as JSON, not base64")
					}
				}
			}

			rows, err := b.st.Pool().Query(b.ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
			require.NoError(t, err)
			var tables []string
			for rows.Next() {
				var name string
				require.NoError(t, rows.Scan(&name))
				tables = append(tables, name)
			}
			require.NoError(t, rows.Err())
			require.Contains(t, tables, "attempts")
			for _, table := range tables {
				var n int
				require.NoError(t, b.st.Pool().QueryRow(b.ctx,
					`SELECT count(*) FROM `+table+` t WHERE t::text ILIKE '%' || $1 || '%'`, strings.ToLower(key[13:20])).Scan(&n))
				require.Zero(t, n, "table %s holds the key", table)
			}
		})
	}
}
