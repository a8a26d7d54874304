// Package activities holds DataForge's Temporal activities: parse, route,
// extract (one per tier kind), review and persist. They are methods of one
// struct that carries their dependencies, registered once on the worker.
package activities

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/dataforge/dataforge/einvoice"
	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/metrics"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/templates"
)

// Error types of activity failures the workflow acts on.
const (
	// ErrTypeParse: the document cannot be read (details: the parsers.Code).
	// Not retryable; the document goes to review with that reason.
	ErrTypeParse = "ParseFailed"
	// ErrTypeNotFound: the document is not in Postgres. Not retryable.
	ErrTypeNotFound = "DocumentNotFound"
	// ErrTypeInfrastructure: our own infrastructure failed (Postgres
	// unreachable, timing out, its pool closed). Retryable; a tier that
	// fails for good with it is run again by the workflow, never counted as
	// the tier's failure.
	ErrTypeInfrastructure = "Infrastructure"
)

// Activities carries what the activities need.
type Activities struct {
	Store  *store.Store
	Limits parsers.Limits
	// Parser parses documents; the worker passes a sandbox's (a child
	// process with a memory ceiling). Nil means parsers.Parse, in-process.
	Parser parsers.ParseFunc
	Router router.Config
	// ReviewSLA is the review SLA of items whose workflow does not pass one
	// (started before the SLA was carried in the activities' input).
	ReviewSLA time.Duration
	// Templates are the issuer templates of the rules tier; nil for none.
	Templates *templates.Set
	// LLM answers the llm tiers; nil when no model is configured.
	LLM Model
	// CacheTTL is how long a validated LLM answer is reused for the same
	// content, type, model and prompt version.
	CacheTTL time.Duration
	// Budget caps the models' cost per document.
	Budget Budget
	// Vision says when the LLM tiers see a scan's page images.
	Vision Vision
	// Metrics records attempts and settled documents; nil records nothing.
	Metrics *metrics.Metrics

	// unrecorded holds model attempts made while Postgres was unavailable,
	// recorded with the next attempt.
	unrecordedMu sync.Mutex
	unrecorded   []*store.Attempt

	// evidence is learned routing's read of the attempts log, reused for
	// evidenceTTL.
	evidenceMu sync.Mutex
	evidence   router.Evidence
	evidenceAt time.Time
}

// ParseInput names the document to parse.
type ParseInput struct {
	DocumentID string `json:"document_id"`
	// Reprocess drops earlier runs' candidate results.
	Reprocess bool `json:"reprocess,omitempty"`
}

// ParseOutput summarises the parsed document; the text stays in Postgres.
type ParseOutput struct {
	Name       string  `json:"name"`
	DocType    string  `json:"doc_type"`
	Confidence float64 `json:"type_confidence"`
	Complexity float64 `json:"complexity"`
	Pages      int     `json:"pages"`
	Chars      int     `json:"chars"`
	// EInvoice says the document carries EN 16931 XML (stored in Postgres
	// for the einvoice tier); EInvoiceProfile names its syntax and profile
	// when the XML could be read.
	EInvoice        bool   `json:"einvoice,omitempty"`
	EInvoiceProfile string `json:"einvoice_profile,omitempty"`
	// TextSource says where the text came from (text_layer, ocr, file,
	// einvoice); OCRConfidence is the mean word confidence of OCR, 0-100.
	TextSource    string  `json:"text_source,omitempty"`
	OCRConfidence float64 `json:"ocr_confidence,omitempty"`
}

// Parse reads the document's bytes, extracts its text, classifies it and
// stores text and classification. Unreadable documents fail with a
// non-retryable ErrTypeParse error carrying the parsers.Code.
func (a *Activities) Parse(ctx context.Context, in ParseInput) (*ParseOutput, error) {
	if err := a.Store.StartProcessing(ctx, in.DocumentID, in.Reprocess); err != nil {
		return nil, storeError(err)
	}
	doc, err := a.Store.Content(ctx, in.DocumentID)
	if err != nil {
		return nil, storeError(err)
	}
	parse := a.Parser
	if parse == nil {
		parse = parsers.Parse
	}
	parsed, err := parse(ctx, doc.Content, doc.MediaType, a.Limits)
	if pages := a.visionOnly(ctx, doc, err); pages > 0 {
		parsed, err = &parsers.Document{MediaType: doc.MediaType, Source: parsers.SourceVision, Pages: pages}, nil
	}
	if err != nil {
		if code, ok := parsers.CodeOf(err); ok {
			return nil, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("%s: %v", doc.Name, err), ErrTypeParse, err, string(code))
		}
		return nil, err
	}
	cls := a.Templates.Classify(parsed.Text)
	out := &ParseOutput{Name: doc.Name, Pages: parsed.Pages, Chars: len(parsed.Text), EInvoice: parsed.EInvoice != nil,
		TextSource: string(parsed.Source), OCRConfidence: parsed.OCRConfidence}
	if out.EInvoice {
		if err := a.Store.SaveEInvoice(ctx, doc.ID, parsed.EInvoiceName, parsed.EInvoice); err != nil {
			return nil, err
		}
		if inv, err := einvoice.Read(parsed.EInvoice); err == nil {
			// The XML says what the document is.
			cls.Type, cls.Confidence = schema.Invoice, 1
			out.EInvoiceProfile = inv.Label()
		}
	}
	if err := a.Store.SaveText(ctx, doc.ID, store.TextInfo{Text: parsed.Text, Pages: parsed.Pages,
		Source: string(parsed.Source), OCRConfidence: parsed.OCRConfidence}, string(cls.Type), cls); err != nil {
		return nil, err
	}
	out.DocType, out.Confidence, out.Complexity = string(cls.Type), cls.Confidence, cls.Complexity
	return out, nil
}

// visionOnly returns the number of pages of a document that parsing found
// without text (no text layer, or no OCR to read its images: err) and that
// goes on to the tiers with no text, for vision models to read its page
// images (parsers.SourceVision): when models are configured, some of them
// see images, and the page images can be taken out. Otherwise it returns 0
// and parsing's failure stands.
func (a *Activities) visionOnly(ctx context.Context, doc *store.Document, err error) int {
	code, _ := parsers.CodeOf(err)
	if code != parsers.CodeNoText && code != parsers.CodeOCRUnavailable || len(a.Vision.Models) == 0 || a.LLM == nil {
		return 0
	}
	pages, perr := a.documentPages(ctx, doc)
	if perr != nil || len(pages) == 0 {
		return 0
	}
	activity.GetLogger(ctx).Info("no text to read: the LLM tiers read the page images", "document", doc.Name, "pages", len(pages), "parse", err.Error())
	return pages[len(pages)-1].Number
}

// Route plans a document: whether to classify it with the LLM tiers, and
// its tier chain. It runs as an activity so that routing may read
// configuration and live load without breaking replay.
func (a *Activities) Route(ctx context.Context, in router.Input) (router.Plan, error) {
	var health map[string]router.Health
	if a.Router.Breaker.FailureRate > 0 || a.Router.Load != nil {
		var err error
		if health, err = modelHealth(ctx, a.Store); err != nil {
			return router.Plan{}, storeError(err)
		}
	}
	var ev router.Evidence
	if a.Router.Learned != nil {
		var err error
		if ev, err = a.learnedEvidence(ctx); err != nil {
			return router.Plan{}, storeError(err)
		}
	}
	plan := router.RouteLearned(a.Router, in, health, ev)
	if plan.Reason != "" {
		activity.GetLogger(ctx).Debug("tiers ordered", "class", plan.Class, "doc_type", in.DocType, "reason", plan.Reason)
	}
	for _, s := range plan.Skipped {
		activity.GetLogger(ctx).Warn("tier skipped", "tier", s.Tier, "model", s.Model, "reason", s.Reason)
	}
	return plan, nil
}

// evidenceTTL is how long Route reuses learned routing's evidence: one
// grouped query per worker a minute, not one per document (a week of
// 40,000 attempts takes about 0.2 s: BenchmarkModelOutcomes); a week's
// evidence moves little in a minute.
const evidenceTTL = time.Minute

// learnedEvidence returns LearnedEvidence, read at most every evidenceTTL.
func (a *Activities) learnedEvidence(ctx context.Context) (router.Evidence, error) {
	a.evidenceMu.Lock()
	defer a.evidenceMu.Unlock()
	if a.evidence != nil && time.Since(a.evidenceAt) < evidenceTTL {
		return a.evidence, nil
	}
	ev, err := LearnedEvidence(ctx, a.Store, a.Router)
	if err != nil {
		return nil, err
	}
	a.evidence, a.evidenceAt = ev, time.Now()
	return ev, nil
}

// DocumentFailures are the error classes of an extraction attempt that say
// the model could not read the document (rather than that the provider
// failed): learned routing counts them, with invalid and unsure answers, as
// the model's failures on the document.
var DocumentFailures = []string{llm.ErrTypeInvalidOutput, llm.ErrTypeContextLength, llm.ErrTypeContentFilter,
	llm.ErrTypeTruncated, ErrTypeNeedsVision}

// LearnedEvidence reads what the attempts log of cfg.Learned's window says
// of each model on each kind of document (class by cfg's bounds, type).
func LearnedEvidence(ctx context.Context, st *store.Store, cfg router.Config) (router.Evidence, error) {
	learned := router.DefaultLearned
	if cfg.Learned != nil {
		learned = *cfg.Learned
	}
	rows, err := st.ModelOutcomes(ctx, learned.WindowOrDefault(), cfg.ClassBounds(), DocumentFailures)
	if err != nil {
		return nil, err
	}
	ev := router.Evidence{}
	for _, r := range rows {
		ev[router.Key{Model: r.Model, Class: router.Classes[r.Band], DocType: r.DocType}] = router.Record{
			Documents: r.Documents, Successes: r.Successes, CostUSD: r.CostUSD}
	}
	return ev, nil
}

// ReplayRouting replays the documents submitted since since through three
// policies built on cfg's models: fixed (every document starts on the
// primary), capability (cfg's classes) and learned (cfg.Learned, else
// router.DefaultLearned), as router.ReplayPolicies does.
func ReplayRouting(ctx context.Context, st *store.Store, cfg router.Config, since time.Time) (router.Replay, error) {
	docs, err := st.DocumentOutcomes(ctx, since, DocumentFailures)
	if err != nil {
		return router.Replay{}, err
	}
	recorded := make([]router.Recorded, len(docs))
	for i, d := range docs {
		r := router.Recorded{Input: router.Input{DocType: d.DocType, Complexity: d.Complexity, EInvoice: d.EInvoice},
			Tiers: map[string]router.RecordedTier{}}
		for _, t := range d.Tiers {
			switch {
			case t.Succeeded:
				r.Tiers[cmp.Or(t.Model, t.Tier)] = router.RecordedTier{Outcome: router.OutcomeSuccess, CostUSD: t.CostUSD}
			case t.Failed:
				r.Tiers[cmp.Or(t.Model, t.Tier)] = router.RecordedTier{Outcome: router.OutcomeFailure, CostUSD: t.CostUSD}
			}
		}
		recorded[i] = r
	}
	fixed, capability, learned := cfg, cfg, cfg
	fixed.Capability, fixed.Learned = false, nil
	capability.Capability, capability.Learned = true, nil
	learned.Capability = true
	if learned.Learned == nil {
		learned.Learned = &router.DefaultLearned
	}
	return router.ReplayPolicies([]router.Policy{{Name: "fixed", Config: fixed}, {Name: "capability", Config: capability},
		{Name: "learned", Config: learned}}, recorded), nil
}

// modelHealth reads each model's health over the last BreakerWindow from
// the attempts log every worker writes.
func modelHealth(ctx context.Context, st *store.Store) (map[string]router.Health, error) {
	h, err := st.ModelHealth(ctx, BreakerWindow, llm.ProviderFailures, llm.ErrTypeRateLimitWait)
	if err != nil {
		return nil, err
	}
	health := make(map[string]router.Health, len(h))
	for model, mh := range h {
		health[model] = router.Health{Attempts: mh.Attempts, Failures: mh.Failures, Waits: mh.Waits,
			SinceLast: mh.SinceLast, LastFailed: mh.LastFailed, Latency: mh.Latency}
	}
	return health, nil
}

// BreakerStatus is a model's circuit breaker as the attempts log shows it.
type BreakerStatus struct {
	State    string `json:"state"` // closed, open or half_open
	Attempts int    `json:"attempts"`
	Failures int    `json:"failures"` // for the provider's reasons
}

// Breakers reports each model's circuit breaker now, judged by b, for the
// models with attempts in the last BreakerWindow.
func Breakers(ctx context.Context, st *store.Store, b router.Breaker) (map[string]BreakerStatus, error) {
	health, err := modelHealth(ctx, st)
	if err != nil {
		return nil, err
	}
	out := make(map[string]BreakerStatus, len(health))
	for model, h := range health {
		out[model] = BreakerStatus{State: router.BreakerState(b, h), Attempts: h.Attempts, Failures: h.Failures}
	}
	return out, nil
}

// BreakerWindow is how far back the circuit breakers read the attempts log.
const BreakerWindow = 5 * time.Minute

// ExtractInput names the document and the tier to run.
type ExtractInput struct {
	DocumentID string `json:"document_id"`
	DocType    string `json:"doc_type"`
	// TypeConfidence is how sure the classification of DocType is.
	TypeConfidence float64     `json:"type_confidence"`
	Tier           router.Tier `json:"tier"`
}

// ExtractOutput is a tier's verdict. A tier that produced no usable result
// says why in Code and Detail; the fields themselves stay in Postgres.
type ExtractOutput struct {
	Valid   bool    `json:"valid"`
	Overall float64 `json:"confidence"`
	Code    string  `json:"code,omitempty"`
	Detail  string  `json:"detail,omitempty"`
	Issuer  string  `json:"issuer,omitempty"`
	Model   string  `json:"model,omitempty"`
	// Reused is set when an earlier attempt's valid result was returned
	// instead of doing the work again.
	Reused bool `json:"reused,omitempty"`
}

// ExtractRules runs the rule-based extractor, with the issuer template that
// matches the document if there is one. A result that fails validation
// or falls below parsers.ConfidenceThreshold is stored as partial fields for
// review and reported as not valid.
func (a *Activities) ExtractRules(ctx context.Context, in ExtractInput) (_ *ExtractOutput, err error) {
	defer func() { err = storeError(err) }()
	if out, ok, err := a.reuse(ctx, in); ok || err != nil {
		return out, err
	}
	started := time.Now()
	docType, err := schema.ParseDocType(in.DocType)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "BadInput", err)
	}
	info, err := a.Store.TextInfo(ctx, in.DocumentID)
	if err != nil {
		return nil, storeError(err)
	}
	ex := a.Templates.Extract(info.Text, docType)
	if len(ex.TemplateProblems) > 0 {
		activity.GetLogger(ctx).Warn("issuer template did not read every field; the rules filled in",
			"template", ex.Template, "problems", ex.TemplateProblems)
	}
	raw, err := json.Marshal(ex.Fields)
	if err != nil {
		return nil, err
	}
	v := parsers.Judge(ex, docType, in.TypeConfidence)
	if v.OK && info.Source == string(parsers.SourceOCR) && info.OCRConfidence < RulesOCRBelow {
		// A doubtful scan is not trusted to the rules: the next tiers (a
		// vision model, or a person) read it.
		v.OK, v.Code = false, parsers.CodeLowConfidence
		v.Detail = fmt.Sprintf("read by OCR with a mean word confidence of %.0f, below %.0f", info.OCRConfidence, RulesOCRBelow)
		ex.Overall = min(ex.Overall, info.OCRConfidence/100)
	}
	out := &ExtractOutput{Valid: v.OK, Overall: ex.Overall, Issuer: ex.Fields.Issuer, Code: string(v.Code), Detail: v.Detail}
	outcome := store.OutcomeSuccess
	switch v.Code {
	case parsers.CodeInvalidFields:
		outcome = store.OutcomeInvalid
	case parsers.CodeLowConfidence:
		outcome = store.OutcomeLowConfidence
	}
	if ex.Template != "" {
		out.Model = "template " + ex.Template
	}
	if err := a.settle(ctx, in, out, &store.Extraction{Fields: raw, Confidence: ex.Confidence, Problems: v.Problems},
		outcome, info.Source, started); err != nil {
		return nil, err
	}
	return out, nil
}

// RulesOCRBelow is the OCR mean word confidence (0-100) below which the
// rules tier does not accept what it read from a scan.
const RulesOCRBelow = 70.0

// settle ends a tier that calls no model (rules, einvoice): it stores what
// the tier read, if anything (ex: fields, confidence and problems; the rest
// comes from in and out), and records the tier's one attempt, which read
// text from source (a parsers.Source).
func (a *Activities) settle(ctx context.Context, in ExtractInput, out *ExtractOutput, ex *store.Extraction,
	outcome, source string, started time.Time) error {
	if ex != nil {
		ex.DocumentID, ex.Tier, ex.Model, ex.DocType = in.DocumentID, in.Tier.Name, out.Model, in.DocType
		ex.Overall, ex.Valid = out.Overall, out.Valid
		if _, err := a.Store.SaveExtraction(ctx, ex); err != nil {
			return err
		}
	}
	at := &store.Attempt{
		DocumentID: in.DocumentID, Tier: in.Tier.Name, Model: out.Model, Attempt: int(activity.GetInfo(ctx).Attempt),
		Outcome: outcome, ErrorClass: out.Code, ErrorMessage: out.Detail,
		Latency: time.Since(started), StartedAt: started, TextSource: source,
	}
	if err := a.Store.RecordAttempt(ctx, at); err != nil {
		return err
	}
	a.observe(ctx, at)
	return nil
}

// observe records an attempt in the metrics.
func (a *Activities) observe(ctx context.Context, at *store.Attempt) {
	a.Metrics.Attempt(ctx, metrics.Attempt{Task: cmp.Or(at.Task, "extract"), Tier: at.Tier, Model: at.Model,
		Outcome: at.Outcome, ErrorClass: at.ErrorClass, Latency: at.Latency,
		PromptTokens: at.PromptTokens, CompletionTokens: at.CompletionTokens, CostUSD: at.CostUSD})
}

// reuse returns the valid result an earlier attempt of this tier stored, so
// a retried activity does not do (or pay for) the work twice.
func (a *Activities) reuse(ctx context.Context, in ExtractInput) (*ExtractOutput, bool, error) {
	prev, err := a.Store.Extraction(ctx, in.DocumentID, in.Tier.Name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !prev.Valid) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var f schema.Fields
	_ = json.Unmarshal(prev.Fields, &f)
	return &ExtractOutput{Valid: true, Overall: prev.Overall, Issuer: f.Issuer, Model: prev.Model, Reused: true}, true, nil
}

// CompleteInput names the tier whose stored result becomes final.
type CompleteInput struct {
	DocumentID string `json:"document_id"`
	DocType    string `json:"doc_type"`
	Tier       string `json:"tier"`
}

// Complete makes a tier's stored valid result the document's final result.
func (a *Activities) Complete(ctx context.Context, in CompleteInput) error {
	ex, err := a.Store.Extraction(ctx, in.DocumentID, in.Tier)
	if err != nil {
		return storeError(err)
	}
	if !ex.Valid {
		return temporal.NewNonRetryableApplicationError("tier "+in.Tier+" has no valid result", "BadInput", nil)
	}
	if err := a.Store.Complete(ctx, &store.Result{
		DocumentID: in.DocumentID, DocType: in.DocType, Fields: ex.Fields,
		Confidence: ex.Confidence, Tier: in.Tier, Model: ex.Model,
	}); err != nil {
		return err
	}
	a.Metrics.Document(ctx, "completed", in.Tier)
	return nil
}

// storeError classifies a failure of the store: a missing row is not
// retryable (ErrTypeNotFound), Postgres unavailable is ErrTypeInfrastructure
// (retryable); application errors and other errors pass unchanged.
func storeError(err error) error {
	var appErr *temporal.ApplicationError
	switch {
	case err == nil || errors.As(err, &appErr):
		return err
	case errors.Is(err, store.ErrNotFound):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeNotFound, err)
	case store.Unavailable(err):
		return temporal.NewApplicationErrorWithCause("postgres unavailable: "+err.Error(), ErrTypeInfrastructure, err)
	}
	return err
}
