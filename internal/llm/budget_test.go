package llm

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers/hostile"
)

func TestCutToBudget(t *testing.T) {
	t.Parallel()
	short := "Invoice INV-1\nTotal 12.00\n"
	got, cut := cutToBudget(short, 100)
	require.False(t, cut)
	require.Equal(t, short, got)

	lines := strings.Repeat("0123456789abcdefghi\n", 100) // 2000 bytes, 500 tokens
	got, cut = cutToBudget(lines, 100)
	require.True(t, cut)
	require.True(t, strings.HasPrefix(lines, got))
	require.LessOrEqual(t, estimateTokens(got), 100)
	require.True(t, strings.HasSuffix(got, "\n"), "cut at a line break")
	require.Greater(t, estimateTokens(got), 90)

	cjk := strings.Repeat("請求書番号", 100) // one token a character
	got, cut = cutToBudget(cjk, 42)
	require.True(t, cut)
	require.True(t, utf8.ValidString(got))
	require.Equal(t, 42, utf8.RuneCountInString(got))
}

func TestMessagesFitTheModel(t *testing.T) {
	t.Parallel()
	text := string(hostile.BeyondContext(12 << 20))
	for model, window := range map[string]int{"gpt-4o": 128_000, "my-local-model": DefaultContextTokens} {
		msgs := messages(model, schema.TaskExtract, schema.Invoice, text, nil)
		user := msgs[1].Content
		require.Less(t, estimateTokens(user), window-reservedTokens+200, model)
		require.Contains(t, user, "too long for one request", model)
		require.Contains(t, user, "Invoice number: HX-1", "the start of the document is kept")
		require.True(t, strings.HasSuffix(user, "\n</document>"))
	}
	small := messages("gpt-4o", schema.TaskExtract, schema.Invoice, invoiceText, nil)
	require.NotContains(t, small[1].Content, "too long")
}

// TestOversizedDocumentIsCut: a 12 MiB text once made both LLM tiers fail
// with "request too large"; cut to the model's context, it is answered.
func TestOversizedDocumentIsCut(t *testing.T) {
	t.Parallel()
	b := setup(t, llmsim.Options{Models: map[string]llmsim.ModelConfig{"gpt-4o": {ContextTokens: 128_000}}}, Config{})
	req := invoiceRequest()
	req.Text = string(hostile.BeyondContext(12 << 20))
	resp, err := b.client.Do(context.Background(), req)
	require.NoError(t, err)
	require.LessOrEqual(t, resp.Usage.PromptTokens, 128_000)
}
