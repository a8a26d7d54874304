package activities

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/images"
)

// Model is what the LLM tiers need of a model client; *llm.Client is one.
type Model interface {
	Do(ctx context.Context, req llm.Request) (*llm.Response, error)
}

// ExtractLLM asks the tier's model for the document's fields. A valid answer
// is stored (and cached by content, type, model and prompt version); a
// retried activity after a stored success, or a cached answer younger than
// CacheTTL, is returned without calling the model. Failures come back as
// the llm package's classified errors, so the tier's retry policy retries
// what is transient (after a jittered delay, see llm.Jitter) and the chain
// moves on from what is not. Every call is
// recorded in the attempts log with its tokens, cost and latency.
func (a *Activities) ExtractLLM(ctx context.Context, in ExtractInput) (_ *ExtractOutput, err error) {
	defer func() { err = storeError(err) }()
	if out, ok, err := a.reuse(ctx, in); ok || err != nil {
		return out, err
	}
	docType, err := schema.ParseDocType(in.DocType)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "BadInput", err)
	}
	raw, answeredBy, cached, err := a.ask(ctx, schema.TaskExtract, docType, in.DocumentID, in.Tier)
	if err != nil {
		return nil, err
	}
	fields, err := schema.Validate(docType, raw)
	if err != nil {
		return nil, err // answers are validated before they are cached; this is a bug, not a tier failure
	}
	if _, err := a.Store.SaveExtraction(ctx, &store.Extraction{
		DocumentID: in.DocumentID, Tier: in.Tier.Name, Model: answeredBy, DocType: in.DocType,
		Fields: raw, Overall: 1, Valid: true,
	}); err != nil {
		return nil, err
	}
	return &ExtractOutput{Valid: true, Overall: 1, Issuer: fields.Issuer, Model: answeredBy, Reused: cached}, nil
}

// TaskInput names a document, an optional task and the LLM tier to run it on.
type TaskInput struct {
	DocumentID string      `json:"document_id"`
	DocType    string      `json:"doc_type"`
	Task       schema.Task `json:"task"`
	Tier       router.Tier `json:"tier"`
}

// TaskOutput is a task's validated output: a classification or a summary,
// small enough for workflow history.
type TaskOutput struct {
	Output   json.RawMessage `json:"output"`
	Model    string          `json:"model,omitempty"`
	Fallback bool            `json:"fallback,omitempty"`
}

// RunTask runs an optional task (classify, summarize) on the tier's model and
// stores its output; a classification also sets the document's type.
// Caching, retries and the attempts log work as for ExtractLLM.
func (a *Activities) RunTask(ctx context.Context, in TaskInput) (_ *TaskOutput, err error) {
	defer func() { err = storeError(err) }()
	docType, err := schema.ParseDocType(in.DocType)
	if err != nil {
		docType = schema.Other
	}
	raw, answeredBy, _, err := a.ask(ctx, in.Task, docType, in.DocumentID, in.Tier)
	if err != nil {
		return nil, err
	}
	if err := a.Store.SaveTaskResult(ctx, &store.TaskResult{DocumentID: in.DocumentID, Task: string(in.Task),
		Output: raw, Tier: in.Tier.Name, Model: answeredBy}); err != nil {
		return nil, err
	}
	return &TaskOutput{Output: raw, Model: answeredBy}, nil
}

// SaveFallback stores the predefined fallback result of a task whose caller
// opted in to one instead of review, marked as a fallback.
func (a *Activities) SaveFallback(ctx context.Context, in TaskInput) (*TaskOutput, error) {
	raw, err := schema.Fallback(in.Task)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "BadInput", err)
	}
	if err := a.Store.SaveTaskResult(ctx, &store.TaskResult{DocumentID: in.DocumentID, Task: string(in.Task),
		Output: raw, Tier: "fallback", Fallback: true}); err != nil {
		return nil, err
	}
	return &TaskOutput{Output: raw, Fallback: true}, nil
}

// ask runs a task on the tier's model — or takes a cached answer younger
// than CacheTTL — and records the attempt. It returns the validated output,
// the model name the API reported, and whether the answer came from the
// cache.
func (a *Activities) ask(ctx context.Context, task schema.Task, docType schema.DocType, docID string, tier router.Tier) (json.RawMessage, string, bool, error) {
	if a.LLM == nil {
		return nil, "", false, temporal.NewNonRetryableApplicationError("no LLM is configured", "NotConfigured", nil)
	}
	started := time.Now()
	attempt := &store.Attempt{DocumentID: docID, Task: string(task), Tier: tier.Name, Model: tier.Model,
		Attempt: int(activity.GetInfo(ctx).Attempt), StartedAt: started, Outcome: store.OutcomeSuccess}
	key := store.CacheKey{DocumentID: docID, DocType: task.Name(docType), Model: tier.Model, PromptVersion: llm.PromptVersion}

	raw, answeredBy, err := a.Store.CachedAnswer(ctx, key, a.CacheTTL)
	cached := err == nil
	switch {
	case cached:
		attempt.ErrorMessage = "answer reused from the cache (prompt " + llm.PromptVersion + ")"
	case !errors.Is(err, store.ErrNotFound):
		return nil, "", false, err
	default:
		info, err := a.Store.TextInfo(ctx, docID)
		if err != nil {
			return nil, "", false, storeError(err)
		}
		text := info.Text
		pages, err := a.pageImages(ctx, docID, tier.Model, info)
		if err != nil {
			return nil, "", false, err
		}
		attempt.TextSource, attempt.PageImages = info.Source, len(pages)
		switch {
		case len(pages) > 0 && info.Source == string(parsers.SourceVision):
			attempt.ErrorMessage = fmt.Sprintf("read from %d page image(s) alone: the document has no text", len(pages))
		case len(pages) > 0:
			attempt.ErrorMessage = fmt.Sprintf("read from %d page image(s) with the OCR text (mean confidence %.0f)", len(pages), info.OCRConfidence)
		}
		if err := a.checkBudget(ctx, docID, tier.Model, text, pages...); err != nil {
			attempt.Outcome, attempt.ErrorClass, attempt.ErrorMessage = store.OutcomeError, ErrTypeOverBudget, err.Error()
			if rerr := a.record(ctx, attempt); rerr != nil {
				return nil, "", false, rerr
			}
			return nil, "", false, err
		}
		resp, err := a.callModel(ctx, llm.Request{Task: task, Model: tier.Model, DocType: docType, Text: text, Seed: llmSeed, Images: pages})
		a.Metrics.RateLimitWait(ctx, tier.Model, resp.Waited)
		attempt.PromptTokens, attempt.CompletionTokens = resp.Usage.PromptTokens, resp.Usage.CompletionTokens
		attempt.CostUSD = resp.CostUSD
		if err != nil {
			attempt.Latency = time.Since(started)
			attempt.Outcome, attempt.ErrorClass, attempt.ErrorMessage = store.OutcomeError, llm.ErrorClass(err), err.Error()
			if attempt.ErrorClass == llm.ErrTypeInvalidOutput {
				attempt.Outcome = store.OutcomeInvalid
			}
			a.record(context.WithoutCancel(ctx), attempt)
			return nil, "", false, llm.Jitter(err, attempt.Attempt, tier.Retry, rand.Float64())
		}
		raw, answeredBy = resp.Raw, resp.Model
		if err := a.Store.CacheAnswer(ctx, key, raw, answeredBy); err != nil {
			// The call was made (and paid for): it is recorded even
			// though its answer is lost.
			attempt.Latency = time.Since(started)
			attempt.Outcome, attempt.ErrorClass, attempt.ErrorMessage = store.OutcomeError, ErrTypeInfrastructure,
				"answer lost: not stored"
			a.record(context.WithoutCancel(ctx), attempt)
			return nil, "", false, err
		}
	}
	attempt.Latency = time.Since(started)
	if err := a.record(ctx, attempt); err != nil {
		return nil, "", false, err
	}
	return raw, answeredBy, cached, nil
}

// record appends an attempt to the attempts log, after the attempts that
// earlier calls could not record while Postgres was unavailable. An attempt
// that cannot be recorded for that reason is kept in memory and recorded
// with the next one, so an outage of the database does not hide model
// calls that were made.
func (a *Activities) record(ctx context.Context, at *store.Attempt) error {
	a.observe(ctx, at)
	a.unrecordedMu.Lock()
	waiting := append(a.unrecorded, at)
	a.unrecorded = nil
	a.unrecordedMu.Unlock()
	var keep []*store.Attempt
	var err error
	for _, w := range waiting {
		if err = a.Store.RecordAttempt(ctx, w); store.Unavailable(err) {
			keep = append(keep, w)
		}
	}
	if len(keep) > 0 {
		a.unrecordedMu.Lock()
		a.unrecorded = append(keep, a.unrecorded...)
		a.unrecordedMu.Unlock()
	}
	if err != nil {
		activity.GetLogger(ctx).Error("attempt not recorded", "error", err)
	}
	return err
}

// Budget caps what the models may cost per document, over the whole chain:
// every attempt, retry and repair already made counts, and a call whose
// estimate would pass the cap is not made.
type Budget struct {
	USD float64 // 0: no cap
	// Prices price the estimates, by model (llm.DefaultPrices with the
	// configured ones).
	Prices map[string]llm.Price
}

// ErrTypeOverBudget is the error type when the document's model budget has no room for the call.
// Not retryable: the chain moves on to cheaper tiers.
const ErrTypeOverBudget = "OverBudget"

// checkBudget refuses a call to model on text when what the document's
// attempts cost so far plus the call's estimate passes the budget.
func (a *Activities) checkBudget(ctx context.Context, docID, model, text string, pages ...llm.Image) error {
	if a.Budget.USD <= 0 {
		return nil
	}
	spent, err := a.Store.DocumentCost(ctx, docID)
	if err != nil {
		return storeError(err)
	}
	est := llm.EstimateCost(a.Budget.Prices[model], text, pages...)
	if spent+est <= a.Budget.USD {
		return nil
	}
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: estimated $%.4f on top of $%.4f spent passes the budget of $%.4f per document",
		model, est, spent, a.Budget.USD), ErrTypeOverBudget, nil)
}

// Vision says when the LLM tiers see a scan's page images.
type Vision struct {
	// Models are the vision-capable models, by name.
	Models map[string]bool
	// Below sends the page images of documents read by OCR with a mean
	// word confidence below it (0-100); 0 never sends them.
	Below float64
	// MaxPages bounds the images of one request. Default 4.
	MaxPages int
}

// ErrTypeNeedsVision is a tier's failure on a document that has no text,
// only page images (parsers.SourceVision), when its model cannot see
// images: non-retryable, so the chain moves on.
const ErrTypeNeedsVision = "NeedsVision"

// pageImages returns the page images a request to model should carry: for
// a document read by OCR with low confidence, or with no text at all
// (parsers.SourceVision), when model sees images; nil otherwise. A model
// that cannot see images fails on a document without text
// (ErrTypeNeedsVision). Images are scaled down to images.MaxModelSide.
func (a *Activities) pageImages(ctx context.Context, docID, model string, info store.TextInfo) ([]llm.Image, error) {
	switch {
	case info.Source == string(parsers.SourceVision) && !a.Vision.Models[model]:
		return nil, temporal.NewNonRetryableApplicationError(
			model+" does not read images, and the document has no text (no text layer, no OCR)", ErrTypeNeedsVision, nil)
	case info.Source == string(parsers.SourceVision):
	case info.Source != string(parsers.SourceOCR) || info.OCRConfidence >= a.Vision.Below || !a.Vision.Models[model]:
		return nil, nil
	}
	doc, err := a.Store.Content(ctx, docID)
	if err != nil {
		return nil, storeError(err)
	}
	pages, err := a.documentPages(ctx, doc)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("page images: "+err.Error(), ErrTypeParse, err)
	}
	var out []llm.Image
	for _, p := range pages[:min(len(pages), cmp.Or(a.Vision.MaxPages, 4))] {
		scaled, err := images.ForModel(p, images.MaxModelSide, a.Limits.WithDefaults().MaxPixels)
		if err != nil {
			return nil, temporal.NewNonRetryableApplicationError("page images: "+err.Error(), ErrTypeParse, err)
		}
		out = append(out, llm.Image{MediaType: scaled.MediaType, Data: scaled.Data, Width: scaled.Width, Height: scaled.Height})
	}
	return out, nil
}

// documentPages returns the page images of a PNG or JPEG file (checked,
// not decoded) or of an image-only PDF, within a.Limits.
func (a *Activities) documentPages(ctx context.Context, doc *store.Document) ([]images.Page, error) {
	lim := a.Limits.WithDefaults()
	if doc.MediaType == parsers.MediaPDF {
		return images.FromPDF(ctx, doc.Content, lim)
	}
	p, err := images.Check(doc.Content, lim.MaxPixels)
	p.Data = doc.Content
	return []images.Page{p}, err
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
	return a.LLM.Do(ctx, req)
}
