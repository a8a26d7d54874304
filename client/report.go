package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/parsers"
)

// Report is one document's outcome as the CLI shows it.
type Report struct {
	Name       string         `json:"name"`
	Path       string         `json:"path,omitempty"`
	DocumentID string         `json:"document_id,omitempty"`
	Status     string         `json:"status"`
	DocType    string         `json:"doc_type,omitempty"`
	Tier       string         `json:"tier,omitempty"`
	Model      string         `json:"model,omitempty"`
	Attempts   int            `json:"attempts,omitempty"`
	CostUSD    float64        `json:"cost_usd"`
	LatencyMS  int64          `json:"latency_ms,omitempty"`
	Reviewer   string         `json:"reviewer,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	Fields     *schema.Fields `json:"fields,omitempty"`
	// TextSource is where the document's text came from (text_layer, ocr,
	// file, einvoice), once parsed; OCRConfidence is OCR's mean word
	// confidence (0-100); PageImages counts the page images the winning
	// tier's model read (vision) besides the text.
	TextSource    string  `json:"text_source,omitempty"`
	OCRConfidence float64 `json:"ocr_confidence,omitempty"`
	PageImages    int     `json:"page_images,omitempty"`
	// Summary is the document's summary, when one was asked for.
	Summary string `json:"summary,omitempty"`
	// Fallbacks lists the tasks whose result is the predefined fallback.
	Fallbacks []string `json:"fallbacks,omitempty"`
	Existing  bool     `json:"existing,omitempty"`
	URL       string   `json:"url,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// Reports gathers the current outcome of each item from Postgres.
func (s *Submitter) Reports(ctx context.Context, items []*Item) ([]*Report, error) {
	out := make([]*Report, 0, len(items))
	for _, it := range items {
		if it.Err != nil {
			out = append(out, &Report{Name: it.Name, Path: it.Path, Status: "error", Error: it.Err.Error()})
			continue
		}
		r, err := s.Report(ctx, it.DocumentID)
		if err != nil {
			return nil, err
		}
		r.Path, r.Existing = it.Path, it.Existing
		out = append(out, r)
	}
	return out, nil
}

// Statuses of Accepted's reports.
const (
	StatusAccepted    = "accepted"
	StatusNotAccepted = "not accepted"
)

// Accepted reports which items a submission that stopped part-way accepted
// (stored, workflow started) and which not, with why. It reads neither
// Postgres nor Temporal, which may be what stopped it.
func (s *Submitter) Accepted(items []*Item) []*Report {
	out := make([]*Report, 0, len(items))
	for _, it := range items {
		r := &Report{Name: it.Name, Path: it.Path, DocumentID: it.DocumentID, Existing: it.Existing, Status: StatusAccepted}
		switch {
		case it.Started:
			r.URL = s.WorkflowURL(it.WorkflowID)
		case it.Err != nil:
			r.Status, r.Error = StatusNotAccepted, it.Err.Error()
		default:
			r.Status, r.Error = StatusNotAccepted, ErrNotSubmitted.Error()
		}
		out = append(out, r)
	}
	return out
}

// Report returns one document's outcome.
func (s *Submitter) Report(ctx context.Context, documentID string) (*Report, error) {
	doc, err := s.Store.Document(ctx, documentID)
	if err != nil {
		return nil, err
	}
	r := &Report{
		Name: doc.Name, DocumentID: doc.ID, Status: string(doc.Status), DocType: doc.DocType,
		Reason: doc.Reason, URL: s.WorkflowURL("doc-" + doc.ID),
	}
	r.TextSource, r.OCRConfidence, err = s.Store.TextSource(ctx, documentID)
	if err != nil && !errors.Is(err, store.ErrNotFound) { // not parsed (yet)
		return nil, err
	}
	tasks, err := s.Store.TaskResults(ctx, documentID)
	if err != nil {
		return nil, err
	}
	for _, name := range []schema.Task{schema.TaskClassify, schema.TaskSummarize} {
		t, ok := tasks[string(name)]
		if !ok {
			continue
		}
		if t.Fallback {
			r.Fallbacks = append(r.Fallbacks, t.Task)
		}
		if name == schema.TaskSummarize {
			var sum schema.Summary
			if err := json.Unmarshal(t.Output, &sum); err != nil {
				return nil, fmt.Errorf("stored summary of %s: %w", doc.Name, err)
			}
			r.Summary = sum.Summary
		}
	}
	res, err := s.Store.Result(ctx, documentID)
	if errors.Is(err, store.ErrNotFound) {
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	var f schema.Fields
	if err := json.Unmarshal(res.Fields, &f); err != nil {
		return nil, fmt.Errorf("stored fields of %s: %w", doc.Name, err)
	}
	r.Fields, r.Tier, r.Model, r.Attempts = &f, res.Tier, res.Model, res.Attempts
	r.CostUSD, r.LatencyMS, r.Reviewer = res.CostUSD, res.LatencyMS, res.Reviewer
	if (r.TextSource == string(parsers.SourceOCR) || r.TextSource == string(parsers.SourceVision)) && res.Tier != "" {
		attempts, err := s.Store.Attempts(ctx, documentID)
		if err != nil {
			return nil, err
		}
		for _, a := range attempts {
			if a.Tier == res.Tier && a.Outcome == store.OutcomeSuccess && (a.Task == "" || a.Task == "extract") {
				r.PageImages = a.PageImages // the last success of the tier is the result
			}
		}
	}
	return r, nil
}

// TextOrigin says where a report's text came from: "text layer", "OCR
// (mean word confidence 94)", with "+ 2 page images" when a vision model
// read them, or "" before the document is parsed.
func (r *Report) TextOrigin() string {
	var s string
	switch r.TextSource {
	case "":
		return ""
	case string(parsers.SourceOCR):
		s = fmt.Sprintf("OCR (mean word confidence %.0f)", r.OCRConfidence)
	case string(parsers.SourceTextLayer):
		s = "text layer"
	case string(parsers.SourceEInvoice):
		s = "e-invoice XML"
	case string(parsers.SourceFile):
		s = "text file"
	case string(parsers.SourceVision):
		s = "no text: page images only"
	default:
		s = r.TextSource
	}
	if r.PageImages > 0 {
		s += fmt.Sprintf(" + %d page image(s) read by the model", r.PageImages)
	}
	return s
}

// WriteTable prints reports as an aligned table.
func WriteTable(w io.Writer, reports []*Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DOCUMENT\tTYPE\tSTATUS\tTIER\tMODEL\tATTEMPTS\tCOST\tLATENCY\tKEY FIELDS\tUI")
	for _, r := range reports {
		latency := "-"
		if r.Tier != "" {
			latency = (time.Duration(r.LatencyMS) * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			r.Name, dash(r.DocType), r.Status, dash(r.Tier), dash(r.Model), count(r.Attempts),
			fmt.Sprintf("$%.4f", r.CostUSD), latency, keyFields(r), dash(r.URL))
	}
	return tw.Flush()
}

func keyFields(r *Report) string {
	if r.Error != "" {
		return r.Error
	}
	note := ""
	if len(r.Fallbacks) > 0 {
		note = " [fallback: " + strings.Join(r.Fallbacks, ", ") + "]"
	}
	if r.Fields == nil {
		return dash(r.Reason) + note
	}
	var parts []string
	f := r.Fields
	if f.InvoiceNumber != "" {
		parts = append(parts, "#"+f.InvoiceNumber)
	}
	if f.Issuer != "" {
		parts = append(parts, f.Issuer)
	}
	if f.IssueDate != "" {
		parts = append(parts, f.IssueDate)
	}
	if f.Total != nil {
		parts = append(parts, fmt.Sprintf("%.2f %s", *f.Total, f.Currency))
	}
	return strings.Join(parts, ", ") + note
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func count(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

// WorkflowURL is the Temporal Web UI page of a workflow, or "" when no UI is configured.
func (s *Submitter) WorkflowURL(workflowID string) string {
	if s.UIURL == "" {
		return ""
	}
	return s.UIURL + "/namespaces/" + s.Namespace + "/workflows/" + workflowID
}
