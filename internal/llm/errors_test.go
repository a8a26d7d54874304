package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	apiErr := func(status int, code any, typ string) error {
		return fmt.Errorf("gpt-4o: %w", &openai.APIError{HTTPStatusCode: status, Code: code, Type: typ, Message: "provider says no"})
	}
	for _, tc := range []struct {
		name   string
		err    error
		header http.Header
		class  string
		delay  time.Duration
	}{
		{"quota", apiErr(429, "insufficient_quota", "insufficient_quota"), nil, ErrTypeQuotaExceeded, 0},
		{"rate limit", apiErr(429, "rate_limit_exceeded", "requests"), http.Header{"Retry-After": {"2"}}, ErrTypeRateLimited, 2 * time.Second},
		{"rate limit without headers", apiErr(429, nil, ""), nil, ErrTypeRateLimited, 0},
		{"context length", apiErr(400, "context_length_exceeded", "invalid_request_error"), nil, ErrTypeContextLength, 0},
		{"content filter", apiErr(400, "content_filter", "invalid_request_error"), nil, ErrTypeContentFilter, 0},
		{"azure content filter", fmt.Errorf("x: %w", &openai.APIError{HTTPStatusCode: 400,
			InnerError: &openai.InnerError{Code: "ResponsibleAIPolicyViolation"}}), nil, ErrTypeContentFilter, 0},
		{"bad request", apiErr(400, nil, "invalid_request_error"), nil, ErrTypeBadRequest, 0},
		{"unprocessable", apiErr(422, nil, ""), nil, ErrTypeBadRequest, 0},
		{"unauthorized", apiErr(401, "invalid_api_key", "invalid_request_error"), nil, ErrTypeAuth, 0},
		{"forbidden", apiErr(403, "unsupported_country_region_territory", ""), nil, ErrTypeAuth, 0},
		{"not found", apiErr(404, "model_not_found", ""), nil, ErrTypeModelNotFound, 0},
		{"request timeout", apiErr(408, nil, ""), nil, ErrTypeServer, 0},
		{"conflict", apiErr(409, nil, ""), nil, ErrTypeServer, 0},
		{"internal", apiErr(500, nil, "server_error"), nil, ErrTypeServer, 0},
		{"numeric code", apiErr(503, 503, ""), nil, ErrTypeServer, 0},
		{"gateway page", &openai.RequestError{HTTPStatusCode: 502, Body: []byte("<html>Bad gateway</html>")}, nil, ErrTypeServer, 0},
		{"ollama not found", &openai.RequestError{HTTPStatusCode: 404, Body: []byte(`{"error":"model 'x' not found"}`)}, nil, ErrTypeModelNotFound, 0},
		{"eof", fmt.Errorf("post: %w", io.EOF), nil, ErrTypeServer, 0},
		{"unexpected eof", io.ErrUnexpectedEOF, nil, ErrTypeServer, 0},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, nil, ErrTypeServer, 0},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, nil, ErrTypeServer, 0},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), nil, ErrTypeServer, 0},
		{"garbled reply", &json.SyntaxError{}, nil, ErrTypeServer, 0},
		{"refused by go-openai", openai.ErrReasoningModelLimitationsOther, nil, ErrTypeBadRequest, 0},
	} {
		err := Classify(tc.err, tc.header, testKey)
		require.Equal(t, tc.class, ErrorClass(err), tc.name)
		require.Equal(t, tc.delay, appError(t, err).NextRetryDelay(), tc.name)
		require.Equal(t, tc.class == ErrTypeRateLimited || tc.class == ErrTypeServer, Retryable(err), tc.name)
		require.Equal(t, Classify(err, nil, ""), err, "classifying twice changes nothing")
	}

	require.NoError(t, Classify(nil, nil, testKey))
	canceled := fmt.Errorf("gpt-4o: %w", context.Canceled)
	require.Equal(t, canceled, Classify(canceled, nil, testKey))
}

func TestClassifyRemovesKeys(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		&openai.APIError{HTTPStatusCode: 401, Message: "Incorrect API key provided: " + testKey + "."},
		&openai.APIError{HTTPStatusCode: 401, Message: "Incorrect API key provided: sk-tes*************cdef."},
		&openai.RequestError{HTTPStatusCode: 502, Body: []byte("echo: Authorization: Bearer " + testKey)},
		fmt.Errorf(`Post "https://example.com/v1?key=%s": EOF`, testKey),
	} {
		msg := Classify(err, nil, testKey).Error()
		require.NotContains(t, msg, testKey)
		require.NotContains(t, msg, "SECRET")
		require.NotContains(t, msg, "cdef")
		require.Contains(t, msg, "[redacted]")
	}

	// A custom key of any shape is removed verbatim.
	msg := Classify(fmt.Errorf("echo: token-for-vllm-42 %w", io.EOF), nil, "token-for-vllm-42").Error()
	require.NotContains(t, msg, "token-for-vllm-42")
	// Placeholder keys of local servers are too short to be secrets.
	msg = Classify(fmt.Errorf("EMPTY model: %w", io.EOF), nil, "EMPTY").Error()
	require.Contains(t, msg, "EMPTY model")

	long := Classify(&openai.RequestError{HTTPStatusCode: 500, Body: []byte(strings.Repeat("é", 5000))}, nil, testKey)
	require.LessOrEqual(t, len(appError(t, long).Message()), maxMessage+len("…"))
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"none", nil, 0},
		{"retry-after seconds", map[string]string{"Retry-After": "2"}, 2 * time.Second},
		{"retry-after fraction", map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond},
		{"retry-after date", map[string]string{"Retry-After": now.Add(30 * time.Second).Format(http.TimeFormat)}, 30 * time.Second},
		{"retry-after date past", map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}, 0},
		{"retry-after-ms", map[string]string{"retry-after-ms": "1500"}, 1500 * time.Millisecond},
		{"largest wins", map[string]string{"Retry-After": "1", "retry-after-ms": "1500"}, 1500 * time.Millisecond},
		{"requests exhausted", map[string]string{
			"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1s",
			"x-ratelimit-remaining-tokens": "5000", "x-ratelimit-reset-tokens": "6m0s",
		}, time.Second},
		{"tokens exhausted", map[string]string{
			"x-ratelimit-remaining-requests": "5", "x-ratelimit-reset-requests": "10s",
			"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "20ms",
		}, 20 * time.Millisecond},
		{"both exhausted", map[string]string{
			"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s",
			"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "3s",
		}, 3 * time.Second},
		{"neither says exhausted", map[string]string{
			"x-ratelimit-remaining-requests": "10", "x-ratelimit-reset-requests": "1s",
			"x-ratelimit-remaining-tokens": "100", "x-ratelimit-reset-tokens": "7.5s",
		}, 7500 * time.Millisecond},
		{"resets alone", map[string]string{"x-ratelimit-reset-tokens": "7.5s"}, 7500 * time.Millisecond},
		{"reset in seconds", map[string]string{"x-ratelimit-reset-requests": "12"}, 12 * time.Second},
		{"capped", map[string]string{"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s"}, MaxRetryDelay},
		{"capped seconds", map[string]string{"Retry-After": "99999999999999"}, MaxRetryDelay},
		{"garbage", map[string]string{
			"Retry-After": "soon", "retry-after-ms": "x", "x-ratelimit-reset-requests": "later", "x-ratelimit-reset-tokens": "-5s",
		}, 0},
		{"not numbers", map[string]string{"Retry-After": "NaN", "retry-after-ms": "Inf"}, 0},
	} {
		h := http.Header{}
		for k, v := range tc.header {
			h.Set(k, v)
		}
		require.Equal(t, tc.want, retryDelay(h, now), tc.name)
	}
}

func TestJitter(t *testing.T) {
	t.Parallel()
	down := newError(ErrTypeServer, "503", 0)
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 9: 256 * time.Second} {
		lo := Jitter(down, attempt, RetryPolicy(), 0)
		hi := Jitter(down, attempt, RetryPolicy(), 0.999)
		var a, b *temporal.ApplicationError
		require.ErrorAs(t, lo, &a)
		require.ErrorAs(t, hi, &b)
		require.Equal(t, ErrTypeServer, a.Type())
		require.False(t, a.NonRetryable())
		require.Equal(t, min(want/2, time.Minute), a.NextRetryDelay(), "attempt %d", attempt)
		require.Equal(t, min(time.Duration(float64(want)*1.499), time.Minute), b.NextRetryDelay(), "attempt %d", attempt)
	}

	limited := newError(ErrTypeRateLimited, "429", 10*time.Second)
	var a *temporal.ApplicationError
	require.ErrorAs(t, Jitter(limited, 1, RetryPolicy(), 0.5), &a)
	require.Equal(t, 11*time.Second, a.NextRetryDelay(), "never earlier than the provider asked")

	quota := newError(ErrTypeQuotaExceeded, "quota", 0)
	require.Same(t, quota, Jitter(quota, 1, RetryPolicy(), 0.5), "non-retryable errors are left alone")
	plain := errors.New("boom")
	require.Same(t, plain, Jitter(plain, 1, RetryPolicy(), 0.5))
	require.Same(t, down, Jitter(down, 1, nil, 0.5), "no policy, no retries to spread")
}
