// Package router decides the tier chain a document walks: which extraction
// tiers, in which order, with which retry policy and timeouts. The chain is
// data (ARCHITECTURE.md §Decisions 5); the workflow only walks it.
package router

import (
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
// document carries an e-invoice, then the configured LLM tiers, then the
// rule-based parser (before the LLM tiers, for simple documents when
// RulesFirstBelow says so), then manual review, which always ends it. An
// e-invoice's type is known from its XML, so it is never sent to be
// classified.
func Route(cfg Config, in Input) Plan {
	llmTimeout := cfg.LLMTimeout
	if llmTimeout == 0 {
		llmTimeout = 150 * time.Second
	}
	var chain []Tier
	for _, t := range []struct{ name, model string }{{"primary", cfg.PrimaryModel}, {"fallback", cfg.FallbackModel}} {
		if t.model == "" {
			continue
		}
		chain = append(chain, Tier{
			Name: t.name, Kind: KindLLM, Model: t.model, Retry: cfg.LLMRetry,
			StartToClose: llmTimeout, Heartbeat: 30 * time.Second,
		})
	}
	rules := Tier{Name: "rules", Kind: KindRules, StartToClose: time.Minute,
		Retry: &temporal.RetryPolicy{MaximumAttempts: 3}}
	if in.Complexity < cfg.RulesFirstBelow {
		chain = append([]Tier{rules}, chain...)
	} else {
		chain = append(chain, rules)
	}
	if in.EInvoice {
		chain = append([]Tier{{Name: "einvoice", Kind: KindEInvoice, StartToClose: time.Minute,
			Retry: &temporal.RetryPolicy{MaximumAttempts: 3}}}, chain...)
	}
	p := Plan{Tiers: append(chain, Tier{Name: "manual", Kind: KindManual, StartToClose: 30 * time.Second})}
	p.Classify = !in.EInvoice && in.TypeConfidence < cfg.ClassifyBelow && len(p.LLMTiers()) > 0
	return p
}
