package schema

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTasks(t *testing.T) {
	t.Parallel()
	require.NoError(t, ValidateTask(TaskClassify, "", []byte(`{"category":"receipt","confidence":0.7}`)))
	require.ErrorContains(t, ValidateTask(TaskClassify, "", []byte(`{"category":"memo","confidence":0.7}`)), "category")
	require.ErrorContains(t, ValidateTask(TaskClassify, "", []byte(`{"category":"invoice","confidence":7}`)), "confidence")
	require.NoError(t, ValidateTask(TaskSummarize, "", []byte(`{"summary":"Invoice from Acme for 121 EUR.","language":"en"}`)))
	require.ErrorContains(t, ValidateTask(TaskSummarize, "", []byte(`{"summary":"","language":"en"}`)), "summary")
	require.ErrorContains(t, ValidateTask(TaskExtract, Invoice, []byte(`{}`)), "missing properties")

	for _, task := range []Task{TaskExtract, TaskClassify, TaskSummarize} {
		raw, err := TaskJSON(task, Receipt)
		require.NoError(t, err)
		var s struct {
			Title string `json:"title"`
		}
		require.NoError(t, json.Unmarshal(raw, &s))
		require.Equal(t, task.Name(Receipt), s.Title)
		got, err := ParseTask(string(task))
		require.NoError(t, err)
		require.Equal(t, task, got)
	}
	_, err := JSON("classification")
	require.Error(t, err, "task schemas are not document types")

	fb, err := Fallback(TaskClassify)
	require.NoError(t, err)
	require.JSONEq(t, `{"category":"other","confidence":0}`, string(fb))
	fb, err = Fallback(TaskSummarize)
	require.NoError(t, err)
	require.JSONEq(t, `{"summary":"","language":""}`, string(fb))
	_, err = Fallback(TaskExtract)
	require.ErrorContains(t, err, "goes to review")
}
