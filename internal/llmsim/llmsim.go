// Package llmsim is a simulator of the OpenAI chat completions API, for
// development, demos and tests. It speaks the real wire protocol over HTTP
// (POST /v1/chat/completions, GET /v1/models, OpenAI's error bodies and
// x-ratelimit-* headers), enforces per-model RPM and TPM limits and injects
// faults, so the real client code runs against it unchanged. It is labelled
// as a simulator everywhere: every response carries the header
// X-Dataforge-Simulator: true, models are owned by "dataforge-simulator" and
// log lines say "llm simulator".
package llmsim

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dataforge/dataforge/parsers/images"
)

// SimulatorHeader is set to "true" on every response of the simulator.
const SimulatorHeader = "X-Dataforge-Simulator"

// Owner is the owned_by of every simulated model.
const Owner = "dataforge-simulator"

// ModelConfig is the behaviour of one simulated model.
type ModelConfig struct {
	// LatencyMean and LatencyJitter set how long a reply takes: uniformly
	// distributed in mean ± jitter. Error replies are immediate.
	LatencyMean, LatencyJitter time.Duration
	// RPM and TPM are the requests and tokens allowed in any 60 s window, as
	// OpenAI enforces them; 0 means unlimited (and that limit's headers are
	// omitted). A request costs its estimated prompt tokens plus its
	// max_completion_tokens (or max_tokens). Rejected requests do not count.
	RPM, TPM int
	// ContextTokens is the context window; a longer prompt gets 400
	// context_length_exceeded. 0 means unlimited.
	ContextTokens int
	// Faults is the probability of each fault per request. At most one fault
	// is drawn per request, so the probabilities should sum to at most 1.
	Faults map[Fault]float64
	// Script forces faults on the model's first requests, in order ("" for
	// none), before Faults apply: []Fault{FaultSchemaViolation} makes only the
	// first reply invalid.
	Script []Fault
	// RetryAfter is what FaultRateLimit replies advertise. Default 1s. Replies
	// to requests over RPM or TPM advertise the exact wait instead.
	RetryAfter time.Duration
	// Outages are spans of the simulator's clock in which every request
	// gets FaultUnavailable, as in a provider's incident: failures in
	// bursts, where Faults are independent draws.
	Outages []Outage
	// SlowShare of the replies take SlowLatency instead of LatencyMean ±
	// LatencyJitter: a slow provider's long tail.
	SlowShare   float64
	SlowLatency time.Duration
}

// Outage is a span of time in which a model is down.
type Outage struct{ From, To time.Time }

// down reports whether the model is in one of its outages at t.
func (c ModelConfig) down(t time.Time) bool {
	for _, o := range c.Outages {
		if !t.Before(o.From) && t.Before(o.To) {
			return true
		}
	}
	return false
}

// DefaultModels returns gpt-4o and gpt-4o-mini with realistic latencies,
// OpenAI's tier-1 limits, a 128k context window and no faults.
func DefaultModels() map[string]ModelConfig {
	return map[string]ModelConfig{
		"gpt-4o": {
			LatencyMean: 2 * time.Second, LatencyJitter: time.Second,
			RPM: 500, TPM: 30_000, ContextTokens: 128_000,
		},
		"gpt-4o-mini": {
			LatencyMean: time.Second, LatencyJitter: 500 * time.Millisecond,
			RPM: 500, TPM: 200_000, ContextTokens: 128_000,
		},
	}
}

// Options configure a Server.
type Options struct {
	// Models are the models served; requests for any other model get 404
	// model_not_found.
	Models map[string]ModelConfig
	// Answer produces the fields for an extraction request. It receives the
	// name of the response_format's JSON schema (invoice, receipt or other;
	// "" if the request has none) and the text between <document> and
	// </document> in the first user message that has them (else the last
	// user message). Required; an error becomes a 500 reply.
	Answer func(docType string, text string) (json.RawMessage, error)
	// ReadImage reads the text of an image part (a JPEG or PNG), for
	// requests that carry page images: Answer then gets the images' text.
	// Nil refuses image parts with 400, saying that OCR is needed.
	ReadImage func(image []byte) (string, error)
	// Seed makes fault draws and latencies deterministic when non-zero.
	Seed int64
	// APIKey, when set, is the only bearer token accepted; by default any
	// non-empty one is, as every request must carry one.
	APIKey string
	// Now is the clock of the rate-limit windows. Default time.Now.
	Now func() time.Time
	// Logger receives one line per request. Default slog.Default().
	Logger *slog.Logger
}

// ModelStats counts what one model served.
type ModelStats struct {
	Requests    int           // authenticated, well-formed requests, including rejected ones
	RateLimited int           // requests rejected for exceeding RPM or TPM
	Faults      map[Fault]int // injected faults by kind
	Images      int           // image parts received
}

// Server is the simulator, an http.Handler.
type Server struct {
	answer    func(string, string) (json.RawMessage, error)
	readImage func([]byte) (string, error)
	apiKey    string
	now       func() time.Time
	log       *slog.Logger
	mux       *http.ServeMux

	mu     sync.Mutex
	rng    *rand.Rand
	models map[string]*model
	nextID int
}

type model struct {
	cfg    ModelConfig
	window window
	served int // admitted requests, for Script
	stats  ModelStats
}

// New returns a simulator serving opts.Models.
func New(opts Options) *Server {
	s := &Server{
		answer:    opts.Answer,
		readImage: opts.ReadImage,
		apiKey:    opts.APIKey,
		now:       opts.Now,
		log:       opts.Logger,
		models:    map[string]*model{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	seed := uint64(opts.Seed)
	if opts.Seed == 0 {
		seed = rand.Uint64()
	}
	s.rng = rand.New(rand.NewPCG(seed, seed))
	for name, cfg := range opts.Models {
		cfg.Faults = maps.Clone(cfg.Faults)
		cfg.Script = slices.Clone(cfg.Script)
		cfg.Outages = slices.Clone(cfg.Outages)
		if cfg.RetryAfter <= 0 {
			cfg.RetryAfter = time.Second
		}
		s.models[name] = &model{cfg: cfg, stats: ModelStats{Faults: map[Fault]int{}}}
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/chat/completions", s.chat)
	s.mux.HandleFunc("GET /v1/models", s.listModels)
	s.mux.HandleFunc("GET /v1/models/{id}", s.getModel)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "", "",
			fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path))
	})
	return s
}

// ServeHTTP serves the OpenAI API subset. Every request must carry a bearer
// token, as OpenAI requires.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(SimulatorHeader, "true")
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	key = strings.TrimSpace(key)
	switch {
	case !ok || key == "":
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "", "",
			"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). (llm simulator)")
		return
	case s.apiKey != "" && key != s.apiKey:
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "",
			fmt.Sprintf("Incorrect API key provided: %s. (llm simulator)", maskKey(key)))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// maskKey shows a key the way OpenAI's 401 does, hiding all but its ends.
func maskKey(k string) string {
	if len(k) < 12 {
		return strings.Repeat("*", len(k))
	}
	return k[:3] + strings.Repeat("*", len(k)-7) + k[len(k)-4:]
}

// Stats returns a snapshot of what each model served.
func (s *Server) Stats() map[string]ModelStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]ModelStats, len(s.models))
	for name, m := range s.models {
		st := m.stats
		st.Faults = maps.Clone(st.Faults)
		out[name] = st
	}
	return out
}

// Serve listens on addr and serves until ctx is done, then shuts down;
// requests in flight see their context cancelled. ready, if not nil, is
// called with the bound address once listening, so addr may use port 0.
func (s *Server) Serve(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("llm simulator: %w", err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	s.log.Info("llm simulator: listening (simulated OpenAI API, not a real provider)", "addr", ln.Addr().String())
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("llm simulator: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("llm simulator: shutdown: %w", err)
	}
	return nil
}

func (s *Server) listModels(w http.ResponseWriter, _ *http.Request) {
	names := slices.Sorted(maps.Keys(s.models))
	data := make([]modelObject, len(names))
	for i, name := range names {
		data[i] = newModelObject(name)
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

func (s *Server) getModel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := s.models[id]; !ok {
		writeModelNotFound(w, id)
		return
	}
	writeJSON(w, http.StatusOK, newModelObject(id))
}

type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func newModelObject(id string) modelObject {
	return modelObject{ID: id, Object: "model", Created: 1700000000, OwnedBy: Owner}
}

// chatRequest is the part of a chat completion request the simulator reads.
type chatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	// imageData are the decoded image parts.
	imageData           [][]byte
	MaxTokens           int  `json:"max_tokens"`
	MaxCompletionTokens int  `json:"max_completion_tokens"`
	Stream              bool `json:"stream"`
	ResponseFormat      *struct {
		JSONSchema *struct {
			Name string `json:"name"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

// text returns a message content given as a string or as an array of parts.
func text(content json.RawMessage) string {
	var s string
	if json.Unmarshal(content, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(content, &parts) != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// images decodes the data URLs of the request's image parts.
func (req *chatRequest) images() ([][]byte, error) {
	var out [][]byte
	for _, m := range req.Messages {
		var parts []struct {
			Type     string `json:"type"`
			ImageURL struct {
				URL string `json:"url"`
			} `json:"image_url"`
		}
		if json.Unmarshal(m.Content, &parts) != nil {
			continue
		}
		for _, p := range parts {
			if p.Type != "image_url" {
				continue
			}
			head, data, ok := strings.Cut(p.ImageURL.URL, ",")
			if !ok || !strings.HasPrefix(head, "data:image/") || !strings.HasSuffix(head, ";base64") {
				return nil, errors.New("llm simulator: image_url must be a base64 data URL of an image")
			}
			b, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				return nil, fmt.Errorf("llm simulator: image_url: %w", err)
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// document returns the docType and document text of an extraction request.
func (req *chatRequest) document() (docType, doc string) {
	if req.ResponseFormat != nil && req.ResponseFormat.JSONSchema != nil {
		docType = req.ResponseFormat.JSONSchema.Name
	}
	for _, m := range req.Messages {
		if m.Role != "user" {
			continue
		}
		t := text(m.Content)
		doc = t
		if _, after, ok := strings.Cut(t, "<document>"); ok {
			if inside, _, ok := strings.Cut(after, "</document>"); ok {
				return docType, strings.TrimSpace(inside)
			}
		}
	}
	return docType, doc
}

// promptTokens estimates a request's prompt tokens as OpenAI bills them,
// about 4 characters a token plus a few per message.
func (req *chatRequest) promptTokens() int {
	n := 3
	for _, m := range req.Messages {
		n += 4 + estimateTokens(text(m.Content))
	}
	for _, img := range req.imageData {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(img)); err == nil {
			n += images.ModelTokens(cfg.Width, cfg.Height)
		}
	}
	return n
}

func estimateTokens(s string) int { return (len(s) + 3) / 4 }

// maxRequestBody bounds request bodies, far above any real context window.
const maxRequestBody = 8 << 20

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "",
			"We could not parse the JSON body of your request: "+err.Error())
		return
	}
	switch {
	case req.Model == "":
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "model", "you must provide a model parameter")
		return
	case len(req.Messages) == 0:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "messages", "[] is too short - 'messages'")
		return
	case req.Stream:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "stream", "stream is not supported by the llm simulator")
		return
	}

	images, err := req.images()
	switch {
	case err != nil:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_image_url", "messages", err.Error())
		return
	case len(images) > 0 && s.readImage == nil:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "messages",
			"llm simulator: this simulator reads image parts only with OCR (Options.ReadImage; install Tesseract)")
		return
	}
	req.imageData = images
	prompt := req.promptTokens()
	s.mu.Lock()
	m, ok := s.models[req.Model]
	if !ok {
		s.mu.Unlock()
		s.log.Info("llm simulator: unknown model", "model", req.Model)
		writeModelNotFound(w, req.Model)
		return
	}
	m.stats.Requests++
	m.stats.Images += len(images)
	if m.cfg.ContextTokens > 0 && prompt > m.cfg.ContextTokens {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "invalid_request_error", "context_length_exceeded", "messages",
			fmt.Sprintf("This model's maximum context length is %d tokens. However, your messages resulted in %d tokens. Please reduce the length of the messages.",
				m.cfg.ContextTokens, prompt))
		return
	}
	cost := prompt + max(req.MaxCompletionTokens, req.MaxTokens)
	lim := m.window.admit(s.now(), m.cfg.RPM, m.cfg.TPM, cost)
	if lim.rejected() {
		m.stats.RateLimited++
		s.mu.Unlock()
		s.log.Info("llm simulator: rate limited", "model", req.Model, "retry_after", lim.retryAfter())
		lim.write(w.Header())
		writeRateLimited(w, req.Model, lim, cost)
		return
	}
	var fault Fault
	if m.served < len(m.cfg.Script) {
		fault = m.cfg.Script[m.served]
	} else {
		fault = draw(m.cfg.Faults, s.rng.Float64())
	}
	if m.cfg.down(s.now()) {
		fault = FaultUnavailable
	}
	m.served++
	if fault != "" {
		m.stats.Faults[fault]++
	}
	latency := m.cfg.LatencyMean
	if m.cfg.LatencyJitter > 0 {
		latency += time.Duration((s.rng.Float64()*2 - 1) * float64(m.cfg.LatencyJitter))
	}
	if m.cfg.SlowShare > 0 && s.rng.Float64() < m.cfg.SlowShare {
		latency = m.cfg.SlowLatency
	}
	s.nextID++
	id := fmt.Sprintf("chatcmpl-sim%06d", s.nextID)
	cfg := m.cfg
	s.mu.Unlock()

	s.log.Info("llm simulator: chat completion", "model", req.Model, "id", id, "fault", string(fault))
	if fault == FaultRateLimit {
		lim.overRequests, lim.remainingRequests, lim.resetRequests = true, 0, cfg.RetryAfter
	}
	lim.write(w.Header())
	w.Header().Set("x-request-id", id)
	switch fault {
	case FaultRateLimit:
		writeRateLimited(w, req.Model, lim, cost)
		return
	case FaultQuota:
		writeError(w, http.StatusTooManyRequests, "insufficient_quota", "insufficient_quota", "",
			"You exceeded your current quota, please check your plan and billing details. (llm simulator)")
		return
	case FaultServerError:
		writeError(w, http.StatusInternalServerError, "server_error", "", "",
			"The server had an error while processing your request. Sorry about that! (llm simulator)")
		return
	case FaultUnavailable:
		writeError(w, http.StatusServiceUnavailable, "server_error", "", "",
			"The engine is currently overloaded, please try again later. (llm simulator)")
		return
	case FaultModelNotFound:
		writeModelNotFound(w, req.Model)
		return
	case FaultHang:
		<-r.Context().Done()
		abort()
	}
	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			abort()
		}
	}
	s.complete(w, &req, id, prompt, fault)
}

// abort drops the connection without a reply, once the client has gone or
// the server is shutting down (http.ErrAbortHandler is net/http's way to do
// so; it is recovered without a stack trace).
func abort() { panic(http.ErrAbortHandler) }

// complete writes a successful chat completion, altered by fault.
func (s *Server) complete(w http.ResponseWriter, req *chatRequest, id string, prompt int, fault Fault) {
	if s.answer == nil {
		writeError(w, http.StatusInternalServerError, "server_error", "", "", "llm simulator: no Answer function configured")
		return
	}
	docType, doc := req.document()
	if len(req.imageData) > 0 {
		var texts []string
		for _, img := range req.imageData {
			t, err := s.readImage(img)
			if err != nil {
				writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_image", "messages", "llm simulator: image: "+err.Error())
				return
			}
			texts = append(texts, t)
		}
		doc = strings.Join(texts, "\f")
	}
	answer, err := s.answer(docType, doc)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", "", "", "llm simulator: answer: "+err.Error())
		return
	}
	content := string(answer)
	finish := "stop"
	switch fault {
	case FaultMalformedJSON:
		content = "Sure! Here are the fields I found:\n" + content
	case FaultSchemaViolation:
		content = `{"invoice_number": 42, "total": "one hundred", "line_items": "none"}`
	case FaultTruncated:
		content, finish = content[:len(content)/2], "length"
	case FaultContentFilter:
		content, finish = "", "content_filter"
	}
	var msgContent *string
	if finish != "content_filter" {
		msgContent = &content
	}
	completion := estimateTokens(content)
	writeJSON(w, http.StatusOK, chatResponse{
		ID:                id,
		Object:            "chat.completion",
		Created:           time.Now().Unix(),
		Model:             req.Model,
		SystemFingerprint: "fp_dataforge_sim",
		Choices: []choice{{
			Message:      message{Role: "assistant", Content: msgContent},
			FinishReason: finish,
		}},
		Usage: usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion},
	})
}

type chatResponse struct {
	ID                string   `json:"id"`
	Object            string   `json:"object"`
	Created           int64    `json:"created"`
	Model             string   `json:"model"`
	SystemFingerprint string   `json:"system_fingerprint"`
	Choices           []choice `json:"choices"`
	Usage             usage    `json:"usage"`
}

type choice struct {
	Index        int       `json:"index"`
	Message      message   `json:"message"`
	Logprobs     *struct{} `json:"logprobs"`
	FinishReason string    `json:"finish_reason"`
}

type message struct {
	Role    string  `json:"role"`
	Content *string `json:"content"`
	Refusal *string `json:"refusal"`
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// apiError is OpenAI's error object; absent code and param are null.
type apiError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func writeError(w http.ResponseWriter, status int, typ, code, param, msg string) {
	e := apiError{Message: msg, Type: typ}
	if code != "" {
		e.Code = &code
	}
	if param != "" {
		e.Param = &param
	}
	writeJSON(w, status, map[string]apiError{"error": e})
}

func writeModelNotFound(w http.ResponseWriter, name string) {
	writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found", "",
		fmt.Sprintf("The model `%s` does not exist or you do not have access to it. (llm simulator)", name))
}

func writeRateLimited(w http.ResponseWriter, model string, l limits, requested int) {
	unit, typ, limit, used := "requests per min (RPM)", "requests", l.rpm, l.rpm-l.remainingRequests
	if !l.overRequests {
		unit, typ, limit, used = "tokens per min (TPM)", "tokens", l.tpm, l.tpm-l.remainingTokens
	} else {
		requested = 1
	}
	writeError(w, http.StatusTooManyRequests, typ, "rate_limit_exceeded", "",
		fmt.Sprintf("Rate limit reached for %s in organization org-dataforge-sim on %s: Limit %d, Used %d, Requested %d. Please try again in %s. (llm simulator)",
			model, unit, limit, used, requested, formatReset(l.retryAfter())))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Listen binds addr (port 0 picks a free one) and serves in the background
// until ctx is done. It returns the OpenAI base URL of the simulator.
func (s *Server) Listen(ctx context.Context, addr string) (string, error) {
	ready := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, addr, func(a net.Addr) { ready <- a }) }()
	select {
	case a := <-ready:
		go func() {
			if err := <-errc; err != nil {
				s.log.Error("llm simulator stopped", "error", err)
			}
		}()
		return "http://" + a.String() + "/v1", nil
	case err := <-errc:
		return "", err
	}
}

// FastModels are DefaultModels with latencies cut to tens of milliseconds,
// for demos and tests.
func FastModels() map[string]ModelConfig {
	models := DefaultModels()
	for name, m := range models {
		m.LatencyMean, m.LatencyJitter = m.LatencyMean/40, m.LatencyJitter/40
		models[name] = m
	}
	return models
}
