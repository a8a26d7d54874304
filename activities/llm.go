package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
)

// Extractor is what the LLM tiers need of a model client; *llm.Client is one.
type Extractor interface {
	Extract(ctx context.Context, req llm.Request) (*llm.Response, error)
}

// ExtractLLM asks the tier's model for the document's fields. A valid answer
// is stored (and cached by content, type, model and prompt version); a
// retried activity after a stored success, or a cached answer younger than
// CacheTTL, is returned without calling the model. Failures come back as
// the llm package's classified errors, so the tier's retry policy retries
// what is transient and the chain moves on from what is not. Every call is
// recorded in the attempts log with its tokens, cost and latency.
func (a *Activities) ExtractLLM(ctx context.Context, in ExtractInput) (*ExtractOutput, error) {
	if a.LLM == nil {
		return nil, temporal.NewNonRetryableApplicationError("no LLM is configured", "NotConfigured", nil)
	}
	if out, ok, err := a.reuse(ctx, in); ok || err != nil {
		return out, err
	}
	docType, err := schema.ParseDocType(in.DocType)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "BadInput", err)
	}
	started := time.Now()
	attempt := &store.Attempt{DocumentID: in.DocumentID, Tier: in.Tier.Name, Model: in.Tier.Model,
		Attempt: int(activity.GetInfo(ctx).Attempt), StartedAt: started}
	key := store.CacheKey{DocumentID: in.DocumentID, DocType: in.DocType, Model: in.Tier.Model, PromptVersion: llm.PromptVersion}

	raw, answeredBy, err := a.Store.CachedAnswer(ctx, key, a.CacheTTL)
	cached := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if !cached {
		text, err := a.Store.Text(ctx, in.DocumentID)
		if err != nil {
			return nil, storeError(err)
		}
		resp, err := a.callModel(ctx, llm.Request{Model: in.Tier.Model, DocType: docType, Text: text, Seed: llmSeed})
		attempt.Latency = time.Since(started)
		attempt.PromptTokens, attempt.CompletionTokens = resp.Usage.PromptTokens, resp.Usage.CompletionTokens
		attempt.CostUSD = resp.CostUSD
		if err != nil {
			attempt.Outcome, attempt.ErrorClass, attempt.ErrorMessage = store.OutcomeError, llm.ErrorClass(err), err.Error()
			if attempt.ErrorClass == llm.ErrTypeInvalidOutput {
				attempt.Outcome = store.OutcomeInvalid
			}
			if rerr := a.Store.RecordAttempt(context.WithoutCancel(ctx), attempt); rerr != nil {
				activity.GetLogger(ctx).Error("attempt not recorded", "error", rerr)
			}
			return nil, err
		}
		raw, answeredBy = resp.Raw, resp.Model
		if err := a.Store.CacheAnswer(ctx, key, raw, answeredBy); err != nil {
			return nil, err
		}
	} else {
		attempt.Latency = time.Since(started)
		attempt.ErrorMessage = "answer reused from the cache (" + llm.PromptVersion + ")"
	}
	attempt.Outcome = store.OutcomeSuccess
	fields, err := schema.Validate(docType, raw)
	if err != nil {
		return nil, err // a cached answer is validated when stored; this is a bug, not a tier failure
	}
	if _, err := a.Store.SaveExtraction(ctx, &store.Extraction{
		DocumentID: in.DocumentID, Tier: in.Tier.Name, Model: answeredBy, DocType: in.DocType,
		Fields: raw, Overall: 1, Valid: true,
	}); err != nil {
		return nil, err
	}
	if err := a.Store.RecordAttempt(ctx, attempt); err != nil {
		return nil, err
	}
	return &ExtractOutput{Valid: true, Overall: 1, Issuer: fields.Issuer, Model: answeredBy, Reused: cached}, nil
}

// llmSeed makes sampling repeatable where the provider supports seeds.
const llmSeed = 7

// callModel calls the model while heartbeating, so a hung call is noticed
// by the heartbeat timeout instead of the start-to-close timeout.
func (a *Activities) callModel(ctx context.Context, req llm.Request) (*llm.Response, error) {
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				activity.RecordHeartbeat(ctx, "waiting for "+req.Model)
			}
		}
	}()
	return a.LLM.Extract(ctx, req)
}
