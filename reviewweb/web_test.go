package reviewweb_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/internal/store/storetest"
	"github.com/dataforge/dataforge/reviewweb"
)

// password is every test reviewer's password.
const password = "correct horse battery"

// site is a review page over a fresh database, without Temporal: enough
// for everything but decisions.
type site struct {
	ctx     context.Context
	st      *store.Store
	handler http.Handler
}

// newSite serves the page over sub with opts, and gives ann and bob accounts.
func newSite(t *testing.T, sub *client.Submitter, opts ...func(*reviewweb.Options)) *site {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	o := reviewweb.Options{Submitter: sub}
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := reviewweb.New(o)
	require.NoError(t, err)
	for _, name := range []string{"ann", "bob"} {
		hash, err := reviewweb.HashPassword(password)
		require.NoError(t, err)
		require.NoError(t, sub.Store.SetReviewer(ctx, name, hash))
	}
	return &site{ctx: ctx, st: sub.Store, handler: srv}
}

func setup(t *testing.T, opts ...func(*reviewweb.Options)) *site {
	t.Helper()
	st, _ := storetest.New(t)
	return newSite(t, &client.Submitter{Store: st, UIURL: "http://ui.test", Namespace: "dataforge"}, opts...)
}

// enqueue stores a text document and puts it in the review queue.
func (s *site) enqueue(t *testing.T, text, docType string, due time.Time, reasons ...dftype.Reason) *store.ReviewItem {
	t.Helper()
	sum := sha256.Sum256([]byte(text))
	id := hex.EncodeToString(sum[:])
	_, err := s.st.PutDocument(s.ctx, &store.Document{ID: id, Name: id[:8] + ".txt", MediaType: "text/plain", Content: []byte(text)})
	require.NoError(t, err)
	require.NoError(t, s.st.SaveText(s.ctx, id, store.TextInfo{Text: text, Pages: 1}, docType, nil))
	partial, _ := json.Marshal(map[string]any{"invoice_number": "INV-" + id[:4], "total": 12.5, "currency": "EUR"})
	n, err := s.st.EnqueueReview(s.ctx, &store.ReviewItem{DocumentID: id, WorkflowID: "doc-" + id, DocType: docType,
		Priority: 5, Reasons: reasons, PartialFields: partial, DueAt: due})
	require.NoError(t, err)
	it, err := s.st.ReviewItem(s.ctx, n)
	require.NoError(t, err)
	return it
}

// browser is one person's browser: it keeps the session cookie and the
// last page's CSRF token, and does not follow redirects.
type browser struct {
	t      *testing.T
	s      *site
	cookie *http.Cookie
	csrf   string
	header http.Header // sent with every request
}

func (s *site) browser(t *testing.T) *browser { return &browser{t: t, s: s} }

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) *httptest.ResponseRecorder {
	b.t.Helper()
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	b.s.handler.ServeHTTP(rec, req.WithContext(b.s.ctx))
	for _, c := range rec.Result().Cookies() {
		if c.Name == "dataforge_review" {
			b.cookie = c
		}
	}
	if m := csrfField.FindStringSubmatch(rec.Body.String()); m != nil {
		b.csrf = m[1]
	}
	return rec
}

func (b *browser) get(path string) *httptest.ResponseRecorder {
	return b.do(httptest.NewRequest(http.MethodGet, path, nil))
}

// post posts form with the browser's CSRF token (unless form has one).
func (b *browser) post(path string, form url.Values) *httptest.ResponseRecorder {
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// signIn signs the browser in as name.
func (b *browser) signIn(name string) {
	b.t.Helper()
	require.Equal(b.t, http.StatusOK, b.get("/login").Code)
	rec := b.post("/login", url.Values{"name": {name}, "password": {password}, "next": {"/"}})
	require.Equal(b.t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.Equal(b.t, http.StatusOK, b.get("/").Code, "the queue, with a token of the new session")
}

// claim claims the next item and returns its page's path.
func (b *browser) claim(form url.Values) string {
	b.t.Helper()
	rec := b.post("/claim", form)
	require.Equal(b.t, http.StatusSeeOther, rec.Code, rec.Body.String())
	return rec.Header().Get("Location")
}

func TestSignInIsRequired(t *testing.T) {
	t.Parallel()
	s := setup(t)
	it := s.enqueue(t, "invoice 1", "invoice", time.Now().Add(time.Hour))
	b := s.browser(t)
	for _, path := range []string{"/", "/items/1", "/items/1/document", "/?state=pending"} {
		rec := b.get(path)
		require.Equal(t, http.StatusSeeOther, rec.Code, path)
		require.Equal(t, "/login?next="+url.QueryEscape(path), rec.Header().Get("Location"))
	}
	b.get("/login")
	for _, path := range []string{"/claim", "/items/1/submit", "/items/1/reject", "/items/1/release", "/items/1/extend"} {
		rec := b.post(path, nil)
		require.Equal(t, http.StatusUnauthorized, rec.Code, path)
	}
	got, err := s.st.ReviewItem(s.ctx, it.ID)
	require.NoError(t, err)
	require.Equal(t, store.ReviewPending, got.State, "nothing was claimed")

	// The page's own files are public.
	rec := b.get("/static/htmx.min.js")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), "htmx")
	rec = b.get("/static/pdf.min.mjs")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/javascript; charset=utf-8", rec.Header().Get("Content-Type"))
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	s := setup(t)
	b := s.browser(t)
	rec := b.get("/login?next=/items/7")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), `name="next" value="/items/7"`)
	anonymous := b.csrf

	for _, wrong := range []url.Values{
		{"name": {"ann"}, "password": {"wrong password"}},
		{"name": {"nobody"}, "password": {password}},
		{"name": {"ann"}, "password": {""}},
	} {
		rec := b.post("/login", wrong)
		require.Equal(t, http.StatusUnauthorized, rec.Code)
		require.Contains(t, rec.Body.String(), "wrong name or password")
	}

	rec = b.post("/login", url.Values{"name": {"ann"}, "password": {password}, "next": {"//evil.test/x"}})
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/", rec.Header().Get("Location"), "only local paths are followed")
	c := b.cookie
	require.True(t, c.HttpOnly)
	require.True(t, c.Secure)
	require.Equal(t, http.SameSiteStrictMode, c.SameSite)

	rec = b.get("/")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), "signed in as <strong>ann</strong>")
	require.NotEqual(t, anonymous, b.csrf, "signing in starts a new session")
	require.Contains(t, rec.Header().Get("Content-Security-Policy"), "default-src 'self'")

	// A cookie that was tampered with is no session.
	forged := *b.cookie
	forged.Value = strings.Replace(forged.Value, "a", "b", 1)
	mallory := s.browser(t)
	mallory.cookie = &forged
	require.Equal(t, http.StatusSeeOther, mallory.get("/").Code)

	rec = b.post("/logout", nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, http.StatusSeeOther, b.get("/").Code, "signed out")
}

func TestCSRFTokenIsRequired(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.enqueue(t, "invoice 1", "invoice", time.Now().Add(time.Hour))
	ann, bob := s.browser(t), s.browser(t)
	ann.signIn("ann")
	bob.signIn("bob")
	for _, token := range []string{"", "forged", bob.csrf} {
		rec := ann.post("/claim", url.Values{"csrf": {token}})
		require.Equal(t, http.StatusForbidden, rec.Code, "token %q", token)
		require.Contains(t, rec.Body.String(), "CSRF")
	}
	visitor := s.browser(t)
	visitor.get("/login")
	rec := visitor.post("/login", url.Values{"csrf": {""}, "name": {"ann"}, "password": {password}})
	require.Equal(t, http.StatusForbidden, rec.Code, "the sign-in form is protected too")
	items, err := s.st.ListReview(s.ctx, store.ReviewFilter{State: store.ReviewClaimed})
	require.NoError(t, err)
	require.Empty(t, items)
	require.Contains(t, ann.claim(nil), "/items/", "with the token the claim goes through")
}

func TestQueuePage(t *testing.T) {
	t.Parallel()
	s := setup(t)
	late := s.enqueue(t, "late invoice", "invoice", time.Now().Add(-time.Hour), dftype.Reason{Tier: "rules", Code: "low_confidence"})
	receipt := s.enqueue(t, "a receipt", "receipt", time.Now().Add(time.Hour),
		dftype.Reason{Tier: "rules", Code: "low_confidence"}, dftype.Reason{Tier: "gpt-4o", Code: "RateLimited"})
	b := s.browser(t)
	b.signIn("ann")

	rec := b.get("/")
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	require.Contains(t, body, late.DocumentName)
	require.Contains(t, body, receipt.DocumentName)
	require.Regexp(t, `(?s)<tr class="state-pending overdue">\s*<td><a href="/items/`+itoa(late.ID)+`"`, body, "overdue in red")
	require.NotRegexp(t, `(?s)overdue">\s*<td><a href="/items/`+itoa(receipt.ID)+`"`, body)
	require.Regexp(t, `low_confidence <strong>2</strong>`, body, "counts per reason")
	require.Regexp(t, `RateLimited <strong>1</strong>`, body)
	require.Contains(t, body, `hx-trigger="every 15s"`, "auto-refresh")
	require.Contains(t, body, `<noscript><meta http-equiv="refresh"`, "auto-refresh without JavaScript")

	for query, want := range map[string]*store.ReviewItem{
		"/?reason=RateLimited": receipt, "/?type=invoice": late, "/?type=receipt&state=pending": receipt,
	} {
		body := b.get(query).Body.String()
		require.Contains(t, body, want.DocumentName, query)
		other := late
		if want == late {
			other = receipt
		}
		require.NotContains(t, body, other.DocumentName, query)
	}

	path := b.claim(url.Values{"reason": {"RateLimited"}})
	require.Equal(t, "/items/"+itoa(receipt.ID), path, "claim next takes the form's filter")
	body = b.get("/?state=claimed").Body.String()
	require.Contains(t, body, receipt.DocumentName)
	require.Regexp(t, `<td>ann \(1[45]m left\)</td>`, body, "who holds what")
	require.NotContains(t, body, late.DocumentName)

	b.claim(nil)
	rec = b.post("/claim", nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Contains(t, b.get(rec.Header().Get("Location")).Body.String(), store.ErrQueueEmpty.Error())
}

// itemAt reads the item whose page is path.
func (s *site) itemAt(t *testing.T, path string) *store.ReviewItem {
	t.Helper()
	id, err := strconv.ParseInt(strings.TrimPrefix(path, "/items/"), 10, 64)
	require.NoError(t, err, path)
	it, err := s.st.ReviewItem(s.ctx, id)
	require.NoError(t, err)
	return it
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestUserHeader: behind an authenticating proxy, the reviewer is the one
// the configured header names; without it, the page asks for a sign-in.
func TestUserHeader(t *testing.T) {
	t.Parallel()
	s := setup(t, func(o *reviewweb.Options) { o.UserHeader = "X-Forwarded-User" })
	it := s.enqueue(t, "invoice 1", "invoice", time.Now().Add(time.Hour))
	carol := s.browser(t)
	carol.header = http.Header{"X-Forwarded-User": {"carol"}}
	rec := carol.get("/")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), "signed in as <strong>carol</strong>")
	require.Equal(t, "/items/"+itoa(it.ID), carol.claim(nil))
	got, err := s.st.ReviewItem(s.ctx, it.ID)
	require.NoError(t, err)
	require.Equal(t, "carol", got.ClaimedBy)

	rec = carol.post("/claim", url.Values{"csrf": {"forged"}})
	require.Equal(t, http.StatusForbidden, rec.Code, "CSRF tokens are still required")

	carol.header.Set("X-Forwarded-User", "carol; drop table")
	require.Equal(t, http.StatusForbidden, carol.get("/").Code)
	require.Equal(t, http.StatusSeeOther, s.browser(t).get("/").Code, "no header: sign in")

	plain := setup(t)
	mallory := plain.browser(t)
	mallory.header = http.Header{"X-Forwarded-User": {"ann"}}
	require.Equal(t, http.StatusSeeOther, mallory.get("/").Code, "the header counts only when configured")
}
