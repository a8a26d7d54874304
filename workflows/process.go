// Package workflows holds ProcessDocument, the durable path of one document:
// parse, route, walk the tier chain, wait for review when no automated tier
// succeeds, persist. Workflow code is deterministic; everything that touches
// the outside world runs in activities.
package workflows

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers"
)

// TaskQueue is the default task queue of DataForge workers.
const TaskQueue = "dataforge"

// Names of the workflow's query and updates.
const (
	QueryState    = "state"
	UpdateReview  = "review"
	UpdateRedrive = "redrive"
)

// DefaultReviewSLA is the review SLA of documents submitted without one.
const DefaultReviewSLA = 24 * time.Hour

// WorkflowID is the one place workflow ids are made: the same content always
// maps to the same workflow.
func WorkflowID(documentID string) string { return "doc-" + documentID }

// Input starts ProcessDocument.
type Input struct {
	DocumentID string `json:"document_id"`
	Name       string `json:"name"`
	// Reprocess runs every tier again instead of reusing stored results.
	Reprocess bool `json:"reprocess,omitempty"`
	// ReviewSLA is how long review may wait before the item is escalated
	// (repeatedly, each period); it also sets the item's due time.
	// Default DefaultReviewSLA.
	ReviewSLA time.Duration `json:"review_sla,omitempty"`
	// Summarize asks the LLM tiers for a short summary of the document.
	Summarize bool `json:"summarize,omitempty"`
	// Fallbacks lists the optional tasks (classify, summarize) whose
	// predefined fallback result the caller accepts when every tier fails,
	// instead of sending the document to review.
	Fallbacks []schema.Task `json:"fallbacks,omitempty"`
}

// Result is the document's terminal state; the fields are in Postgres.
type Result struct {
	DocumentID string          `json:"document_id"`
	Status     dftype.Status   `json:"status"`
	DocType    string          `json:"doc_type"`
	Tier       string          `json:"tier,omitempty"`
	Model      string          `json:"model,omitempty"`
	Reviewer   string          `json:"reviewer,omitempty"`
	Reasons    []dftype.Reason `json:"reasons,omitempty"`
	// Fallbacks lists the tasks whose result is the predefined fallback.
	Fallbacks []string `json:"fallbacks,omitempty"`
	// Route says how the document was routed: its class and why its LLM
	// tiers came in their order (see routeNote).
	Route string `json:"route,omitempty"`
}

// State is what the state query returns while the workflow runs.
type State struct {
	Step        string          `json:"step"`
	DocType     string          `json:"doc_type,omitempty"`
	Tier        string          `json:"tier,omitempty"`
	TiersTried  int             `json:"tiers_tried"`
	LastFailure string          `json:"last_failure,omitempty"`
	Reasons     []dftype.Reason `json:"reasons,omitempty"`
	ReviewItem  int64           `json:"review_item,omitempty"`
	Route       string          `json:"route,omitempty"`
}

// ReviewDecision is the payload of the review update: Fields to complete the
// document (of DocType, when the reviewer corrects the type), or Reject
// with a Reason.
type ReviewDecision struct {
	Reviewer string         `json:"reviewer"`
	Fields   *schema.Fields `json:"fields,omitempty"`
	DocType  string         `json:"doc_type,omitempty"`
	Reject   bool           `json:"reject,omitempty"`
	Reason   string         `json:"reason,omitempty"`
}

var a *activities.Activities

// IDs of versioned changes to ProcessDocument's command sequence, for
// workflow.GetVersion. Every change gets one; see README.md here.
const (
	// changeInfraRetry: a tier that fails for good with an
	// ErrTypeInfrastructure error runs again after a pause instead of
	// counting as the tier's failure.
	changeInfraRetry = "infra-retry"
	// changeSkippedReasons: the tiers the plan skipped (a model's circuit
	// breaker open) are the first reasons of a document that goes to
	// review, which had none when every tier was skipped.
	changeSkippedReasons = "skipped-reasons"
	// changeLocalSteps: Route and Complete, short reads and writes of our
	// own database, run as local activities (one workflow task instead of
	// a round trip through the task queue each).
	changeLocalSteps = "local-steps"
)

// ProcessDocument takes one stored document to exactly one terminal state.
func ProcessDocument(ctx workflow.Context, in Input) (*Result, error) {
	p := &process{in: in, state: State{Step: "parse"}, done: map[schema.Task]bool{}}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return p.state, nil }); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateReview, p.review,
		workflow.UpdateHandlerOptions{Validator: p.validateReview, Description: "a reviewer's decision"}); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateRedrive, p.redriveHandler,
		workflow.UpdateHandlerOptions{Validator: p.validateRedrive, Description: "run the automated tiers again"}); err != nil {
		return nil, err
	}
	res, err := p.run(ctx)
	if lost(err) && p.state.Step != "review" {
		// A step failed for good (not a document that is missing, not a
		// cancellation): a person takes over, so no document is stuck.
		workflow.GetLogger(ctx).Error("processing failed; sending the document to review", "error", err)
		reasons := append(p.state.Reasons, dftype.Reason{Tier: "workflow", Code: errorCode(err), Detail: failureDetail(err)})
		if p.docType == "" {
			p.docType = string(schema.Other)
		}
		res, _, err = p.toReview(ctx, reasons, false)
	}
	if err != nil {
		return nil, err
	}
	// Let a running review update finish before the workflow completes.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return nil, err
	}
	return res, nil
}

type process struct {
	in      Input
	state   State
	docType string
	// typeConfidence is how sure the classification of docType is.
	typeConfidence float64
	// textNote tells the tiers' activity summaries where the text came
	// from when it is not a text layer (see textNote).
	textNote string
	// decided is set once a review decision has been persisted.
	decided *Result
	// deciding names the review decision or re-drive being recorded: set
	// when its handler starts and cleared if it fails, so that the
	// validators refuse every other action meanwhile.
	deciding string
	// redrivable says the document in review may go through the tiers
	// again; redrive is set when someone asked for it.
	redrivable, redrive bool
	// done marks the optional tasks that have a result.
	done map[schema.Task]bool
	// fallbacks lists the tasks that took their fallback result.
	fallbacks []string
}

func short(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		Summary:             summary,
		RetryPolicy:         shortRetry,
	})
}

// shortRetry retries short steps until they succeed or fail for good.
var shortRetry = &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute}

// step runs a short step of our own (a read or write of Postgres) with
// short's options: as a local activity from changeLocalSteps on.
func step(ctx workflow.Context, summary string, fn, in any) workflow.Future {
	if workflow.GetVersion(ctx, changeLocalSteps, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return workflow.ExecuteActivity(short(ctx, summary), fn, in)
	}
	return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		// Retried as long as a regular activity would be (ScheduleToClose
		// defaults to StartToClose for local activities): an outage of
		// Postgres waits, it does not fail the document.
		ScheduleToCloseTimeout: 30 * 24 * time.Hour,
		StartToCloseTimeout:    30 * time.Second,
		Summary:                summary,
		RetryPolicy:            shortRetry,
	}), fn, in)
}

func (p *process) run(ctx workflow.Context) (*Result, error) {
	id := p.in.DocumentID
	var parsed activities.ParseOutput
	// Longer than the parser's own limit (30 s, and the sandbox's kill 5 s
	// later), so that a slow document ends in its typed timeout, not a retry.
	// Timeouts are not matched on replay: no version gate is needed.
	parseCtx := workflow.WithStartToCloseTimeout(short(ctx, "parse "+p.in.Name), 2*time.Minute)
	err := workflow.ExecuteActivity(parseCtx, a.Parse,
		activities.ParseInput{DocumentID: id, Reprocess: p.in.Reprocess}).Get(ctx, &parsed)
	if code, ok := parseFailure(err); ok {
		p.docType = string(schema.Other)
		p.upsert(ctx, AttrDocumentType.ValueSet(p.docType))
		res, _, err := p.toReview(ctx, []dftype.Reason{{Tier: "parse", Code: code, Detail: failureDetail(err)}}, false)
		return res, err
	}
	if err != nil {
		return nil, err
	}
	p.docType, p.typeConfidence, p.textNote = parsed.DocType, parsed.Confidence, textNote(parsed)
	p.state.DocType = parsed.DocType
	p.upsert(ctx, AttrDocumentType.ValueSet(parsed.DocType))

	for {
		res, reasons, err := p.walk(ctx, parsed)
		if err != nil || res != nil {
			return res, err
		}
		res, redrive, err := p.toReview(ctx, reasons, true)
		if err != nil || !redrive {
			return res, err
		}
		workflow.GetLogger(ctx).Info("review item re-driven through the automated tiers", "document", id)
	}
}

// walk plans the document, runs the optional tasks it needs (classify when
// the rules were unsure, summarize when asked) and then its tiers in order.
// It returns the result of the first tier that succeeds, or the reasons
// that send the document to review.
func (p *process) walk(ctx workflow.Context, parsed activities.ParseOutput) (*Result, []dftype.Reason, error) {
	p.state.Step = "route"
	var plan router.Plan
	if err := step(ctx, "route", a.Route, router.Input{
		DocType: parsed.DocType, TypeConfidence: parsed.Confidence, Complexity: parsed.Complexity, EInvoice: parsed.EInvoice,
	}).Get(ctx, &plan); err != nil {
		return nil, nil, err
	}
	p.state.Route = routeNote(plan)
	for _, task := range []schema.Task{schema.TaskClassify, schema.TaskSummarize} {
		wanted := (task == schema.TaskClassify && plan.Classify) || (task == schema.TaskSummarize && p.in.Summarize)
		if !wanted || p.done[task] {
			continue
		}
		out, reasons, err := p.runTask(ctx, task, plan.LLMTiers())
		if err != nil || out == nil {
			return nil, reasons, err
		}
		p.done[task] = true
		if task == schema.TaskClassify {
			var c schema.Classification
			if err := json.Unmarshal(out.Output, &c); err != nil {
				return nil, nil, err
			}
			p.docType, p.state.DocType, p.typeConfidence = string(c.Category), string(c.Category), c.Confidence
			p.upsert(ctx, AttrDocumentType.ValueSet(p.docType))
		}
	}

	var reasons []dftype.Reason
	if len(plan.Skipped) > 0 && workflow.GetVersion(ctx, changeSkippedReasons, workflow.DefaultVersion, 1) == 1 {
		for _, s := range plan.Skipped {
			reasons = append(reasons, dftype.Reason{Tier: s.Tier, Code: s.Reason, Detail: s.Model + " not tried"})
		}
	}
	for _, tier := range plan.Tiers {
		if tier.Kind == router.KindManual {
			break
		}
		p.state.Step, p.state.Tier = "extract", tier.Name
		p.state.TiersTried++
		p.upsert(ctx, AttrTier.ValueSet(tier.Name))
		var out *activities.ExtractOutput
		err := p.retryInfra(ctx, tier.Name, func() (err error) {
			out, err = p.extract(ctx, tier)
			return err
		})
		if err == nil && out.Valid {
			res, err := p.complete(ctx, tier, out)
			return res, nil, err
		}
		r := dftype.Reason{Tier: tier.Name}
		if err != nil {
			r.Code, r.Detail = errorCode(err), failureDetail(err)
		} else {
			r.Code, r.Detail = out.Code, out.Detail
		}
		p.fail(ctx, r)
		reasons = append(reasons, r)
	}
	return nil, reasons, nil
}

// retryInfra runs a tier's step until it ends otherwise than with an
// ErrTypeInfrastructure failure. An outage of our own infrastructure is no
// failure of the tier: the same step runs again after a pause (1 s,
// doubling, at most a minute) for as long as the outage lasts, and the tier
// is judged only on what it did once the infrastructure answered.
func (p *process) retryInfra(ctx workflow.Context, tier string, step func() error) error {
	pause := time.Second
	for {
		err := step()
		if !infrastructure(err) ||
			workflow.GetVersion(ctx, changeInfraRetry, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			return err
		}
		p.state.LastFailure = tier + ": " + activities.ErrTypeInfrastructure + " (waiting to run it again)"
		workflow.GetLogger(ctx).Warn("infrastructure unavailable; running the tier again after a pause",
			"tier", tier, "pause", pause, "error", failureDetail(err))
		if err := workflow.Sleep(ctx, pause); err != nil {
			return err
		}
		pause = min(2*pause, time.Minute)
	}
}

// infrastructure reports whether an activity failed because our own
// infrastructure did.
func infrastructure(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeInfrastructure
}

// fail notes a tier's failure in the live state and the log.
func (p *process) fail(ctx workflow.Context, r dftype.Reason) {
	p.state.Reasons = append(p.state.Reasons, r)
	p.state.LastFailure = r.Tier + ": " + r.Code
	workflow.GetLogger(ctx).Info("tier failed, moving on", "tier", r.Tier, "code", r.Code)
}

// runTask runs an optional task on the LLM tiers in order. When they all
// fail it takes the task's fallback result if the caller opted in to it;
// otherwise it returns no output and the reasons, which send the document to
// review.
func (p *process) runTask(ctx workflow.Context, task schema.Task, tiers []router.Tier) (*activities.TaskOutput, []dftype.Reason, error) {
	var reasons []dftype.Reason
	if len(tiers) == 0 {
		reasons = append(reasons, dftype.Reason{Tier: string(task), Code: "no_llm", Detail: "no LLM tier is configured"})
	}
	for _, tier := range tiers {
		p.state.Step, p.state.Tier = string(task), tier.Name
		var out activities.TaskOutput
		err := p.retryInfra(ctx, string(task)+"/"+tier.Name, func() error {
			return workflow.ExecuteActivity(tierContext(ctx, tier, string(task)+": "+tier.Model), a.RunTask,
				activities.TaskInput{DocumentID: p.in.DocumentID, DocType: p.docType, Task: task, Tier: tier}).Get(ctx, &out)
		})
		if err == nil {
			return &out, nil, nil
		}
		r := dftype.Reason{Tier: string(task) + "/" + tier.Name, Code: errorCode(err), Detail: failureDetail(err)}
		p.fail(ctx, r)
		reasons = append(reasons, r)
	}
	if !slices.Contains(p.in.Fallbacks, task) {
		return nil, reasons, nil
	}
	var out activities.TaskOutput
	if err := workflow.ExecuteActivity(short(ctx, string(task)+": fallback result"), a.SaveFallback,
		activities.TaskInput{DocumentID: p.in.DocumentID, DocType: p.docType, Task: task}).Get(ctx, &out); err != nil {
		return nil, nil, err
	}
	p.fallbacks = append(p.fallbacks, string(task))
	workflow.GetLogger(ctx).Warn("task failed on every tier; using its fallback result", "task", task)
	return &out, nil, nil
}

// routeNote is the plan's class and the reason for its order of LLM
// tiers, for the result, the state query and the Temporal UI's summary of
// the first tier: "standard; load: gpt-4o answers in 9s (median), …".
func routeNote(plan router.Plan) string {
	var parts []string
	for _, s := range []string{plan.Class, plan.Reason} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

// textNote is what the Temporal UI's summaries of the tiers' activities add
// about the text they read: " (read by OCR, confidence 94)" for a scan,
// nothing for a text layer, a text file or an e-invoice. Summaries are not
// matched on replay (only activity ids and types are), so no version gate.
func textNote(parsed activities.ParseOutput) string {
	if parsed.TextSource != string(parsers.SourceOCR) {
		return ""
	}
	return fmt.Sprintf(" (read by OCR, confidence %.0f)", parsed.OCRConfidence)
}

// tierContext carries a tier's timeouts and retry policy.
func tierContext(ctx workflow.Context, tier router.Tier, summary string) workflow.Context {
	retry := tier.Retry
	if retry == nil {
		retry = &temporal.RetryPolicy{MaximumAttempts: 1}
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: tier.StartToClose,
		HeartbeatTimeout:    tier.Heartbeat,
		RetryPolicy:         retry,
		Summary:             summary,
	})
}

func (p *process) extract(ctx workflow.Context, tier router.Tier) (*activities.ExtractOutput, error) {
	summary := "extract: " + tier.Name
	if tier.Model != "" {
		summary = "extract: " + tier.Model
	}
	if p.state.TiersTried == 1 && p.state.Route != "" {
		summary += " (" + p.state.Route + ")"
	}
	actx := tierContext(ctx, tier, summary+p.textNote)
	in := activities.ExtractInput{DocumentID: p.in.DocumentID, DocType: p.docType, TypeConfidence: p.typeConfidence, Tier: tier}
	var fn any
	switch tier.Kind {
	case router.KindEInvoice:
		fn = a.ExtractEInvoice
	case router.KindRules:
		fn = a.ExtractRules
	case router.KindLLM:
		fn = a.ExtractLLM
	default:
		return nil, temporal.NewNonRetryableApplicationError("no activity for tier kind "+string(tier.Kind), "BadChain", nil)
	}
	var out activities.ExtractOutput
	if err := workflow.ExecuteActivity(actx, fn, in).Get(ctx, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (p *process) complete(ctx workflow.Context, tier router.Tier, out *activities.ExtractOutput) (*Result, error) {
	p.state.Step = "persist"
	if err := step(ctx, "persist result of "+tier.Name, a.Complete,
		activities.CompleteInput{DocumentID: p.in.DocumentID, DocType: p.docType, Tier: tier.Name}).Get(ctx, nil); err != nil {
		return nil, err
	}
	p.state.Step = "done"
	p.upsert(ctx, AttrOutcome.ValueSet(string(dftype.StatusCompleted)), AttrIssuer.ValueSet(out.Issuer))
	model := out.Model
	if model == "" {
		model = tier.Model
	}
	return &Result{DocumentID: p.in.DocumentID, Status: dftype.StatusCompleted, DocType: p.docType,
		Tier: tier.Name, Model: model, Reasons: p.state.Reasons, Fallbacks: p.fallbacks, Route: p.state.Route}, nil
}

// toReview enqueues the document for a person and waits, durably, for the
// review update; each time the SLA passes the item is escalated. When the
// item is re-driven (and redrivable), it reports redrive instead of a result.
func (p *process) toReview(ctx workflow.Context, reasons []dftype.Reason, redrivable bool) (*Result, bool, error) {
	p.state.Step, p.state.Tier, p.state.Reasons, p.state.ReviewItem = "review", "manual", reasons, 0
	p.redrivable, p.redrive = redrivable, false
	codes := dftype.ReasonCodes(reasons)
	p.upsert(ctx, AttrTier.ValueSet("manual"), AttrOutcome.ValueSet(string(dftype.StatusReview)),
		AttrReviewReason.ValueSet(codes))
	// One SLA decides when the workflow escalates and the item's due time.
	sla := p.in.ReviewSLA
	if sla <= 0 {
		sla = DefaultReviewSLA
	}
	err := workflow.ExecuteActivity(short(ctx, "enqueue for review: "+strings.Join(codes, ", ")), a.EnqueueReview,
		activities.ReviewInput{DocumentID: p.in.DocumentID, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
			DocType: p.docType, Reasons: reasons, SLA: sla}).Get(ctx, &p.state.ReviewItem)
	if err != nil {
		return nil, false, err
	}
	for {
		done, err := workflow.AwaitWithTimeout(ctx, sla, func() bool { return p.decided != nil || p.redrive })
		if err != nil {
			return nil, false, err
		}
		if done {
			return p.decided, p.redrive, nil
		}
		workflow.GetLogger(ctx).Warn("review overdue, escalating", "document", p.in.DocumentID)
		if err := workflow.ExecuteActivity(short(ctx, "escalate overdue review"), a.Escalate, p.in.DocumentID, sla).
			Get(ctx, nil); err != nil {
			return nil, false, err
		}
	}
}

func (p *process) validateRedrive(ctx workflow.Context, actor string) error {
	switch {
	case p.decided != nil:
		return errors.New("document was already reviewed")
	case p.deciding != "":
		return fmt.Errorf("another decision is being recorded (%s)", p.deciding)
	case p.state.Step != "review" || p.redrive:
		return fmt.Errorf("document is not waiting for review (step %s)", p.state.Step)
	case !p.redrivable:
		return errors.New("document cannot be read; running the tiers again would not help")
	case strings.TrimSpace(actor) == "":
		return errors.New("actor identity is required")
	}
	return nil
}

// redriveHandler takes the item out of the queue; the workflow then runs the
// automated tiers again.
func (p *process) redriveHandler(ctx workflow.Context, actor string) error {
	p.deciding = "re-drive by " + actor
	defer func() { p.deciding = "" }()
	if err := p.awaitItem(ctx); err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(short(ctx, "re-drive by "+actor), a.Redrive,
		activities.RedriveInput{DocumentID: p.in.DocumentID, Actor: actor}).Get(ctx, nil); err != nil {
		return err
	}
	p.state.Step = "redrive"
	p.redrive = true
	return nil
}

// awaitItem waits until the review item is enqueued. A reviewer who saw the
// item in Postgres may act before the workflow has heard that EnqueueReview
// returned; the decision then waits for it instead of being refused.
func (p *process) awaitItem(ctx workflow.Context) error {
	return workflow.Await(ctx, func() bool { return p.state.ReviewItem != 0 })
}

func (p *process) validateReview(ctx workflow.Context, d ReviewDecision) error {
	switch {
	case p.decided != nil:
		return errors.New("document was already reviewed")
	case p.deciding != "":
		return fmt.Errorf("another decision is being recorded (%s)", p.deciding)
	case p.state.Step != "review":
		return fmt.Errorf("document is not waiting for review (step %s)", p.state.Step)
	case strings.TrimSpace(d.Reviewer) == "":
		return errors.New("reviewer identity is required")
	case d.Reject:
		if strings.TrimSpace(d.Reason) == "" {
			return errors.New("a rejection needs a reason")
		}
		return nil
	case d.Fields == nil:
		return errors.New("fields are required (or reject with a reason)")
	}
	docType, err := schema.ParseDocType(cmp.Or(d.DocType, p.docType))
	if err != nil {
		return err
	}
	return schema.ValidateFields(docType, d.Fields)
}

func (p *process) review(ctx workflow.Context, d ReviewDecision) (*Result, error) {
	// Validators run before their handler, each update in turn: marking the
	// decision here makes every later validator refuse, even while the
	// activity below is running.
	p.deciding = "review by " + d.Reviewer
	defer func() { p.deciding = "" }()
	if err := p.awaitItem(ctx); err != nil {
		return nil, err
	}
	dec := dftype.Decision{Reviewer: d.Reviewer, Reason: d.Reason, DocType: d.DocType}
	if !d.Reject {
		raw, err := json.Marshal(d.Fields)
		if err != nil {
			return nil, err
		}
		dec.Fields = raw
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
		Summary:             "review by " + d.Reviewer,
	})
	if err := workflow.ExecuteActivity(actx, a.ResolveReview,
		activities.ResolveInput{DocumentID: p.in.DocumentID, Decision: dec}).Get(ctx, nil); err != nil {
		return nil, err
	}
	res := &Result{DocumentID: p.in.DocumentID, DocType: cmp.Or(d.DocType, p.docType), Reviewer: d.Reviewer, Reasons: p.state.Reasons, Route: p.state.Route,
		Fallbacks: p.fallbacks}
	if d.Reject {
		res.Status = dftype.StatusRejected
	} else {
		res.Status, res.Tier = dftype.StatusCompleted, "manual"
	}
	p.upsert(ctx, AttrOutcome.ValueSet(string(res.Status)))
	p.state.Step = "done"
	p.decided = res
	return res, nil
}

func (p *process) upsert(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("search attributes not upserted", "error", err)
	}
}

// lost reports whether err would leave a stored document without a final
// state: any failure but a missing document or a cancellation.
func lost(err error) bool {
	var appErr *temporal.ApplicationError
	if err == nil || temporal.IsCanceledError(err) || (errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeNotFound) {
		return false
	}
	return true
}

// parseFailure reports the parsers code of an activity error of type
// ErrTypeParse.
func parseFailure(err error) (string, bool) {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypeParse {
		return "", false
	}
	var code string
	if appErr.Details(&code) != nil {
		code = "unreadable"
	}
	return code, true
}

// errorCode is the stable class of a tier failure: the application error
// type, or the kind of timeout.
func errorCode(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() != "" {
		return appErr.Type()
	}
	var timeoutErr *temporal.TimeoutError
	if errors.As(err, &timeoutErr) {
		return "timeout"
	}
	return "error"
}

// failureDetail is the message of an activity failure, without the SDK's
// decorations.
func failureDetail(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	var timeoutErr *temporal.TimeoutError
	if errors.As(err, &timeoutErr) {
		return timeoutErr.Error()
	}
	return err.Error()
}
