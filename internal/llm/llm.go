// Package llm extracts a document's fields through an OpenAI-compatible chat
// completions API (OpenAI, Azure OpenAI's v1 endpoint, vLLM, Ollama, the
// llmsim simulator) with structured outputs, validates them, and classifies
// every failure into a Temporal application error. It never retries: the
// Temporal activity calling it is retried under RetryPolicy.
package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers/images"
)

// Defaults of Config.
const (
	DefaultBaseURL = "https://api.openai.com/v1"
	DefaultTimeout = 60 * time.Second
)

// Price is what a model costs, in USD per 1000 tokens.
type Price struct {
	InputPer1K, OutputPer1K float64
}

// DefaultPrices returns OpenAI's list prices of gpt-4o and gpt-4o-mini.
func DefaultPrices() map[string]Price {
	return map[string]Price{
		"gpt-4o":      {InputPer1K: 0.0025, OutputPer1K: 0.01},
		"gpt-4o-mini": {InputPer1K: 0.00015, OutputPer1K: 0.0006},
	}
}

// WithPrices returns DefaultPrices with prices added (and overriding them).
func WithPrices(prices map[string]Price) map[string]Price {
	p := DefaultPrices()
	maps.Copy(p, prices)
	return p
}

// Config configures a Client.
type Config struct {
	// APIKey is sent as a bearer token. It is never logged and never appears
	// in errors.
	APIKey string
	// BaseURL is the API's base URL. Default DefaultBaseURL. Any
	// OpenAI-compatible server works, e.g. Azure OpenAI
	// (https://RESOURCE.openai.azure.com/openai/v1), vLLM
	// (http://HOST:8000/v1) or Ollama (http://HOST:11434/v1).
	BaseURL string
	// Timeout bounds each HTTP request; Do makes up to two. Default
	// DefaultTimeout.
	Timeout time.Duration
	// Prices by model name, added to DefaultPrices (and overriding them).
	// Calls to a model without a price cost 0 and are flagged in the Response.
	Prices map[string]Price
	// HTTPClient sends the requests. Default: a new http.Client.
	HTTPClient *http.Client
	// Limiter keeps requests inside the models' rate limits across every
	// worker; nil sends them as they come.
	Limiter Limiter
}

// Limiter admits requests within a model's per-minute limits, shared by all
// workers (the store's RateLog implements it).
type Limiter interface {
	// Take reserves one request of tokens to model and returns the
	// reservation's id and 0, or how long until there is room for it
	// (nothing is reserved then).
	Take(ctx context.Context, model string, tokens int) (int64, time.Duration, error)
	// Settle records that the provider answered the reservation, with the
	// tokens it counted; the reservation counts from the answer on.
	// requestsLeft and tokensLeft are what the provider's headers said
	// remains of its minute, negative when they did not say: the limiter
	// counts, besides its own, what the provider counts and it does not.
	Settle(ctx context.Context, id int64, tokens, requestsLeft, tokensLeft int) error
}

// MaxLimiterWait is the longest a request waits for room inside one
// attempt; a longer wait ends the attempt as RateLimitWait with that delay,
// so the worker's slot is free meanwhile and Temporal retries it.
const MaxLimiterWait = 20 * time.Second

// ParsePrices parses prices in USD per 1000 input/output tokens, such as
// "gpt-4o=0.0025/0.01,gpt-4o-mini=0.00015/0.0006".
func ParsePrices(s string) (map[string]Price, error) {
	prices := map[string]Price{}
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		model, pair, ok1 := strings.Cut(entry, "=")
		in, out, ok2 := strings.Cut(pair, "/")
		pin, err1 := strconv.ParseFloat(strings.TrimSpace(in), 64)
		pout, err2 := strconv.ParseFloat(strings.TrimSpace(out), 64)
		model = strings.TrimSpace(model)
		if !ok1 || !ok2 || model == "" || err1 != nil || err2 != nil || !(pin >= 0) || !(pout >= 0) ||
			math.IsInf(pin, 0) || math.IsInf(pout, 0) {
			return nil, fmt.Errorf("price %q: want model=input/output in USD per 1000 tokens, e.g. gpt-4o=0.0025/0.01", entry)
		}
		prices[model] = Price{InputPer1K: pin, OutputPer1K: pout}
	}
	return prices, nil
}

// Client extracts fields with an LLM. It is safe for concurrent use.
type Client struct {
	api     *openai.Client
	apiKey  string
	timeout time.Duration
	prices  map[string]Price
	limiter Limiter
	charges charges // what the provider charges, for the limiter's reservations
}

// New returns a Client. go-openai makes no retries of its own.
func New(cfg Config) *Client {
	oc := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		oc.BaseURL = cfg.BaseURL
	}
	if cfg.HTTPClient != nil {
		oc.HTTPClient = cfg.HTTPClient
	}
	c := &Client{
		api:     openai.NewClientWithConfig(oc),
		apiKey:  cfg.APIKey,
		timeout: cfg.Timeout,
		prices:  WithPrices(cfg.Prices),
		limiter: cfg.Limiter,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	return c
}

// Request asks a model to do a task on one document.
type Request struct {
	// Task is what to do; default schema.TaskExtract.
	Task  schema.Task
	Model string
	// DocType is the document's type, whose fields extraction asks for.
	DocType schema.DocType
	Text    string
	Seed    int
	// Images are page images of a scan, sent to vision models with Text
	// (the OCR text) alongside; at most a few, scaled down already.
	Images []Image
}

// Image is a page image: a JPEG or PNG file.
type Image struct {
	MediaType     string
	Data          []byte
	Width, Height int
}

// Usage counts tokens.
type Usage struct {
	PromptTokens, CompletionTokens int
}

// Response is the outcome of Do. On success Raw holds the validated output
// of the task (and Fields, for extraction, its decoded form); on error they
// are nil and the rest accounts for the calls made.
type Response struct {
	Fields *schema.Fields
	Raw    json.RawMessage
	// Model is the model that answered as the API names it (often a dated
	// snapshot such as gpt-4o-2024-08-06), else the requested one.
	Model string
	// Usage and CostUSD sum both calls when a repair was requested.
	Usage   Usage
	CostUSD float64
	// PriceUnknown reports that no price is configured for the requested
	// model, so CostUSD is 0.
	PriceUnknown bool
	// Repaired reports that the first reply was invalid and a repair request
	// was sent.
	Repaired bool
	// Latency is the wall time of Do.
	Latency time.Duration
	// Waited is how much of it went waiting for room in the shared rate
	// limit.
	Waited time.Duration
}

// Do asks req.Model to do req.Task on a document — extract its fields,
// classify it or summarize it — with structured outputs (the task's strict
// JSON schema from schema.TaskJSON), temperature 0 and req.Seed. The
// document text is sent as delimited data, which the system prompt says is
// never instructions. The reply is checked with schema.ValidateTask; an
// invalid one gets exactly one repair request carrying the problems, and if
// that is invalid too Do fails with ErrTypeInvalidOutput.
//
// Do always returns a non-nil *Response, also alongside an error, with
// the usage, cost and latency of the calls made, so that failed attempts can
// be recorded. Errors are Temporal application errors of the ErrType* types
// (see Classify), except context.Canceled when ctx is cancelled.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	start := time.Now()
	resp := &Response{Model: req.Model}
	err := c.do(ctx, req, resp)
	price, ok := c.prices[req.Model]
	resp.PriceUnknown = !ok
	resp.CostUSD = (float64(resp.Usage.PromptTokens)*price.InputPer1K +
		float64(resp.Usage.CompletionTokens)*price.OutputPer1K) / 1000
	resp.Latency = time.Since(start)
	return resp, err
}

func (c *Client) do(ctx context.Context, req Request, resp *Response) error {
	if req.Model == "" {
		return newError(ErrTypeBadRequest, "no model given", 0)
	}
	if req.Task == "" {
		req.Task = schema.TaskExtract
	}
	js, err := schema.TaskJSON(req.Task, req.DocType)
	if err != nil {
		return newError(ErrTypeBadRequest, err.Error(), 0)
	}
	name := req.Task.Name(req.DocType)
	validate := func(reply string) error { return schema.ValidateTask(req.Task, req.DocType, []byte(reply)) }
	msgs := messages(req.Model, req.Task, req.DocType, req.Text, req.Images)
	reply, err := c.complete(ctx, req, name, js, msgs, resp)
	if err != nil {
		return err
	}
	if err := validate(reply); err != nil {
		resp.Repaired = true
		msgs = repairMessages(msgs, reply, problems(err))
		if reply, err = c.complete(ctx, req, name, js, msgs, resp); err != nil {
			return err
		}
		if err := validate(reply); err != nil {
			p := problems(err)
			return newError(ErrTypeInvalidOutput,
				fmt.Sprintf("%s: reply invalid after repair: %s", req.Model, strings.Join(p, "; ")), 0, p)
		}
	}
	resp.Raw = json.RawMessage(reply)
	if req.Task == schema.TaskExtract {
		var f schema.Fields
		if err := json.Unmarshal(resp.Raw, &f); err != nil {
			return newError(ErrTypeInvalidOutput, req.Model+": "+err.Error(), 0)
		}
		resp.Fields = &f
	}
	return nil
}

// admit waits until the limiter has room for a request of tokens to model,
// at most MaxLimiterWait; a longer wait is a RateLimitWait error with the
// delay. The time it took is added to resp.Waited.
func (c *Client) admit(ctx context.Context, model string, tokens int, resp *Response) (int64, error) {
	if c.limiter == nil {
		return 0, nil
	}
	start := time.Now()
	defer func() { resp.Waited += time.Since(start) }()
	for {
		id, wait, err := c.limiter.Take(ctx, model, tokens)
		switch {
		case err != nil:
			return 0, fmt.Errorf("%s: rate limiter: %w", model, err)
		case wait == 0:
			return id, nil
		case wait > MaxLimiterWait:
			return 0, newError(ErrTypeRateLimitWait, fmt.Sprintf("%s: the workers' shared rate limit has no room for %d tokens for %s",
				model, tokens, wait.Round(time.Second)), wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		case <-t.C:
		}
	}
}

// complete makes one chat completion call, adds its usage to resp and
// returns the reply's content.
func (c *Client) complete(ctx context.Context, req Request, name string, js json.RawMessage,
	msgs []openai.ChatCompletionMessage, resp *Response) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	seed := req.Seed
	creq := openai.ChatCompletionRequest{
		Model:    req.Model,
		Messages: msgs,
		// go-openai omits a zero temperature (it is omitempty, see
		// sashabaranov/go-openai#9); the smallest float32 is 0 in effect.
		Temperature: math.SmallestNonzeroFloat32,
		Seed:        &seed,
		ResponseFormat: &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name:   name,
				Schema: js,
				Strict: true,
			},
		},
	}
	if openai.NewReasoningValidator().Validate(creq) != nil {
		creq.Temperature = 0 // reasoning models (o1, o3, gpt-5, …) take no temperature
	}
	prompt := messageTokens(msgs)
	for _, img := range req.Images {
		prompt += images.ModelTokens(img.Width, img.Height)
	}
	tokens := c.charges.reserve(req.Model, prompt, estimateTokens(string(js)))
	ticket, err := c.admit(ctx, req.Model, tokens, resp)
	if err != nil {
		return "", err
	}
	out, err := c.api.CreateChatCompletion(ctx, creq)
	if ticket != 0 {
		// Count what the provider charged against its limit, from when it
		// answered: the prompt, as it counted it (a request is charged its
		// prompt and its max_completion_tokens, which we do not send,
		// before anything is written). Should a provider charge more (the
		// completion too), the remaining-* headers say so and Settle logs
		// the difference. Without usage (an error) the reservation stays.
		// A failed settle leaves the reservation as taken, which errs only
		// slightly. What was charged teaches the next reservations.
		used := out.Usage.PromptTokens
		if err != nil || used <= 0 {
			used = tokens
		} else {
			c.charges.learn(req.Model, prompt, used)
		}
		h := out.Header()
		_ = c.limiter.Settle(context.WithoutCancel(ctx), ticket, used,
			remaining(h, "x-ratelimit-remaining-requests"), remaining(h, "x-ratelimit-remaining-tokens"))
	}
	if err != nil {
		return "", Classify(fmt.Errorf("%s: %w", req.Model, err), out.Header(), c.apiKey)
	}
	resp.Usage.PromptTokens += out.Usage.PromptTokens
	resp.Usage.CompletionTokens += out.Usage.CompletionTokens
	if out.Model != "" {
		resp.Model = out.Model
	}
	if len(out.Choices) == 0 {
		return "", newError(ErrTypeServer, req.Model+": reply has no choices", 0)
	}
	choice := out.Choices[0]
	switch {
	case choice.FinishReason == openai.FinishReasonLength:
		return "", newError(ErrTypeTruncated, req.Model+": reply truncated at the token limit", 0)
	case choice.FinishReason == openai.FinishReasonContentFilter:
		return "", newError(ErrTypeContentFilter, req.Model+": reply withheld by the content filter", 0)
	case choice.Message.Refusal != "":
		return "", newError(ErrTypeContentFilter, req.Model+": model refused: "+redact(choice.Message.Refusal, c.apiKey), 0)
	}
	return choice.Message.Content, nil
}
