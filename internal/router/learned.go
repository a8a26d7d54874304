package router

import (
	"fmt"
	"time"
)

// Learned is learned routing (ARCHITECTURE.md §Decisions 34): from the
// attempts log, a model's chance of reading a kind of document (its class
// and type) is the mean of a Beta posterior over the documents it was tried
// on, Beta(PriorSuccesses + successes, PriorFailures + failures). The
// cheapest model (by what its attempts cost on such documents) whose chance
// is at least Threshold after at least MinDocuments documents goes first.
// Where that is not known, capability routing's order stands: when no model
// is proven on the kind, or when a model tried on fewer documents might be
// cheaper than the proven one (so the cheaper model keeps being tried until
// it is known).
type Learned struct {
	// Threshold is the success chance a model must reach. Default 0.9.
	Threshold float64
	// MinDocuments is the evidence a model needs on a kind of document,
	// in documents with a known outcome. Default 20.
	MinDocuments int
	// PriorSuccesses and PriorFailures are the Beta prior. Default 1 and 1.
	PriorSuccesses, PriorFailures float64
	// Window is how far back the attempts log is read. Default 7 days.
	Window time.Duration
}

// DefaultLearned are learned routing's defaults.
var DefaultLearned = Learned{Threshold: 0.9, MinDocuments: 20, PriorSuccesses: 1, PriorFailures: 1, Window: 7 * 24 * time.Hour}

// Key is a kind of document for one model: the model, and the document's
// class and type. Order looks up keys with an empty Model.
type Key struct {
	Model   string `json:"model"`
	Class   string `json:"class"`
	DocType string `json:"doc_type"`
}

// Record is what the attempts log says of a model on a kind of document:
// the documents it was tried on with a known outcome (it read them, or
// failed for the document's reasons, not the provider's), how many of them
// it read, and what its attempts on them cost.
type Record struct {
	Documents int     `json:"documents"`
	Successes int     `json:"successes"`
	CostUSD   float64 `json:"cost_usd"`
}

// Evidence is the attempts log's records by key.
type Evidence map[Key]Record

// Add counts one document a model was tried on.
func (ev Evidence) Add(k Key, success bool, costUSD float64) {
	r := ev[k]
	r.Documents++
	if success {
		r.Successes++
	}
	r.CostUSD += costUSD
	ev[k] = r
}

// Chance is the posterior mean of a model's success on r's documents.
func (l Learned) Chance(r Record) float64 {
	l = l.withDefaults()
	return (float64(r.Successes) + l.PriorSuccesses) / (float64(r.Documents) + l.PriorSuccesses + l.PriorFailures)
}

func (l Learned) withDefaults() Learned {
	d := DefaultLearned
	if l.Threshold > 0 {
		d.Threshold = l.Threshold
	}
	if l.MinDocuments > 0 {
		d.MinDocuments = l.MinDocuments
	}
	if l.PriorSuccesses > 0 || l.PriorFailures > 0 {
		d.PriorSuccesses, d.PriorFailures = l.PriorSuccesses, l.PriorFailures
	}
	if l.Window > 0 {
		d.Window = l.Window
	}
	return d
}

// WindowOrDefault is how far back learned routing reads the attempts log.
func (l Learned) WindowOrDefault() time.Duration { return l.withDefaults().Window }

// meanCost is what a model's attempts cost per document of the kind k, or,
// when it was never tried on the kind, per document of any kind; ok is
// false when it was never tried at all.
func (ev Evidence) meanCost(model string, k Key) (float64, bool) {
	k.Model = model
	if r := ev[k]; r.Documents > 0 {
		return r.CostUSD / float64(r.Documents), true
	}
	var all Record
	for key, r := range ev {
		if key.Model == model {
			all.Documents += r.Documents
			all.CostUSD += r.CostUSD
		}
	}
	if all.Documents == 0 {
		return 0, false
	}
	return all.CostUSD / float64(all.Documents), true
}

// order moves the cheapest proven model for the kind k to the front of
// tiers (else leaves them as they are) and says why.
func (l Learned) order(tiers []llmTier, k Key, ev Evidence) ([]llmTier, string) {
	l = l.withDefaults()
	kind := k.Class + " " + k.DocType
	best, bestCost := -1, 0.0
	for i, t := range tiers {
		r := ev[Key{Model: t.model, Class: k.Class, DocType: k.DocType}]
		if t.model == "" || r.Documents < l.MinDocuments || l.Chance(r) < l.Threshold {
			continue
		}
		if cost := r.CostUSD / float64(r.Documents); best < 0 || cost < bestCost {
			best, bestCost = i, cost
		}
	}
	if best < 0 {
		return tiers, "capability: no model proven on " + kind
	}
	for i, t := range tiers {
		if i == best || t.model == "" || ev[Key{Model: t.model, Class: k.Class, DocType: k.DocType}].Documents >= l.MinDocuments {
			continue
		}
		if cost, ok := ev.meanCost(t.model, k); !ok || cost < bestCost {
			return tiers, fmt.Sprintf("capability: %s, maybe cheaper, not yet known on %s", t.model, kind)
		}
	}
	out := append([]llmTier{tiers[best]}, tiers[:best]...)
	out = append(out, tiers[best+1:]...)
	r := ev[Key{Model: tiers[best].model, Class: k.Class, DocType: k.DocType}]
	return out, fmt.Sprintf("learned: %s read %d of %d %s ($%.4f each)", tiers[best].model, r.Successes, r.Documents, kind, bestCost)
}
