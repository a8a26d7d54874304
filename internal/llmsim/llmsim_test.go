package llmsim

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/require"
)

const answer = `{"total": 120}`

// clock is a settable clock for rate-limit windows.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type testBundle struct {
	sim    *Server
	url    string
	client *openai.Client
}

// setup serves a simulator over real HTTP with models; opts.Models and
// Logger are filled in when unset.
func setup(t *testing.T, opts Options) *testBundle {
	t.Helper()
	if opts.Models == nil {
		opts.Models = map[string]ModelConfig{"gpt-4o": {RPM: 500, TPM: 30_000}}
	}
	if opts.Answer == nil {
		opts.Answer = func(string, string) (json.RawMessage, error) { return json.RawMessage(answer), nil }
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	sim := New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg := openai.DefaultConfig("sk-test")
	cfg.BaseURL = srv.URL + "/v1"
	return &testBundle{sim: sim, url: srv.URL, client: openai.NewClientWithConfig(cfg)}
}

func extractionRequest(model, doc string) openai.ChatCompletionRequest {
	return openai.ChatCompletionRequest{
		Model: model,
		Messages: []openai.ChatCompletionMessage{
			{Role: "system", Content: "Extract fields."},
			{Role: "user", Content: "Extract the fields of this invoice.\n<document>\n" + doc + "\n</document>"},
		},
		ResponseFormat: &openai.ChatCompletionResponseFormat{
			Type:       openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{Name: "invoice", Schema: json.RawMessage(`{"type":"object"}`), Strict: true},
		},
	}
}

// post sends a raw request with a bearer token and decodes an error body.
func post(t *testing.T, url, body string) (*http.Response, apiError) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer sk-test")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var e struct{ Error apiError }
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp, e.Error
}

func apiErr(t *testing.T, err error) *openai.APIError {
	t.Helper()
	var e *openai.APIError
	require.ErrorAs(t, err, &e)
	return e
}

func TestChatCompletionWireFormat(t *testing.T) {
	t.Parallel()
	var gotType, gotText string
	b := setup(t, Options{Answer: func(docType, text string) (json.RawMessage, error) {
		gotType, gotText = docType, text
		return json.RawMessage(answer), nil
	}})

	resp, err := b.client.CreateChatCompletion(context.Background(), extractionRequest("gpt-4o", "Invoice INV-1\nTotal 120 EUR"))
	require.NoError(t, err)
	require.Equal(t, "invoice", gotType)
	require.Equal(t, "Invoice INV-1\nTotal 120 EUR", gotText)
	require.True(t, strings.HasPrefix(resp.ID, "chatcmpl-"))
	require.Equal(t, "chat.completion", resp.Object)
	require.Equal(t, "gpt-4o", resp.Model)
	require.NotZero(t, resp.Created)
	require.Len(t, resp.Choices, 1)
	require.Equal(t, "assistant", resp.Choices[0].Message.Role)
	require.Equal(t, answer, resp.Choices[0].Message.Content)
	require.Equal(t, openai.FinishReasonStop, resp.Choices[0].FinishReason)
	require.Positive(t, resp.Usage.PromptTokens)
	require.Equal(t, (len(answer)+3)/4, resp.Usage.CompletionTokens)
	require.Equal(t, resp.Usage.PromptTokens+resp.Usage.CompletionTokens, resp.Usage.TotalTokens)

	h := resp.Header()
	require.Equal(t, "true", h.Get(SimulatorHeader))
	rl := resp.GetRateLimitHeaders()
	require.Equal(t, 500, rl.LimitRequests)
	require.Equal(t, 499, rl.RemainingRequests)
	require.Equal(t, 30_000, rl.LimitTokens)
	require.Equal(t, 30_000-resp.Usage.PromptTokens, rl.RemainingTokens)
	require.Equal(t, "1m0s", rl.ResetRequests.String())
	require.NotEmpty(t, h.Get("x-request-id"))

	models, err := b.client.ListModels(context.Background())
	require.NoError(t, err)
	require.Len(t, models.Models, 1)
	require.Equal(t, "gpt-4o", models.Models[0].ID)
	require.Equal(t, Owner, models.Models[0].OwnedBy)
	require.Equal(t, "true", models.Header().Get(SimulatorHeader))

	m, err := b.client.GetModel(context.Background(), "gpt-4o")
	require.NoError(t, err)
	require.Equal(t, "model", m.Object)
	_, err = b.client.GetModel(context.Background(), "nope")
	require.Equal(t, http.StatusNotFound, apiErr(t, err).HTTPStatusCode)

	require.Equal(t, ModelStats{Requests: 1, Faults: map[Fault]int{}}, b.sim.Stats()["gpt-4o"])
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	const key = "sk-proj-SECRET-0123456789"
	b := setup(t, Options{APIKey: key})
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`

	for _, auth := range []string{"", "Bearer ", "Basic abc", "Bearer sk-wrong-SECRET-9876543210"} {
		req, err := http.NewRequest(http.MethodPost, b.url+"/v1/chat/completions", strings.NewReader(body))
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var e struct{ Error apiError }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, auth)
		require.Equal(t, "true", resp.Header.Get(SimulatorHeader))
		require.Equal(t, "invalid_request_error", e.Error.Type)
		require.NotContains(t, e.Error.Message, "SECRET")
	}

	cfg := openai.DefaultConfig(key)
	cfg.BaseURL = b.url + "/v1"
	_, err := openai.NewClientWithConfig(cfg).CreateChatCompletion(context.Background(), extractionRequest("gpt-4o", "x"))
	require.NoError(t, err)
}

func TestBadRequestsGetOpenAIErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	msgs := `"messages":[{"role":"user","content":"hi"}]`
	for _, tc := range []struct {
		method, path, body string
		status             int
		code, param        string
	}{
		{"POST", "/v1/chat/completions", ``, 400, "", ""},
		{"POST", "/v1/chat/completions", `{`, 400, "", ""},
		{"POST", "/v1/chat/completions", `[]`, 400, "", ""},
		{"POST", "/v1/chat/completions", `null`, 400, "", "model"},
		{"POST", "/v1/chat/completions", `{"model":"gpt-4o"}`, 400, "", "messages"},
		{"POST", "/v1/chat/completions", `{"model":"gpt-4o","messages":"hi"}`, 400, "", ""},
		{"POST", "/v1/chat/completions", `{"model":7,` + msgs + `}`, 400, "", ""},
		{"POST", "/v1/chat/completions", `{"model":"gpt-4o","stream":true,` + msgs + `}`, 400, "", "stream"},
		{"POST", "/v1/chat/completions", `{"model":"gpt-5",` + msgs + `}`, 404, "model_not_found", ""},
		{"GET", "/v1/chat/completions", ``, 404, "", ""},
		{"POST", "/v1/completions", `{}`, 404, "", ""},
		{"DELETE", "/v1/models", ``, 404, "", ""},
	} {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer sk-test")
		rec := httptest.NewRecorder()
		b.sim.ServeHTTP(rec, req)
		require.Equal(t, tc.status, rec.Code, "%s %s %s", tc.method, tc.path, tc.body)
		var e struct {
			Error struct {
				Message string
				Type    string
				Code    *string
				Param   *string
			}
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e), rec.Body.String())
		require.NotEmpty(t, e.Error.Message)
		require.Equal(t, "invalid_request_error", e.Error.Type)
		if tc.code != "" {
			require.Equal(t, tc.code, *e.Error.Code)
		}
		if tc.param != "" {
			require.Equal(t, tc.param, *e.Error.Param)
		}
	}

	// Content as parts or as an unexpected type is read, not rejected.
	for _, content := range []string{`[{"type":"text","text":"<document>a</document>"}]`, `5`, `null`} {
		req := httptest.NewRequest("POST", "/v1/chat/completions",
			strings.NewReader(`{"model":"gpt-4o","messages":[{"role":"user","content":`+content+`}]}`))
		req.Header.Set("Authorization", "Bearer sk-test")
		rec := httptest.NewRecorder()
		b.sim.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code, content)
	}
}

func TestRequestsPerMinute(t *testing.T) {
	t.Parallel()
	clk := newClock()
	b := setup(t, Options{Now: clk.Now, Models: map[string]ModelConfig{"gpt-4o": {RPM: 2}}})
	ctx := context.Background()
	req := extractionRequest("gpt-4o", "x")

	resp, err := b.client.CreateChatCompletion(ctx, req)
	require.NoError(t, err)
	require.Equal(t, 1, resp.GetRateLimitHeaders().RemainingRequests)
	require.Empty(t, resp.Header().Get("x-ratelimit-limit-tokens"), "unlimited TPM has no headers")
	clk.Advance(10 * time.Second)
	resp, err = b.client.CreateChatCompletion(ctx, req)
	require.NoError(t, err)
	require.Equal(t, 0, resp.GetRateLimitHeaders().RemainingRequests)
	require.Equal(t, "50s", resp.GetRateLimitHeaders().ResetRequests.String())

	clk.Advance(5 * time.Second)
	resp, err = b.client.CreateChatCompletion(ctx, req)
	e := apiErr(t, err)
	require.Equal(t, http.StatusTooManyRequests, e.HTTPStatusCode)
	require.Equal(t, "rate_limit_exceeded", e.Code)
	require.Equal(t, "requests", e.Type)
	require.Contains(t, e.Message, "Limit 2, Used 2")
	h := resp.Header()
	require.Equal(t, "45", h.Get("Retry-After"))
	require.Equal(t, "45000", h.Get("retry-after-ms"))
	require.Equal(t, "0", h.Get("x-ratelimit-remaining-requests"))
	require.Equal(t, "45s", h.Get("x-ratelimit-reset-requests"))
	require.Equal(t, "true", h.Get(SimulatorHeader))

	clk.Advance(44 * time.Second)
	_, err = b.client.CreateChatCompletion(ctx, req)
	require.Error(t, err, "still full 1 s before the oldest request leaves")
	clk.Advance(time.Second)
	_, err = b.client.CreateChatCompletion(ctx, req)
	require.NoError(t, err, "recovers when the oldest request leaves the window")

	st := b.sim.Stats()["gpt-4o"]
	require.Equal(t, 5, st.Requests)
	require.Equal(t, 2, st.RateLimited)
}

func TestTokensPerMinute(t *testing.T) {
	t.Parallel()
	clk := newClock()
	b := setup(t, Options{Now: clk.Now, Models: map[string]ModelConfig{"gpt-4o": {TPM: 1000}}})
	ctx := context.Background()
	req := extractionRequest("gpt-4o", "x")
	req.MaxCompletionTokens = 400 // counted at admission, as OpenAI does

	resp, err := b.client.CreateChatCompletion(ctx, req)
	require.NoError(t, err)
	cost := resp.Usage.PromptTokens + 400
	require.Equal(t, 1000-cost, resp.GetRateLimitHeaders().RemainingTokens)
	clk.Advance(20 * time.Second)
	_, err = b.client.CreateChatCompletion(ctx, req)
	require.NoError(t, err)

	clk.Advance(time.Second)
	resp, err = b.client.CreateChatCompletion(ctx, req)
	e := apiErr(t, err)
	require.Equal(t, http.StatusTooManyRequests, e.HTTPStatusCode)
	require.Equal(t, "tokens", e.Type)
	h := resp.Header()
	require.Equal(t, "39s", h.Get("x-ratelimit-reset-tokens"), "the first request leaves 60 s after it came")
	require.Equal(t, "39", h.Get("Retry-After"))
	require.Equal(t, "1000", h.Get("x-ratelimit-limit-tokens"))
	require.Empty(t, h.Get("x-ratelimit-limit-requests"))

	clk.Advance(39 * time.Second)
	_, err = b.client.CreateChatCompletion(ctx, req)
	require.NoError(t, err)

	req.MaxCompletionTokens = 2000 // never fits
	resp, err = b.client.CreateChatCompletion(ctx, req)
	require.Equal(t, http.StatusTooManyRequests, apiErr(t, err).HTTPStatusCode)
	require.Equal(t, "60", resp.Header().Get("Retry-After"))
}

func TestContextWindow(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Models: map[string]ModelConfig{"gpt-4o": {ContextTokens: 50}}})
	_, err := b.client.CreateChatCompletion(context.Background(), extractionRequest("gpt-4o", strings.Repeat("word ", 100)))
	e := apiErr(t, err)
	require.Equal(t, http.StatusBadRequest, e.HTTPStatusCode)
	require.Equal(t, "context_length_exceeded", e.Code)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	for _, f := range allFaults {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			b := setup(t, Options{Models: map[string]ModelConfig{"gpt-4o": {
				RPM: 100, TPM: 100_000, RetryAfter: 2 * time.Second, Faults: map[Fault]float64{f: 1},
			}}})
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			resp, err := b.client.CreateChatCompletion(ctx, extractionRequest("gpt-4o", "x"))
			require.Equal(t, 1, b.sim.Stats()["gpt-4o"].Faults[f])
			if f == FaultHang {
				require.ErrorIs(t, err, context.DeadlineExceeded)
				return
			}
			require.Equal(t, "true", resp.Header().Get(SimulatorHeader))
			var content string
			if err == nil {
				content = resp.Choices[0].Message.Content
			}
			switch f {
			case FaultRateLimit:
				e := apiErr(t, err)
				require.Equal(t, 429, e.HTTPStatusCode)
				require.Equal(t, "rate_limit_exceeded", e.Code)
				require.Equal(t, "2", resp.Header().Get("Retry-After"))
				require.Equal(t, "2s", resp.Header().Get("x-ratelimit-reset-requests"))
				require.Equal(t, "0", resp.Header().Get("x-ratelimit-remaining-requests"))
			case FaultQuota:
				e := apiErr(t, err)
				require.Equal(t, 429, e.HTTPStatusCode)
				require.Equal(t, "insufficient_quota", e.Code)
			case FaultServerError:
				require.Equal(t, 500, apiErr(t, err).HTTPStatusCode)
			case FaultUnavailable:
				require.Equal(t, 503, apiErr(t, err).HTTPStatusCode)
			case FaultModelNotFound:
				e := apiErr(t, err)
				require.Equal(t, 404, e.HTTPStatusCode)
				require.Equal(t, "model_not_found", e.Code)
			case FaultMalformedJSON:
				require.NoError(t, err)
				require.False(t, json.Valid([]byte(content)))
			case FaultSchemaViolation:
				require.NoError(t, err)
				require.True(t, json.Valid([]byte(content)))
				require.NotEqual(t, answer, content)
			case FaultTruncated:
				require.NoError(t, err)
				require.Equal(t, openai.FinishReasonLength, resp.Choices[0].FinishReason)
				require.Equal(t, answer[:len(answer)/2], content)
			case FaultContentFilter:
				require.NoError(t, err)
				require.Equal(t, openai.FinishReasonContentFilter, resp.Choices[0].FinishReason)
				require.Empty(t, content)
			default:
				t.Fatalf("fault %s not tested", f)
			}
		})
	}
}

func TestScriptThenProbabilities(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Models: map[string]ModelConfig{"gpt-4o": {
		Script: []Fault{FaultServerError, "", FaultUnavailable},
	}}})
	ctx := context.Background()
	var statuses []int
	for range 4 {
		_, err := b.client.CreateChatCompletion(ctx, extractionRequest("gpt-4o", "x"))
		status := 200
		if err != nil {
			status = apiErr(t, err).HTTPStatusCode
		}
		statuses = append(statuses, status)
	}
	require.Equal(t, []int{500, 200, 503, 200}, statuses)
}

func TestOutagesAndSlowReplies(t *testing.T) {
	t.Parallel()
	clk := newClock()
	start := clk.Now()
	b := setup(t, Options{Now: clk.Now, Models: map[string]ModelConfig{
		"gpt-4o":      {Outages: []Outage{{From: start.Add(time.Minute), To: start.Add(2 * time.Minute)}}},
		"gpt-4o-mini": {SlowShare: 1, SlowLatency: 300 * time.Millisecond},
	}})
	ctx := context.Background()
	status := func() int {
		if _, err := b.client.CreateChatCompletion(ctx, extractionRequest("gpt-4o", "x")); err != nil {
			return apiErr(t, err).HTTPStatusCode
		}
		return 200
	}
	var statuses []int
	for _, step := range []time.Duration{0, time.Minute, 59 * time.Second, time.Second} {
		clk.Advance(step)
		statuses = append(statuses, status())
	}
	require.Equal(t, []int{200, 503, 503, 200}, statuses, "down from the outage's start until its end, exclusive")
	require.Equal(t, 2, b.sim.Stats()["gpt-4o"].Faults[FaultUnavailable])

	began := time.Now()
	_, err := b.client.CreateChatCompletion(ctx, extractionRequest("gpt-4o-mini", "x"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(began), 300*time.Millisecond, "a slow reply takes SlowLatency")
}

func TestSeedMakesDrawsDeterministic(t *testing.T) {
	t.Parallel()
	run := func() []bool {
		b := setup(t, Options{Seed: 42, Models: map[string]ModelConfig{"gpt-4o": {
			Faults: map[Fault]float64{FaultServerError: 0.5},
		}}})
		var failed []bool
		for range 20 {
			_, err := b.client.CreateChatCompletion(context.Background(), extractionRequest("gpt-4o", "x"))
			failed = append(failed, err != nil)
		}
		return failed
	}
	first := run()
	require.Equal(t, first, run())
	require.Contains(t, first, true)
	require.Contains(t, first, false)
}

func TestParseFaults(t *testing.T) {
	t.Parallel()
	models := DefaultModels()
	require.NoError(t, ParseFaults(" gpt-4o=unavailable:1.0, gpt-4o-mini=rate_limit:0.3+malformed_json:0.1 ,", models))
	require.Equal(t, map[Fault]float64{FaultUnavailable: 1}, models["gpt-4o"].Faults)
	require.Equal(t, map[Fault]float64{FaultRateLimit: 0.3, FaultMalformedJSON: 0.1}, models["gpt-4o-mini"].Faults)
	require.Equal(t, 500, models["gpt-4o"].RPM, "other settings are kept")

	require.NoError(t, ParseFaults("gpt-4o=hang", models))
	require.Equal(t, map[Fault]float64{FaultHang: 1}, models["gpt-4o"].Faults)
	require.NoError(t, ParseFaults("", models))
	require.Equal(t, map[Fault]float64{FaultHang: 1}, models["gpt-4o"].Faults)

	for in, want := range map[string]string{
		"gpt-4o":                              "want model=fault",
		"=hang":                               "want model=fault",
		"gpt-4o=":                             "want model=fault",
		"gpt-5=hang":                          `unknown model "gpt-5"`,
		"gpt-4o=explode:0.5":                  `unknown fault "explode"`,
		"gpt-4o=hang:lots":                    `probability "lots"`,
		"gpt-4o=hang:1.5":                     `probability "1.5"`,
		"gpt-4o=hang:-0.1":                    `probability "-0.1"`,
		"gpt-4o=hang:NaN":                     `probability "NaN"`,
		"gpt-4o=hang:0.6+quota:0.6":           "sum to 1.2",
		"gpt-4o=hang:0.6,gpt-4o=quota:0.6":    "sum to 1.2",
		"gpt-4o=hang:0.5,gpt-4o-mini=bogus:1": `unknown fault "bogus"`,
	} {
		before := models["gpt-4o"].Faults
		err := ParseFaults(in, models)
		require.ErrorContains(t, err, want, in)
		require.Equal(t, before, models["gpt-4o"].Faults, "a bad value changes nothing: %s", in)
	}
}

func TestServeStopsAndReleasesHangingRequests(t *testing.T) {
	t.Parallel()
	sim := New(Options{
		Models: map[string]ModelConfig{"gpt-4o": {Faults: map[Fault]float64{FaultHang: 1}}},
		Logger: slog.New(slog.DiscardHandler),
	})
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- sim.Serve(ctx, "127.0.0.1:0", func(a net.Addr) { addrc <- a }) }()
	addr := <-addrc

	cfg := openai.DefaultConfig("sk-test")
	cfg.BaseURL = "http://" + addr.String() + "/v1"
	reqDone := make(chan error, 1)
	go func() {
		_, err := openai.NewClientWithConfig(cfg).CreateChatCompletion(context.Background(), extractionRequest("gpt-4o", "x"))
		reqDone <- err
	}()
	require.Eventually(t, func() bool { return sim.Stats()["gpt-4o"].Requests == 1 }, 5*time.Second, 10*time.Millisecond)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	require.Error(t, <-reqDone)

	_, err := net.Dial("tcp", addr.String())
	require.Error(t, err, "listener closed")
}

func TestAnswerErrorIsServerError(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Answer: func(string, string) (json.RawMessage, error) { return nil, errors.New("no rule matched") }})
	resp, e := post(t, b.url+"/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`)
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	require.Equal(t, "server_error", e.Type)
	require.Contains(t, e.Message, "no rule matched")
}
