package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/dataforge/dataforge/internal/store"
)

// Kind is a group of documents of a synthetic history: N documents of one
// type and complexity, each with the same extraction attempts.
type Kind struct {
	Name       string // makes the documents' content unique
	DocType    string
	Complexity float64
	N          int
	Attempts   []store.Attempt // DocumentID, Task and StartedAt are set for each document
}

// History writes a synthetic history through the store's API: each kind's
// documents (as parsing stores them: type and complexity in the
// classification) and their attempts, the kinds' documents interleaved
// (the i-th of every kind, then the i+1-th), a second apart, ending now.
// It returns the documents' ids.
func History(t testing.TB, st *store.Store, kinds ...Kind) []string {
	t.Helper()
	ctx := context.Background()
	most := 0
	for _, k := range kinds {
		most = max(most, k.N)
	}
	at := time.Now().Add(-time.Duration(most*len(kinds)) * time.Second)
	var ids []string
	for i := range most {
		for _, k := range kinds {
			if i >= k.N {
				continue
			}
			content := fmt.Sprintf("%s %d", k.Name, i)
			sum := sha256.Sum256([]byte(content))
			id := hex.EncodeToString(sum[:])
			if _, err := st.PutDocument(ctx, &store.Document{ID: id, Name: content + ".txt", MediaType: "text/plain", Content: []byte(content)}); err != nil {
				t.Fatalf("history: %v", err)
			}
			if err := st.SaveText(ctx, id, store.TextInfo{Text: content, Pages: 1, Source: "file"}, k.DocType,
				map[string]any{"Type": k.DocType, "Complexity": k.Complexity}); err != nil {
				t.Fatalf("history: %v", err)
			}
			for _, a := range k.Attempts {
				a.DocumentID, a.Task, a.StartedAt = id, "extract", at
				if err := st.RecordAttempt(ctx, &a); err != nil {
					t.Fatalf("history: %v", err)
				}
				at = at.Add(time.Millisecond)
			}
			at = at.Add(time.Second)
			ids = append(ids, id)
		}
	}
	return ids
}

// SmallerReadsSimple writes the synthetic history of learned routing's
// tests, n documents of each of three kinds, every document tried on both
// models, the smaller first: simple invoices (complexity 0.1), which both
// read; simple receipts (0.1) and complex invoices (0.7), which only the
// primary reads (the smaller model's answers are invalid). A document costs
// $0.005 on the primary when simple, $0.01 when complex, and $0.0005 on the
// smaller model when simple, $0.0008 when complex.
func SmallerReadsSimple(t testing.TB, st *store.Store, primary, smaller string, n int) []string {
	t.Helper()
	read := func(tier, model string, cost float64) store.Attempt {
		return store.Attempt{Tier: tier, Model: model, Attempt: 1, Outcome: store.OutcomeSuccess, CostUSD: cost}
	}
	invalid := func(tier, model string, cost float64) store.Attempt {
		return store.Attempt{Tier: tier, Model: model, Attempt: 1, Outcome: store.OutcomeInvalid, ErrorClass: "InvalidOutput", CostUSD: cost}
	}
	return History(t, st,
		Kind{Name: "simple invoice", DocType: "invoice", Complexity: 0.1, N: n,
			Attempts: []store.Attempt{read("fallback", smaller, 0.0005), read("primary", primary, 0.005)}},
		Kind{Name: "simple receipt", DocType: "receipt", Complexity: 0.1, N: n,
			Attempts: []store.Attempt{invalid("fallback", smaller, 0.0005), read("primary", primary, 0.005)}},
		Kind{Name: "complex invoice", DocType: "invoice", Complexity: 0.7, N: n,
			Attempts: []store.Attempt{invalid("fallback", smaller, 0.0008), read("primary", primary, 0.01)}})
}
