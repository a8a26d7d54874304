package llm

import (
	"context"
	"encoding/json"
	"testing"

	openai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/llmsim/simrules"
	"github.com/dataforge/dataforge/internal/schema"
)

func TestClassifyAndSummarize(t *testing.T) {
	t.Parallel()
	b := setup(t, llmsim.Options{Answer: simrules.Answer}, Config{})

	resp, err := b.client.Do(context.Background(), Request{Task: schema.TaskClassify, Model: "gpt-4o", Text: invoiceText})
	require.NoError(t, err)
	require.Nil(t, resp.Fields, "only extraction fills Fields")
	var c schema.Classification
	require.NoError(t, json.Unmarshal(resp.Raw, &c))
	require.Equal(t, schema.Invoice, c.Category)

	resp, err = b.client.Do(context.Background(), Request{Task: schema.TaskSummarize, Model: "gpt-4o", Text: invoiceText})
	require.NoError(t, err)
	var s schema.Summary
	require.NoError(t, json.Unmarshal(resp.Raw, &s))
	require.NotEmpty(t, s.Summary)

	ex := b.rec.exchanges()
	require.Len(t, ex, 2)
	for i, name := range []string{"classification", "summary"} {
		var req openai.ChatCompletionRequest
		require.NoError(t, json.Unmarshal(ex[i].body, &req))
		require.Equal(t, name, req.ResponseFormat.JSONSchema.Name)
		require.True(t, req.ResponseFormat.JSONSchema.Strict)
	}
}

func TestTaskOutputIsValidated(t *testing.T) {
	t.Parallel()
	b := setup(t, llmsim.Options{Answer: func(string, string) (json.RawMessage, error) {
		return json.RawMessage(`{"category":"memo","confidence":2}`), nil
	}}, Config{})
	_, err := b.client.Do(context.Background(), Request{Task: schema.TaskClassify, Model: "gpt-4o", Text: invoiceText})
	require.Equal(t, ErrTypeInvalidOutput, ErrorClass(err))
	require.Len(t, b.rec.exchanges(), 2, "one repair request")
}
