package llm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"go.temporal.io/sdk/temporal"
)

// Error types of the Temporal application errors Do returns. They are
// stable: retry policies, routing and the attempts table refer to them.
const (
	// ErrTypeRateLimited is a 429 other than quota. Retryable, with
	// NextRetryDelay set from the provider's headers when it gives one.
	ErrTypeRateLimited = "RateLimited"
	// ErrTypeRateLimitWait: the workers' shared rate limit had no room for
	// the request within MaxLimiterWait; nothing was sent. Retryable, with
	// the wait as NextRetryDelay; not a provider failure (breakers ignore it).
	ErrTypeRateLimitWait = "RateLimitWait"
	// ErrTypeQuotaExceeded is a 429 insufficient_quota: billing, not load.
	ErrTypeQuotaExceeded = "QuotaExceeded"
	// ErrTypeServer is a 5xx, 408 or 409 reply, a timeout, a refused or
	// reset connection, EOF or an unreadable reply. Retryable with backoff.
	ErrTypeServer = "ProviderUnavailable"
	// ErrTypeBadRequest is a 4xx reply not covered by another type, or a
	// request that cannot be sent (no model, unknown document type,
	// parameters go-openai rejects for the model).
	ErrTypeBadRequest = "BadRequest"
	// ErrTypeAuth is a 401 or 403.
	ErrTypeAuth = "AuthFailed"
	// ErrTypeModelNotFound is a 404: unknown model or deployment.
	ErrTypeModelNotFound = "ModelNotFound"
	// ErrTypeContextLength is a 400 context_length_exceeded.
	ErrTypeContextLength = "ContextLengthExceeded"
	// ErrTypeContentFilter is a content_filter error code or finish reason, or
	// a refusal by the model.
	ErrTypeContentFilter = "ContentFiltered"
	// ErrTypeTruncated is a reply cut off at the token limit (finish_reason
	// "length").
	ErrTypeTruncated = "OutputTruncated"
	// ErrTypeInvalidOutput is a reply still invalid after one repair request.
	// Its details hold the validation problems ([]string).
	ErrTypeInvalidOutput = "InvalidOutput"
)

// nonRetryableTypes are the types that retrying the same model cannot fix.
var nonRetryableTypes = []string{
	ErrTypeQuotaExceeded, ErrTypeBadRequest, ErrTypeAuth, ErrTypeModelNotFound,
	ErrTypeContextLength, ErrTypeContentFilter, ErrTypeTruncated, ErrTypeInvalidOutput,
}

// MaxRetryDelay caps the NextRetryDelay taken from a provider's headers.
const MaxRetryDelay = 5 * time.Minute

// RetryPolicy is the retry policy of an LLM extraction activity: 3 attempts,
// 1 s initial interval doubling up to 60 s, and no retry of the
// non-retryable error types (which also carry NonRetryable themselves).
func RetryPolicy() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Minute,
		MaximumAttempts:        3,
		NonRetryableErrorTypes: slices.Clone(nonRetryableTypes),
	}
}

// ErrorClass returns the type of the Temporal application error in err's
// chain, or "" if there is none.
func ErrorClass(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

// Retryable reports whether Temporal would retry err under RetryPolicy.
// Errors that are not application errors are retryable, except nil and
// context cancellation.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return !appErr.NonRetryable() && !slices.Contains(nonRetryableTypes, appErr.Type())
	}
	return true
}

// newError returns an application error of type typ, non-retryable if the
// type is.
func newError(typ, msg string, delay time.Duration, details ...any) error {
	return temporal.NewApplicationErrorWithOptions(msg, typ, temporal.ApplicationErrorOptions{
		NonRetryable:   slices.Contains(nonRetryableTypes, typ),
		NextRetryDelay: delay,
		Details:        details,
	})
}

// ProviderFailures are the error classes that say the provider, not the
// document, failed: the ones circuit breakers count.
var ProviderFailures = []string{ErrTypeServer, ErrTypeRateLimited, ErrTypeQuotaExceeded, ErrTypeAuth}

// Classify turns an error from a chat completion call into a Temporal
// application error of one of the ErrType* types: by HTTP status and error
// code when the API replied, as ErrTypeServer when it could not be reached or
// its reply not read, as ErrTypeBadRequest when go-openai refused to send the
// request. header is the reply's header (nil if there was none); for a 429 it
// sets NextRetryDelay (see retryDelay). apiKey is
// removed from the message, as is anything shaped like an OpenAI key; the
// original error is not kept as cause, so its text cannot leak. nil, errors
// already classified and context.Canceled (the caller gave up: Temporal
// reports the activity cancelled) are returned unchanged.
func Classify(err error, header http.Header, apiKey string) error {
	if err == nil || ErrorClass(err) != "" || errors.Is(err, context.Canceled) {
		return err
	}
	msg := redact(err.Error(), apiKey)
	status, codes := failure(err)
	has := func(c string) bool { return slices.Contains(codes, c) }
	switch {
	case status == 0 && unreachable(err):
		return newError(ErrTypeServer, msg, 0)
	case status == 0: // go-openai refused to send the request
		return newError(ErrTypeBadRequest, msg, 0)
	case has("insufficient_quota"):
		return newError(ErrTypeQuotaExceeded, msg, 0)
	case status == http.StatusTooManyRequests:
		return newError(ErrTypeRateLimited, msg, retryDelay(header, time.Now()))
	case has("context_length_exceeded"):
		return newError(ErrTypeContextLength, msg, 0)
	case has("content_filter") || has("ResponsibleAIPolicyViolation"):
		return newError(ErrTypeContentFilter, msg, 0)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return newError(ErrTypeAuth, msg, 0)
	case status == http.StatusNotFound:
		return newError(ErrTypeModelNotFound, msg, 0)
	case status == http.StatusRequestTimeout || status == http.StatusConflict || status >= 500:
		return newError(ErrTypeServer, msg, 0)
	default:
		return newError(ErrTypeBadRequest, msg, 0)
	}
}

// unreachable reports whether err is a failure to reach the API or read its
// reply: every error of http.Client.Do (connection refused or reset,
// timeouts), EOF, network errors while reading, and an unreadable reply.
func unreachable(err error) bool {
	var urlErr *url.Error
	var netErr net.Error
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	return errors.As(err, &urlErr) || errors.As(err, &netErr) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &syntaxErr) || errors.As(err, &typeErr)
}

// failure returns the HTTP status of a failed call (0 if the call got no
// reply) and the codes and type of the provider's error body.
func failure(err error) (status int, codes []string) {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		codes = append(codes, apiErr.Type)
		if c, ok := apiErr.Code.(string); ok {
			codes = append(codes, c)
		}
		if apiErr.InnerError != nil {
			codes = append(codes, apiErr.InnerError.Code)
		}
		status = apiErr.HTTPStatusCode
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		status = reqErr.HTTPStatusCode
	}
	return status, codes
}

// retryDelay returns how long a 429's headers ask to wait, capped at
// MaxRetryDelay, or 0 if they do not say. It takes the largest of
// retry-after-ms, Retry-After (seconds or an HTTP date) and the
// x-ratelimit-reset-* of the exhausted limit (remaining 0), or of both limits
// if neither says it is exhausted. (A reset of a limit that is not exhausted
// says when used capacity returns, which can be minutes, not when a request
// can go.)
func retryDelay(h http.Header, now time.Time) time.Duration {
	var d time.Duration
	if ms, err := strconv.ParseFloat(h.Get("retry-after-ms"), 64); err == nil {
		d = max(d, seconds(ms/1000))
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil {
			d = max(d, seconds(s))
		} else if t, err := http.ParseTime(v); err == nil {
			d = max(d, seconds(t.Sub(now).Seconds()))
		}
	}
	requestsOut := h.Get("x-ratelimit-remaining-requests") == "0"
	tokensOut := h.Get("x-ratelimit-remaining-tokens") == "0"
	if requestsOut || !tokensOut {
		d = max(d, resetDelay(h.Get("x-ratelimit-reset-requests")))
	}
	if tokensOut || !requestsOut {
		d = max(d, resetDelay(h.Get("x-ratelimit-reset-tokens")))
	}
	return d
}

// remaining parses an x-ratelimit-remaining-* header: what is left of a
// limit, or -1 when the header is absent or not a count.
func remaining(h http.Header, name string) int {
	n, err := strconv.Atoi(h.Get(name))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// resetDelay parses an x-ratelimit-reset-* value: a Go-style duration such
// as "1s", "6m0s" or "20ms", or plain seconds.
func resetDelay(v string) time.Duration {
	if d, err := time.ParseDuration(v); err == nil {
		return seconds(d.Seconds())
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		return seconds(s)
	}
	return 0
}

// seconds converts s to a duration in [0, MaxRetryDelay]; NaN and ±Inf are 0.
func seconds(s float64) time.Duration {
	if !(s > 0) || math.IsInf(s, 1) {
		return 0
	}
	return time.Duration(math.Min(s, MaxRetryDelay.Seconds()) * float64(time.Second))
}

// keyShaped matches OpenAI keys, whole or masked as its 401 replies show them.
var keyShaped = regexp.MustCompile(`\b(sk|rk)-[A-Za-z0-9_\-*.]{3,}`)

// minSecretLen is the shortest API key removed from messages verbatim;
// shorter ones are placeholders for local servers that check no key, and
// removing them would garble messages.
const minSecretLen = 8

// maxMessage bounds error messages, which may quote a reply body.
const maxMessage = 1000

// redact removes apiKey and key-shaped strings from msg and bounds its length.
func redact(msg, apiKey string) string {
	if len(apiKey) >= minSecretLen {
		msg = strings.ReplaceAll(msg, apiKey, "[redacted]")
	}
	msg = keyShaped.ReplaceAllString(msg, "[redacted]")
	if len(msg) > maxMessage {
		msg = strings.ToValidUTF8(msg[:maxMessage], "") + "…"
	}
	return msg
}

// Jitter spreads retries out, so that many documents hitting the same
// outage do not retry in lockstep. For a retryable error of this package it
// returns the same error with NextRetryDelay set: the provider's requested
// delay plus up to 20 % (never earlier than asked), or else policy's
// backoff for this attempt (1-based) scaled by 0.5 to 1.5 and capped at its
// maximum interval. u is a uniform random number in [0, 1). Other errors,
// and all errors when policy is nil, are returned unchanged.
func Jitter(err error, attempt int, policy *temporal.RetryPolicy, u float64) error {
	var appErr *temporal.ApplicationError
	if policy == nil || !errors.As(err, &appErr) || !Retryable(err) || appErr.HasDetails() {
		return err
	}
	delay := appErr.NextRetryDelay()
	if delay > 0 {
		delay += time.Duration(float64(delay) * 0.2 * u)
	} else {
		p := policy
		backoff := float64(p.InitialInterval) * math.Pow(p.BackoffCoefficient, float64(max(attempt, 1)-1))
		delay = min(time.Duration(backoff*(0.5+u)), p.MaximumInterval)
	}
	return newError(appErr.Type(), appErr.Message(), min(delay, MaxRetryDelay))
}
