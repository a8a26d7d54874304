package llm

import (
	"fmt"
	"strings"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/dataforge/dataforge/parsers/images"
)

// ContextTokens is the context window, in tokens, of the models whose size
// is known; other models are given DefaultContextTokens.
var ContextTokens = map[string]int{
	"gpt-4o":       128_000,
	"gpt-4o-mini":  128_000,
	"gpt-4.1":      1_000_000,
	"gpt-4.1-mini": 1_000_000,
}

// DefaultContextTokens is the context assumed of a model not in
// ContextTokens.
const DefaultContextTokens = 32_000

// reservedTokens is what a request needs besides the document: the system
// prompt, the instructions, the JSON schema, a repair round and the answer.
const reservedTokens = 20_000

// documentTokens is how many tokens of document text a request to model may
// carry: a quarter of the context at least.
func documentTokens(model string) int {
	n, ok := ContextTokens[model]
	if !ok {
		n = DefaultContextTokens
	}
	return max(n-reservedTokens, n/4)
}

// estimateTokens estimates the tokens of s the way it is cut: a token for
// every four ASCII bytes (English text is about that), one for every other
// character (accented letters, CJK).
func estimateTokens(s string) int {
	ascii, other := 0, 0
	for _, r := range s {
		if r < utf8.RuneSelf {
			ascii++
		} else {
			other++
		}
	}
	return (ascii+3)/4 + other
}

// cutToBudget returns the longest prefix of text whose estimated tokens
// fit in budget, ending at a line break when one is near, and whether it
// cut anything.
func cutToBudget(text string, budget int) (string, bool) {
	if len(text) <= budget*4 && estimateTokens(text) <= budget { // fast path: short ASCII
		return text, false
	}
	quarters := 0 // tokens counted in quarters: an ASCII byte is one, anything else four
	end := len(text)
	for i, r := range text {
		cost := 4
		if r < utf8.RuneSelf {
			cost = 1
		}
		if quarters+cost > 4*budget {
			end = i
			break
		}
		quarters += cost
	}
	if end == len(text) {
		return text, false
	}
	if nl := strings.LastIndexByte(text[:end], '\n'); nl >= end*9/10 {
		end = nl + 1
	}
	return text[:end], true
}

// fitDocument cuts a document's text to what a request to model may carry,
// and returns the note that tells the model so (empty when nothing was cut).
func fitDocument(model, text string) (string, string) {
	cut, ok := cutToBudget(text, documentTokens(model))
	if !ok {
		return text, ""
	}
	return cut, fmt.Sprintf("The document is too long for one request: only its first %d of %d characters follow. Use what they state; never guess the rest.",
		utf8.RuneCountInString(cut), utf8.RuneCountInString(text))
}

// messageTokens estimates the tokens of a conversation's messages as
// providers count a prompt: every message with its overhead. A request's
// response format (its JSON schema) comes on top, where the provider
// counts it.
func messageTokens(msgs []openai.ChatCompletionMessage) int {
	n := 3
	for _, m := range msgs {
		n += 4 + estimateTokens(m.Content)
		for _, part := range m.MultiContent {
			n += estimateTokens(part.Text)
		}
	}
	return n
}

// Estimates of what a request adds to the document: the instructions, the
// JSON schema and the answer.
const (
	estimatedOverheadTokens = 1500
	estimatedAnswerTokens   = 600
)

// EstimateCost estimates the cost in USD of one request on text (and page
// images) at price, before it is made: the document (as it would be cut),
// the instructions and schema, the images, and a typical answer.
func EstimateCost(price Price, text string, pages ...Image) float64 {
	in := estimateTokens(text) + estimatedOverheadTokens
	for _, img := range pages {
		in += images.ModelTokens(img.Width, img.Height)
	}
	return float64(in)/1000*price.InputPer1K + float64(estimatedAnswerTokens)/1000*price.OutputPer1K
}
