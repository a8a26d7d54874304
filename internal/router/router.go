// Package router decides the tier chain a document walks: which extraction
// tiers, in which order, with which retry policy and timeouts. The chain is
// data (ARCHITECTURE.md §Decisions 5); the workflow only walks it.
package router

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
)

// Kind is what a tier does.
type Kind string

// Tier kinds.
const (
	// KindEInvoice reads the EN 16931 XML a document carries.
	KindEInvoice Kind = "einvoice"
	KindLLM      Kind = "llm"
	KindRules    Kind = "rules"
	KindManual   Kind = "manual"
)

// Tier is one step of the chain.
type Tier struct {
	// Name identifies the tier in attempts, results and reasons: einvoice,
	// primary, fallback, rules or manual.
	Name string `json:"name"`
	// Kind selects the activity that runs the tier.
	Kind Kind `json:"kind"`
	// Model is the LLM model of an llm tier.
	Model string `json:"model,omitempty"`
	// Retry is the tier's retry policy; nil means a single attempt.
	Retry *temporal.RetryPolicy `json:"retry,omitempty"`
	// StartToClose bounds one attempt.
	StartToClose time.Duration `json:"start_to_close"`
	// Heartbeat is the heartbeat timeout of long attempts; 0 means none.
	Heartbeat time.Duration `json:"heartbeat,omitempty"`
}

// Config is what routing knows about the deployment.
type Config struct {
	// PrimaryModel and FallbackModel name the LLM tiers' models; an empty
	// name leaves the tier out (no LLM configured).
	PrimaryModel, FallbackModel string
	// LLMRetry is the retry policy of each LLM tier.
	LLMRetry *temporal.RetryPolicy
	// LLMTimeout bounds one LLM attempt: a request and at most one repair,
	// each up to the client's timeout. Default 150 s.
	LLMTimeout time.Duration
	// RulesFirstBelow puts the rule-based tier before the LLM tiers for
	// documents whose complexity is below it, so simple documents cost
	// nothing when the rules read them confidently. 0 turns it off.
	RulesFirstBelow float64
	// ClassifyBelow asks the LLM tiers for the document's type when the
	// rule-based classifier's confidence is below it. 0 turns it off.
	ClassifyBelow float64
	// Capability starts simple documents on the smaller (fallback) model
	// and the others on the primary; off, every document starts on the
	// primary.
	Capability bool
	// SimpleBelow and ComplexFrom split documents by complexity into
	// simple (below SimpleBelow), complex (from ComplexFrom) and standard.
	// Defaults 0.25 and 0.55.
	SimpleBelow, ComplexFrom float64
	// Breaker skips a model whose recent attempts mostly failed.
	Breaker Breaker
	// NoRules leaves the rule-based tier out: what the LLM tiers do not
	// read goes to review (to measure the chain without it).
	NoRules bool
	// Learned, when set, orders the LLM tiers by what the attempts log
	// says of each model on documents of the same class and type (see
	// Learned); where it knows too little, Capability decides.
	Learned *Learned
	// Load, when set, lets a struggling or slow model that would start a
	// document give way to the next one (see Load).
	Load *Load
}

// Load is load-aware routing, from each model's health over the breaker's
// window: where either LLM tier may start a document (any class but
// complex, which starts on the primary), the model that would start gives
// way to the next when the next is answering well and the first is not:
// Struggling or more of its attempts failed for the provider's reasons or
// ended waiting for the shared rate limit, or its median latency is Slower
// times the next one's or more. Each model needs MinAttempts in the window
// for its figures to count; a model that gave way gets attempts again from
// the documents that fall through to it and from complex ones, and takes
// the lead back when it recovers.
type Load struct {
	MinAttempts int
	Struggling  float64
	Slower      float64
}

// DefaultLoad gives way when a quarter of 5 or more attempts failed or
// waited, or at three times the median latency.
var DefaultLoad = Load{MinAttempts: 5, Struggling: 0.25, Slower: 3}

// giveWay reports whether first should give way to next, and why.
func (l Load) giveWay(first, next llmTier, health map[string]Health) (bool, string) {
	f, n := health[first.model], health[next.model]
	if f.Attempts < l.MinAttempts || n.Attempts < l.MinAttempts || n.strain() >= l.Struggling {
		return false, ""
	}
	if f.strain() >= l.Struggling {
		return true, fmt.Sprintf("load: %.0f %% of %s's %d recent attempts failed or waited for the rate limit, %.0f %% of %s's %d",
			100*f.strain(), first.model, f.Attempts, 100*n.strain(), next.model, n.Attempts)
	}
	if n.Latency > 0 && f.Latency >= time.Duration(l.Slower*float64(n.Latency)) {
		return true, fmt.Sprintf("load: %s answers in %s (median), %s in %s",
			first.model, f.Latency.Round(100*time.Millisecond), next.model, n.Latency.Round(100*time.Millisecond))
	}
	return false, ""
}

// Breaker is the circuit breaker of each model, judged from the attempts
// log that every worker writes: a model with at least MinAttempts in the
// window, of which at least FailureRate failed for the provider's reasons
// (unavailable, rate or quota limits, timeouts), is open, and skipped, until
// Cooldown has passed since its last attempt; then it is half-open and the
// next document probes it. A success closes it.
type Breaker struct {
	MinAttempts int
	FailureRate float64 // 0 turns the breaker off
	Cooldown    time.Duration
}

// DefaultBreaker opens a model's breaker when at least half of 5 or more
// recent attempts failed for the provider's reasons, for 30 s.
var DefaultBreaker = Breaker{MinAttempts: 5, FailureRate: 0.5, Cooldown: 30 * time.Second}

// BreakerState names a model's breaker state from its health: closed, open
// or half_open.
func BreakerState(b Breaker, h Health) string {
	switch state(b, h) {
	case breakerOpen:
		return "open"
	case breakerHalfOpen:
		return "half_open"
	}
	return "closed"
}

// Health is what the attempts log says of a model over the breaker's window.
type Health struct {
	Attempts, Failures int
	// SinceLast is the time since the model's last attempt.
	SinceLast time.Duration
	// LastFailed reports that the last attempt failed for the provider's
	// reasons.
	LastFailed bool
	// Waits are the attempts that ended waiting for the shared rate limit.
	Waits int
	// Latency is the median latency of the successful attempts; 0 when
	// there were none.
	Latency time.Duration
}

// strain is the share of attempts that failed for the provider's reasons
// or waited for the rate limit.
func (h Health) strain() float64 {
	if h.Attempts == 0 {
		return 0
	}
	return float64(h.Failures+h.Waits) / float64(h.Attempts)
}

// Classes of documents, by complexity.
const (
	ClassSimple   = "simple"
	ClassStandard = "standard"
	ClassComplex  = "complex"
)

// Skip is a tier the plan leaves out, and why.
type Skip struct {
	Tier   string `json:"tier"`
	Model  string `json:"model,omitempty"`
	Reason string `json:"reason"`
}

// Input is what routing knows about one document.
type Input struct {
	DocType        string  `json:"doc_type"`
	TypeConfidence float64 `json:"type_confidence"`
	Complexity     float64 `json:"complexity"`
	// EInvoice says the document carries EN 16931 XML (an e-invoice).
	EInvoice bool `json:"einvoice,omitempty"`
}

// Plan is what the workflow does with a document.
type Plan struct {
	// Classify asks the LLM tiers for the document's type before
	// extraction, because the rule-based classifier was unsure.
	Classify bool `json:"classify,omitempty"`
	// Tiers is the ordered chain of extraction tiers.
	Tiers []Tier `json:"tiers"`
	// Class is the document's class (simple, standard, complex) when
	// capability routing is on.
	Class string `json:"class,omitempty"`
	// Skipped are the tiers left out, with the reason.
	Skipped []Skip `json:"skipped,omitempty"`
	// Probes are the models whose breaker is half-open: this document
	// tries them again.
	Probes []string `json:"probes,omitempty"`
	// Reason says why learned and load-aware routing ordered the LLM tiers
	// as they did; empty when neither is on.
	Reason string `json:"reason,omitempty"`
}

// LLMTiers returns the plan's LLM tiers, in order: the ones the optional
// tasks (classify, summarize) use.
func (p Plan) LLMTiers() []Tier {
	var out []Tier
	for _, t := range p.Tiers {
		if t.Kind == KindLLM {
			out = append(out, t)
		}
	}
	return out
}

// Route plans a document: its ordered chain is the einvoice tier when the
// document carries an e-invoice, then the configured LLM tiers (with
// capability routing, a simple document starts on the smaller model), then
// the rule-based parser (before the LLM tiers, for simple documents when
// RulesFirstBelow says so), then manual review, which always ends it. An
// LLM tier whose model's breaker is open (health, by model) is skipped. An
// e-invoice's type is known from its XML, so it is never sent to be
// classified. Route is RouteLearned without evidence.
func Route(cfg Config, in Input, health map[string]Health) Plan {
	return RouteLearned(cfg, in, health, nil)
}

// llmTier is an LLM tier before it is planned: its name and model.
type llmTier struct{ name, model string }

// RouteLearned plans a document as Route does; with cfg.Learned set, the
// LLM tiers are ordered by ev, what the attempts log says of each model on
// documents like this one (Learned.Order).
func RouteLearned(cfg Config, in Input, health map[string]Health, ev Evidence) Plan {
	llmTimeout := cfg.LLMTimeout
	if llmTimeout == 0 {
		llmTimeout = 150 * time.Second
	}
	var p Plan
	llmTiers := []llmTier{{"primary", cfg.PrimaryModel}, {"fallback", cfg.FallbackModel}}
	if cfg.Capability || cfg.Learned != nil {
		p.Class = cfg.Class(in.Complexity)
	}
	if cfg.Capability && p.Class == ClassSimple {
		llmTiers[0], llmTiers[1] = llmTiers[1], llmTiers[0]
	}
	if cfg.Learned != nil {
		llmTiers, p.Reason = cfg.Learned.order(llmTiers, Key{Class: p.Class, DocType: in.DocType}, ev)
	}
	if cfg.Load != nil && llmTiers[0].model != "" && llmTiers[1].model != "" && cfg.Class(in.Complexity) != ClassComplex {
		if ok, why := cfg.Load.giveWay(llmTiers[0], llmTiers[1], health); ok {
			llmTiers[0], llmTiers[1] = llmTiers[1], llmTiers[0]
			p.Reason = strings.TrimPrefix(p.Reason+"; "+why, "; ")
		}
	}
	var chain []Tier
	for _, t := range llmTiers {
		if t.model == "" {
			continue
		}
		switch state(cfg.Breaker, health[t.model]) {
		case breakerOpen:
			p.Skipped = append(p.Skipped, Skip{Tier: t.name, Model: t.model, Reason: "circuit_open"})
			continue
		case breakerHalfOpen:
			p.Probes = append(p.Probes, t.model)
		}
		chain = append(chain, Tier{
			Name: t.name, Kind: KindLLM, Model: t.model, Retry: cfg.LLMRetry,
			StartToClose: llmTimeout, Heartbeat: 30 * time.Second,
		})
	}
	rules := Tier{Name: "rules", Kind: KindRules, StartToClose: time.Minute,
		Retry: &temporal.RetryPolicy{MaximumAttempts: 3}}
	switch {
	case cfg.NoRules:
	case in.Complexity < cfg.RulesFirstBelow:
		chain = append([]Tier{rules}, chain...)
	default:
		chain = append(chain, rules)
	}
	if in.EInvoice {
		chain = append([]Tier{{Name: "einvoice", Kind: KindEInvoice, StartToClose: time.Minute,
			Retry: &temporal.RetryPolicy{MaximumAttempts: 3}}}, chain...)
	}
	p.Tiers = append(chain, Tier{Name: "manual", Kind: KindManual, StartToClose: 30 * time.Second})
	p.Classify = !in.EInvoice && in.TypeConfidence < cfg.ClassifyBelow && len(p.LLMTiers()) > 0
	return p
}

// Classes are the classes of documents in the order of ClassBounds' bands.
var Classes = []string{ClassSimple, ClassStandard, ClassComplex}

// ClassBounds are the complexities where the classes change: below the
// first a document is simple, from the second complex. Band i of these
// bounds (as Postgres's width_bucket numbers them) is Classes[i].
func (c Config) ClassBounds() []float64 {
	return []float64{cmp.Or(c.SimpleBelow, 0.25), cmp.Or(c.ComplexFrom, 0.55)}
}

// Class puts a document in a class by its complexity.
func (c Config) Class(complexity float64) string {
	b := c.ClassBounds()
	switch {
	case complexity < b[0]:
		return ClassSimple
	case complexity >= b[1]:
		return ClassComplex
	}
	return ClassStandard
}

type breakerState int

const (
	breakerClosed breakerState = iota
	breakerOpen
	breakerHalfOpen
)

// state is a model's breaker state from its health.
func state(b Breaker, h Health) breakerState {
	if b.FailureRate <= 0 || h.Attempts == 0 || h.Attempts < b.MinAttempts || !h.LastFailed ||
		float64(h.Failures)/float64(h.Attempts) < b.FailureRate {
		return breakerClosed
	}
	if h.SinceLast < b.Cooldown {
		return breakerOpen
	}
	return breakerHalfOpen
}
