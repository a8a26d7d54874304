package llmsim

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// windowLen is the span over which RPM and TPM are counted.
const windowLen = time.Minute

// window records a model's admitted requests over the last windowLen.
type window struct {
	uses []use // oldest first
}

type use struct {
	at     time.Time
	tokens int
}

// limits is a model's rate-limit state after an admission decision, as
// reported in the x-ratelimit-* headers. A reset is when capacity returns:
// when the oldest request leaves the window, or, for a rejected request, when
// enough has left for it to fit.
type limits struct {
	rpm, tpm                           int
	remainingRequests, remainingTokens int
	resetRequests, resetTokens         time.Duration
	overRequests, overTokens           bool // the request was rejected by this limit
}

func (l limits) rejected() bool { return l.overRequests || l.overTokens }

// retryAfter is how long a rejected request must wait.
func (l limits) retryAfter() time.Duration {
	var d time.Duration
	if l.overRequests {
		d = l.resetRequests
	}
	if l.overTokens {
		d = max(d, l.resetTokens)
	}
	return d
}

// admit decides whether a request costing tokens fits in the window at now
// under rpm and tpm (0 means unlimited) and records it if it does.
func (w *window) admit(now time.Time, rpm, tpm, tokens int) limits {
	i := 0
	for i < len(w.uses) && !w.uses[i].at.Add(windowLen).After(now) {
		i++
	}
	w.uses = w.uses[i:]
	used := 0
	for _, u := range w.uses {
		used += u.tokens
	}

	l := limits{rpm: rpm, tpm: tpm}
	if rpm > 0 && len(w.uses) >= rpm {
		l.overRequests = true
		l.resetRequests = w.expiry(len(w.uses)-rpm, now)
	}
	if tpm > 0 && used+tokens > tpm {
		l.overTokens = true
		l.resetTokens = windowLen // a request larger than tpm never fits
		freed := 0
		for j, u := range w.uses {
			freed += u.tokens
			if used-freed+tokens <= tpm {
				l.resetTokens = w.expiry(j, now)
				break
			}
		}
	}
	if !l.rejected() {
		w.uses = append(w.uses, use{at: now, tokens: tokens})
		used += tokens
	}
	var oldest time.Duration
	if len(w.uses) > 0 {
		oldest = w.expiry(0, now)
	}
	if !l.overRequests {
		l.resetRequests = oldest
	}
	if !l.overTokens {
		l.resetTokens = oldest
	}
	l.remainingRequests = max(rpm-len(w.uses), 0)
	l.remainingTokens = max(tpm-used, 0)
	return l
}

// expiry is how long until the i-th oldest use leaves the window.
func (w *window) expiry(i int, now time.Time) time.Duration {
	return w.uses[i].at.Add(windowLen).Sub(now)
}

// write sets the x-ratelimit-* headers of the limits that are set and, on a
// rejection, Retry-After (whole seconds, rounded up) and retry-after-ms.
func (l limits) write(h http.Header) {
	if l.rpm > 0 || l.overRequests {
		h.Set("x-ratelimit-limit-requests", strconv.Itoa(l.rpm))
		h.Set("x-ratelimit-remaining-requests", strconv.Itoa(l.remainingRequests))
		h.Set("x-ratelimit-reset-requests", formatReset(l.resetRequests))
	}
	if l.tpm > 0 || l.overTokens {
		h.Set("x-ratelimit-limit-tokens", strconv.Itoa(l.tpm))
		h.Set("x-ratelimit-remaining-tokens", strconv.Itoa(l.remainingTokens))
		h.Set("x-ratelimit-reset-tokens", formatReset(l.resetTokens))
	}
	if l.rejected() {
		d := l.retryAfter()
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
		h.Set("retry-after-ms", strconv.FormatInt(int64(math.Ceil(float64(d)/float64(time.Millisecond))), 10))
	}
}

// formatReset formats a duration as OpenAI does: "1s", "6m0s", "20ms".
func formatReset(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}
