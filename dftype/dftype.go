// Package dftype holds the types that cross DataForge's layers and travel in
// workflow history: document statuses, the reasons a tier gave up, and a
// reviewer's decision. It imports nothing of DataForge, so a change in the
// database schema or in a domain package never changes a workflow payload
// (ARCHITECTURE.md §Decisions 23). river's rivertype has the same role.
package dftype

import "encoding/json"

// Status is where a document is in its life.
type Status string

// Document statuses. Completed and rejected are terminal; review waits for a
// person.
const (
	StatusPending    Status = "pending"
	StatusProcessing Status = "processing"
	StatusReview     Status = "review"
	StatusCompleted  Status = "completed"
	StatusRejected   Status = "rejected"
)

// Terminal reports whether no more work happens to a document in s.
func (s Status) Terminal() bool { return s == StatusCompleted || s == StatusRejected }

// Reason says why a tier did not produce the result: the tier, a stable code
// and a human-readable detail.
type Reason struct {
	Tier   string `json:"tier"`
	Code   string `json:"code"`
	Detail string `json:"detail,omitempty"`
}

// ReasonCodes lists reasons as "tier:code".
func ReasonCodes(rs []Reason) []string {
	codes := make([]string, 0, len(rs))
	for _, r := range rs {
		codes = append(codes, r.Tier+":"+r.Code)
	}
	return codes
}

// Decision is a reviewer's verdict on an item: Fields to complete it, or a
// Reason to reject it.
type Decision struct {
	Reviewer string          `json:"reviewer"`
	Fields   json.RawMessage `json:"fields,omitempty"`
	// DocType corrects the document's type; empty keeps the item's.
	DocType string `json:"doc_type,omitempty"`
	Reason  string `json:"reason,omitempty"`
}
