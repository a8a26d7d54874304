package router

// Outcomes of a tier on a recorded document.
const (
	OutcomeSuccess = "success"
	// OutcomeFailure: the tier failed for the document's reasons.
	OutcomeFailure = "failure"
)

// Recorded is a document as the attempts log recorded it: what routing knew
// of it, and each tier's outcome on it with what its attempts cost, by the
// model of an LLM tier, else by the tier's name. A tier that was not tried,
// or failed only for the provider's reasons, is not in Tiers: its outcome
// is unknown.
type Recorded struct {
	Input Input                   `json:"input"`
	Tiers map[string]RecordedTier `json:"tiers"`
}

// RecordedTier is one tier's outcome on a recorded document.
type RecordedTier struct {
	Outcome string  `json:"outcome"` // OutcomeSuccess or OutcomeFailure
	CostUSD float64 `json:"cost_usd"`
}

// Policy is a routing configuration under a name.
type Policy struct {
	Name   string
	Config Config
}

// Replayed is how one policy would have fared on the recorded documents.
type Replayed struct {
	Policy string `json:"policy"`
	// Unknown counts the documents whose chain under the policy reaches a
	// tier with no recorded outcome before one that read them.
	Unknown int `json:"unknown"`
	// Over the documents known under every policy (Replay.Compared):
	// Completed counts those a tier would have read without a person,
	// Review those that would have gone to review, CostUSD what the tiers'
	// attempts cost on the way, SuccessRate is Completed over Compared.
	Completed   int     `json:"completed"`
	Review      int     `json:"review"`
	CostUSD     float64 `json:"cost_usd"`
	SuccessRate float64 `json:"success_rate"`
}

// Replay is the comparison of policies on recorded documents.
type Replay struct {
	// Documents counts the recorded documents; Compared those whose
	// outcome is known under every policy, the ones the figures are over.
	Documents int        `json:"documents"`
	Compared  int        `json:"compared"`
	Policies  []Replayed `json:"policies"`
}

// ReplayPolicies walks each recorded document, in the order given (oldest
// first), through each policy's plan, taking each tier's recorded outcome
// and cost, until a tier reads it (completed), the chain reaches manual
// review, or a tier's outcome is unknown. Breakers and the budget are left
// out (health is not recorded per document). A policy with Learned set
// learns as it goes: each document is routed on the evidence of the
// documents before it, as a worker would have been, never on its own.
func ReplayPolicies(policies []Policy, docs []Recorded) Replay {
	type walk struct {
		known     bool
		completed bool
		cost      float64
	}
	walks := make([][]walk, len(policies))
	evidence := make([]Evidence, len(policies))
	for i := range policies {
		walks[i] = make([]walk, len(docs))
		evidence[i] = Evidence{}
	}
	for d, doc := range docs {
		for i, pol := range policies {
			plan := RouteLearned(pol.Config, doc.Input, nil, evidence[i])
			w := walk{}
			for _, t := range plan.Tiers {
				if t.Kind == KindManual {
					w.known = true
					break
				}
				key := t.Name
				if t.Kind == KindLLM {
					key = t.Model
				}
				rec, ok := doc.Tiers[key]
				if !ok {
					break
				}
				w.cost += rec.CostUSD
				if rec.Outcome == OutcomeSuccess {
					w.known, w.completed = true, true
					break
				}
			}
			walks[i][d] = w
			if pol.Config.Learned != nil {
				class := pol.Config.Class(doc.Input.Complexity)
				for _, model := range []string{pol.Config.PrimaryModel, pol.Config.FallbackModel} {
					if rec, ok := doc.Tiers[model]; ok && model != "" {
						evidence[i].Add(Key{Model: model, Class: class, DocType: doc.Input.DocType}, rec.Outcome == OutcomeSuccess, rec.CostUSD)
					}
				}
			}
		}
	}
	out := Replay{Documents: len(docs), Policies: make([]Replayed, len(policies))}
	for i, pol := range policies {
		out.Policies[i].Policy = pol.Name
	}
	for d := range docs {
		all := true
		for i := range policies {
			if !walks[i][d].known {
				out.Policies[i].Unknown++
				all = false
			}
		}
		if !all {
			continue
		}
		out.Compared++
		for i := range policies {
			w, r := walks[i][d], &out.Policies[i]
			r.CostUSD += w.cost
			if w.completed {
				r.Completed++
			} else {
				r.Review++
			}
		}
	}
	for i := range out.Policies {
		if out.Compared > 0 {
			out.Policies[i].SuccessRate = float64(out.Policies[i].Completed) / float64(out.Compared)
		}
	}
	return out
}
