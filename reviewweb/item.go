package reviewweb

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/workflows"
)

// fieldSpec is one scalar field of the form, in schema.Fields' JSON names.
type fieldSpec struct {
	Name, Label string
	Number      bool
}

// formFields are the fields a reviewer edits one by one; line items are
// edited as JSON.
var formFields = []fieldSpec{
	{Name: "invoice_number", Label: "Number"},
	{Name: "issue_date", Label: "Issue date"},
	{Name: "due_date", Label: "Due date"},
	{Name: "issuer", Label: "Issuer"},
	{Name: "issuer_tax_id", Label: "Issuer tax id"},
	{Name: "iban", Label: "IBAN"},
	{Name: "currency", Label: "Currency"},
	{Name: "subtotal", Label: "Subtotal", Number: true},
	{Name: "tax", Label: "Tax", Number: true},
	{Name: "total", Label: "Total", Number: true},
}

// lineItemsField is the form name of the line items' JSON.
const lineItemsField = "line_items"

// fieldView is one field as the item page shows it.
type fieldView struct {
	fieldSpec
	Value      string
	Confidence string // "93%", or "" when the tier gave none
	Level      string // high, medium, low or none: the confidence colour
	Problems   []string
}

// itemData is the item page.
type itemData struct {
	page
	Item         *store.ReviewItem
	Held         bool
	Open         bool
	LeaseExpires *time.Time
	IsPDF        bool
	Text         string
	Tier         string // the tier whose values prefill the form
	Fields       []fieldView
	LineItems    fieldView
	DocType      string
	Types        []schema.DocType
	Problems     []string // the validation's problems tied to no field
	RejectReason string
	RejectError  string
	Events       []*store.ReviewEvent
	WorkflowURL  string
}

// confidenceLevel is the colour class of a confidence.
func confidenceLevel(c float64) string {
	switch {
	case c >= 0.9:
		return "high"
	case c >= 0.6:
		return "medium"
	default:
		return "low"
	}
}

// problemsOf splits problems ("total: required", "/issue_date: …",
// "line_items/0: …") into those of field and the rest.
func problemsOf(field string, problems []string) (mine, rest []string) {
	for _, p := range problems {
		q := strings.TrimPrefix(p, "/")
		if strings.HasPrefix(q, field+":") || strings.HasPrefix(q, field+"/") {
			mine = append(mine, p)
		} else {
			rest = append(rest, p)
		}
	}
	return mine, rest
}

// formValue is a JSON value as a form shows it.
func formValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	}
}

// itemID is the item number in the request's path.
func itemID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("review item %q: %w", r.PathValue("id"), store.ErrNotFound)
	}
	return id, nil
}

// load reads the item the request names.
func (s *Server) load(r *http.Request) (*store.ReviewItem, error) {
	id, err := itemID(r)
	if err != nil {
		return nil, err
	}
	return s.sub.Store.ReviewItem(r.Context(), id)
}

// itemView gathers what the item page shows. values, when not nil, are
// what the reviewer posted (shown again with their problems); otherwise the
// form holds the best tier's partial values.
func (s *Server) itemView(r *http.Request, it *store.ReviewItem, values url.Values, problems []string) (*itemData, error) {
	ctx := r.Context()
	d := &itemData{page: s.page(r, fmt.Sprintf("Item %d: %s", it.ID, it.DocumentName)), Item: it, Open: open(it),
		Held: it.HeldBy(sessionOf(r).Reviewer, time.Now()), DocType: it.DocType, Types: schema.Types,
		WorkflowURL: s.sub.WorkflowURL(it.WorkflowID)}
	if it.State == store.ReviewClaimed {
		d.LeaseExpires = it.LeaseExpiresAt
	}
	doc, err := s.sub.Store.Document(ctx, it.DocumentID)
	if err != nil {
		return nil, err
	}
	d.IsPDF = doc.MediaType == "application/pdf"
	if d.Text, err = s.sub.Store.Text(ctx, it.DocumentID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if d.Events, err = s.sub.Store.ReviewEvents(ctx, it.ID); err != nil {
		return nil, err
	}

	best, err := s.sub.Store.BestExtraction(ctx, it.DocumentID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	partial := map[string]any{}
	raw := it.PartialFields
	if best != nil {
		d.Tier = best.Tier
		if len(raw) == 0 {
			raw = best.Fields
		}
		if problems == nil && values == nil {
			problems = best.Problems
		}
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &partial); err != nil {
			return nil, fmt.Errorf("partial fields of item %d: %w", it.ID, err)
		}
	}
	rest := problems
	for _, f := range formFields {
		v := fieldView{fieldSpec: f, Value: formValue(partial[f.Name]), Level: "none"}
		if values != nil {
			v.Value = values.Get(f.Name)
		}
		if best != nil {
			if c, ok := best.Confidence[f.Name]; ok {
				v.Confidence, v.Level = fmt.Sprintf("%.0f%%", c*100), confidenceLevel(c)
			}
		}
		v.Problems, rest = problemsOf(f.Name, rest)
		d.Fields = append(d.Fields, v)
	}
	d.LineItems = fieldView{fieldSpec: fieldSpec{Name: lineItemsField, Label: "Line items (JSON)"}, Value: formValue(partial[lineItemsField]), Level: "none"}
	if values != nil {
		d.LineItems.Value = values.Get(lineItemsField)
		if t := values.Get("doc_type"); t != "" {
			d.DocType = t
		}
	}
	d.LineItems.Problems, d.Problems = problemsOf(lineItemsField, rest)
	return d, nil
}

func (s *Server) itemPage(w http.ResponseWriter, r *http.Request) {
	it, err := s.load(r)
	if err != nil {
		fail(w, err)
		return
	}
	d, err := s.itemView(r, it, nil, nil)
	if err != nil {
		fail(w, err)
		return
	}
	s.render(w, http.StatusOK, "item", d)
}

// document serves the item's document as stored, to show beside the form.
func (s *Server) document(w http.ResponseWriter, r *http.Request) {
	it, err := s.load(r)
	if err != nil {
		fail(w, err)
		return
	}
	doc, err := s.sub.Store.Content(r.Context(), it.DocumentID)
	if err != nil {
		fail(w, err)
		return
	}
	h := w.Header()
	if doc.MediaType == "application/pdf" {
		h.Set("Content-Type", "application/pdf")
	} else {
		h.Set("Content-Type", "text/plain; charset=utf-8")
	}
	h.Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", doc.Name))
	h.Set("Content-Security-Policy", "sandbox")
	_, _ = w.Write(doc.Content)
}

// showError shows the item page again with status, the problems beside
// their fields, and values (those posted; nil for the best tier's).
func (s *Server) showError(w http.ResponseWriter, r *http.Request, it *store.ReviewItem, status int, values url.Values, problems []string, edit func(*itemData)) {
	d, err := s.itemView(r, it, values, problems)
	if err != nil {
		fail(w, err)
		return
	}
	if edit != nil {
		edit(d)
	}
	s.render(w, status, "item", d)
}

// notHeld is the error of an action on an item the reviewer does not hold.
func notHeld(it *store.ReviewItem) string {
	if it.State == store.ReviewClaimed {
		return fmt.Sprintf("item %d is held by %s: claim another item", it.ID, it.ClaimedBy)
	}
	return fmt.Sprintf("item %d is %s: claim it first (claim next)", it.ID, it.State)
}

// postedFields builds the reviewer's fields from the form: scalars one by
// one, line items from their JSON. Values that cannot be read are problems
// of their field.
func postedFields(form url.Values) (map[string]any, []string) {
	fields := map[string]any{}
	var problems []string
	for _, f := range formFields {
		v := strings.TrimSpace(form.Get(f.Name))
		switch {
		case !f.Number:
			fields[f.Name] = v
		case v == "":
			fields[f.Name] = nil
		default:
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %q is not a number", f.Name, v))
				continue
			}
			fields[f.Name] = n
		}
	}
	items := []schema.LineItem{}
	if v := strings.TrimSpace(form.Get(lineItemsField)); v != "" {
		if err := json.Unmarshal([]byte(v), &items); err != nil {
			problems = append(problems, fmt.Sprintf("%s: not a JSON list of line items: %v", lineItemsField, err))
		}
	}
	fields[lineItemsField] = items
	return fields, problems
}

// submit completes the item with the posted fields through the workflow's
// review Update, after the same checks the Update's validator makes.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	it, err := s.load(r)
	if err != nil {
		fail(w, err)
		return
	}
	reviewer := sessionOf(r).Reviewer
	if !it.HeldBy(reviewer, time.Now()) {
		s.showError(w, r, it, http.StatusConflict, r.PostForm, []string{notHeld(it)}, nil)
		return
	}
	docType, err := schema.ParseDocType(r.PostFormValue("doc_type"))
	if err != nil {
		s.showError(w, r, it, http.StatusUnprocessableEntity, r.PostForm, []string{"doc_type: " + err.Error()}, nil)
		return
	}
	fields, problems := postedFields(r.PostForm)
	if len(problems) > 0 {
		s.showError(w, r, it, http.StatusUnprocessableEntity, r.PostForm, problems, nil)
		return
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		fail(w, err)
		return
	}
	checked, err := schema.Validate(docType, raw)
	var ve *schema.ValidationError
	if errors.As(err, &ve) {
		s.showError(w, r, it, http.StatusUnprocessableEntity, r.PostForm, ve.Problems, nil)
		return
	}
	if err != nil {
		fail(w, err)
		return
	}
	d := workflows.ReviewDecision{Reviewer: reviewer, Fields: checked}
	if string(docType) != it.DocType {
		d.DocType = string(docType)
	}
	s.decide(w, r, it, d)
}

// reject rejects the item with the posted reason.
func (s *Server) reject(w http.ResponseWriter, r *http.Request) {
	it, err := s.load(r)
	if err != nil {
		fail(w, err)
		return
	}
	reviewer, reason := sessionOf(r).Reviewer, strings.TrimSpace(r.PostFormValue("reason"))
	if !it.HeldBy(reviewer, time.Now()) {
		s.showError(w, r, it, http.StatusConflict, nil, []string{notHeld(it)}, nil)
		return
	}
	if reason == "" {
		s.showError(w, r, it, http.StatusUnprocessableEntity, nil, nil, func(d *itemData) {
			d.RejectError = "a rejection needs a reason"
		})
		return
	}
	s.decide(w, r, it, workflows.ReviewDecision{Reviewer: reviewer, Reject: true, Reason: reason})
}

// decide sends a decision to the item's workflow and returns to the queue.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, it *store.ReviewItem, d workflows.ReviewDecision) {
	if s.sub.Temporal == nil {
		fail(w, errors.New("the review page has no Temporal connection"))
		return
	}
	res, err := s.sub.Review(r.Context(), it.WorkflowID, d)
	if err != nil {
		values := r.PostForm
		if d.Reject {
			values = nil // the reject form posts no fields
		}
		s.showError(w, r, it, http.StatusConflict, values, []string{"the workflow refused the decision: " + err.Error()}, func(v *itemData) {
			v.RejectReason = d.Reason
		})
		return
	}
	done := fmt.Sprintf("item %d: %s is %s", it.ID, it.DocumentName, res.Status)
	http.Redirect(w, r, "/?done="+url.QueryEscape(done), http.StatusSeeOther)
}

// release gives the item back to the queue.
func (s *Server) release(w http.ResponseWriter, r *http.Request) {
	s.holderAction(w, r, func(it *store.ReviewItem, reviewer string) (*store.ReviewItem, error) {
		return s.sub.Store.Release(r.Context(), it.ID, reviewer)
	}, "/")
}

// extend renews the reviewer's lease for the server's lease.
func (s *Server) extend(w http.ResponseWriter, r *http.Request) {
	s.holderAction(w, r, func(it *store.ReviewItem, reviewer string) (*store.ReviewItem, error) {
		return s.sub.Store.Extend(r.Context(), it.ID, reviewer, s.lease)
	}, "")
}

// holderAction runs a store action of the item's holder and goes to next
// (the item's page when empty); a refusal is shown on the item's page.
func (s *Server) holderAction(w http.ResponseWriter, r *http.Request, act func(*store.ReviewItem, string) (*store.ReviewItem, error), next string) {
	it, err := s.load(r)
	if err != nil {
		fail(w, err)
		return
	}
	updated, err := act(it, sessionOf(r).Reviewer)
	if errors.Is(err, store.ErrNotHolder) || errors.Is(err, store.ErrClosed) {
		s.showError(w, r, it, http.StatusConflict, nil, []string{err.Error()}, nil)
		return
	}
	if err != nil {
		fail(w, err)
		return
	}
	if next == "" {
		next = itemPath(updated.ID)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
