package reviewweb_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/store"
)

func TestItemPage(t *testing.T) {
	t.Parallel()
	s := setup(t)
	it := s.enqueue(t, "INVOICE <b>INV-1</b>\nTotal 12.50 EUR", "invoice", time.Now().Add(time.Hour),
		dftype.Reason{Tier: "rules", Code: "low_confidence", Detail: "issuer unsure"})
	fields, _ := json.Marshal(map[string]any{"invoice_number": "INV-1", "total": 12.5})
	_, err := s.st.SaveExtraction(s.ctx, &store.Extraction{DocumentID: it.DocumentID, Tier: "rules", DocType: "invoice",
		Fields: fields, Confidence: map[string]float64{"invoice_number": 0.95, "total": 0.7, "issuer": 0.2},
		Problems: []string{"issuer: required", "issue_date: required"}})
	require.NoError(t, err)
	b := s.browser(t)
	b.signIn("ann")

	body := b.get("/items/" + itoa(it.ID)).Body.String()
	require.Contains(t, body, "You do not hold this item", "read-only until claimed")
	require.NotContains(t, body, `action="/items/`+itoa(it.ID)+`/submit"`)

	require.Equal(t, "/items/"+itoa(it.ID), b.claim(nil))
	rec := b.get("/items/" + itoa(it.ID))
	require.Equal(t, http.StatusOK, rec.Code)
	body = rec.Body.String()
	require.Contains(t, body, "INVOICE &lt;b&gt;INV-1&lt;/b&gt;", "the text, escaped")
	require.Contains(t, body, "rules: low_confidence</strong> issuer unsure")
	require.Regexp(t, `(?s)conf-high">Number\s*<input name="invoice_number" value="INV-`, body, "the item's partial values, coloured")
	require.Regexp(t, `(?s)conf-medium">Total\s*<input name="total" value="12.5"`, body)
	require.Regexp(t, `(?s)conf-low invalid">Issuer.*?<span class="conf">20%</span>\s*<span class="problem">issuer: required</span>`, body,
		"the tier's problem beside its field")
	require.Contains(t, body, `data-expires="`, "lease countdown")
	require.Contains(t, body, `href="http://ui.test/namespaces/dataforge/workflows/`+it.WorkflowID+`"`)
	require.Regexp(t, `<td>claimed</td><td>ann</td>`, body, "audit")

	rec = b.get("/items/" + itoa(it.ID) + "/document")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/plain; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Equal(t, "sandbox", rec.Header().Get("Content-Security-Policy"))
	require.Equal(t, "INVOICE <b>INV-1</b>\nTotal 12.50 EUR", rec.Body.String())

	require.Equal(t, http.StatusNotFound, b.get("/items/999").Code)
	require.Equal(t, http.StatusNotFound, b.get("/items/x").Code)
}

// TestValidationErrorsBesideFields: what the workflow's validator would
// refuse never reaches it; the page shows why beside the field, with what
// the reviewer typed.
func TestValidationErrorsBesideFields(t *testing.T) {
	t.Parallel()
	s := setup(t)
	it := s.enqueue(t, "invoice", "invoice", time.Now().Add(time.Hour))
	b := s.browser(t)
	b.signIn("ann")
	path := b.claim(nil)

	form := url.Values{"doc_type": {"invoice"}, "invoice_number": {"INV-9"}, "issue_date": {"31.01.2024"},
		"issuer": {"ACME"}, "currency": {"EUR"}, "total": {"12,50"}}
	rec := b.post(path+"/submit", form)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	require.Regexp(t, `(?s)invalid">Total\s*<input name="total" value="12,50"[^>]*aria-invalid="true">\s*<span class="problem">total: &#34;12,50&#34; is not a number`,
		rec.Body.String())

	form.Set("total", "12.50")
	rec = b.post(path+"/submit", form)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	require.Regexp(t, `(?s)invalid">Issue date\s*<input name="issue_date" value="31.01.2024"[^>]*>\s*<span class="problem">/issue_date: `, rec.Body.String())

	form.Set("issue_date", "2024-01-31")
	form.Set("currency", "QQQ")
	form.Set("line_items", `[{"description": "x", "amount": "ten"}]`)
	rec = b.post(path+"/submit", form)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	require.Regexp(t, `(?s)Line items \(JSON\)\s*<textarea[^>]*>.*?</textarea>\s*<span class="problem">line_items: not a JSON list`, rec.Body.String())

	form.Set("line_items", "")
	rec = b.post(path+"/submit", form)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	require.Regexp(t, `(?s)invalid">Currency\s*<input name="currency" value="QQQ"[^>]*>\s*<span class="problem">currency: &#34;QQQ&#34; is not an ISO 4217 code`,
		rec.Body.String(), "the business checks, as the validator runs them")

	form.Set("doc_type", "letter")
	require.Equal(t, http.StatusUnprocessableEntity, b.post(path+"/submit", form).Code)

	rec = b.post(path+"/reject", url.Values{"reason": {"  "}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	require.Contains(t, rec.Body.String(), `<span class="problem">a rejection needs a reason</span>`)

	got, err := s.st.ReviewItem(s.ctx, it.ID)
	require.NoError(t, err)
	require.Equal(t, store.ReviewClaimed, got.State, "nothing was decided")
}

// TestLeaseConflictBetweenTwoReviewers: a reviewer cannot act on an item
// another holds, and the holder's lease actions work.
func TestLeaseConflictBetweenTwoReviewers(t *testing.T) {
	t.Parallel()
	s := setup(t)
	first := s.enqueue(t, "first", "invoice", time.Now().Add(time.Hour))
	second := s.enqueue(t, "second", "invoice", time.Now().Add(2*time.Hour))
	ann, bob := s.browser(t), s.browser(t)
	ann.signIn("ann")
	bob.signIn("bob")

	annPath := ann.claim(nil)
	require.Equal(t, "/items/"+itoa(first.ID), annPath)
	require.Equal(t, "/items/"+itoa(second.ID), bob.claim(nil), "two reviewers never hold one item")

	bob.get(annPath)
	for _, action := range []string{"release", "extend"} {
		rec := bob.post(annPath+"/"+action, nil)
		require.Equal(t, http.StatusConflict, rec.Code, action)
		require.Contains(t, rec.Body.String(), "held by ann", action)
	}
	rec := bob.post(annPath+"/submit", url.Values{"doc_type": {"invoice"}, "invoice_number": {"X"}})
	require.Equal(t, http.StatusConflict, rec.Code)
	require.Contains(t, rec.Body.String(), "item "+itoa(first.ID)+" is held by ann")
	rec = bob.post(annPath+"/reject", url.Values{"reason": {"mine now"}})
	require.Equal(t, http.StatusConflict, rec.Code)

	before, err := s.st.ReviewItem(s.ctx, first.ID)
	require.NoError(t, err)
	time.Sleep(10 * time.Millisecond)
	rec = ann.post(annPath+"/extend", nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, annPath, rec.Header().Get("Location"))
	after, err := s.st.ReviewItem(s.ctx, first.ID)
	require.NoError(t, err)
	require.True(t, after.LeaseExpiresAt.After(*before.LeaseExpiresAt), "the lease was renewed")

	rec = ann.post(annPath+"/release", nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/", rec.Header().Get("Location"))
	after, err = s.st.ReviewItem(s.ctx, first.ID)
	require.NoError(t, err)
	require.Equal(t, store.ReviewPending, after.State)
	rec = ann.post(annPath+"/extend", nil)
	require.Equal(t, http.StatusConflict, rec.Code, "released: no longer hers")
	require.Contains(t, rec.Body.String(), "it is pending")

	body := ann.get(annPath).Body.String()
	require.Regexp(t, `(?s)<td>claimed</td><td>ann</td>.*<td>extended</td><td>ann</td>.*<td>released</td><td>ann</td>`, body, "the audit list")
	require.Equal(t, annPath, bob.claim(nil), "released, it is bob's to claim")
}
