package reviewweb

import (
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
)

// parsePages parses each page with the layout it fills.
func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"age":     func(t time.Time) string { return humanDuration(time.Since(t)) },
		"until":   func(t time.Time) string { return humanDuration(time.Until(t)) },
		"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"codes":   func(rs []dftype.Reason) string { return strings.Join(dftype.ReasonCodes(rs), ", ") },
		"overdue": func(it *store.ReviewItem) bool {
			return open(it) && time.Now().After(it.DueAt)
		},
	}
	pages := map[string]*template.Template{}
	for _, name := range []string{"login", "queue", "item"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("reviewweb: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// open says whether an item is still waiting for a decision.
func open(it *store.ReviewItem) bool {
	return it.State == store.ReviewPending || it.State == store.ReviewClaimed
}

// humanDuration rounds d for a person: 42s, 17m, 5h10m, 3d4h.
func humanDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		s = fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		s = fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
	}
	if neg {
		return "-" + s
	}
	return s
}

// page is what every page's layout reads.
type page struct {
	Title    string
	Reviewer string
	CSRF     string
	Flash    string
	Error    string
}

func (s *Server) page(r *http.Request, title string) page {
	ss := sessionOf(r)
	return page{Title: title, Reviewer: ss.Reviewer, CSRF: s.csrfToken(ss)}
}

// render writes a page with status.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.pages[name].Execute(w, data); err != nil {
		slog.Error("review page", "page", name, "err", err)
	}
}

// fail answers a request that went wrong outside any form.
func fail(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, store.ErrNotHolder), errors.Is(err, store.ErrClosed):
		status = http.StatusConflict
	}
	if status == http.StatusInternalServerError {
		// The details go to the log, not to the browser.
		slog.Error("review page", "err", err)
		http.Error(w, "internal error: see the server's log", status)
		return
	}
	http.Error(w, err.Error(), status)
}

type loginData struct {
	page
	Next string
	Name string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "login", loginData{page: s.page(r, "Sign in"), Next: localPath(r.URL.Query().Get("next"))})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	name, password := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	next := localPath(r.PostFormValue("next"))
	if !s.authenticate(r.Context(), name, password) {
		d := loginData{page: s.page(r, "Sign in"), Next: next, Name: name}
		d.Error = "wrong name or password"
		s.render(w, http.StatusUnauthorized, "login", d)
		return
	}
	// A new session id on sign-in: a token seen before it is worth nothing.
	s.setSession(w, newSession(name))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.setSession(w, newSession(""))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// queueData is the queue page.
type queueData struct {
	page
	Filter  store.ReviewFilter
	Items   []*store.ReviewItem
	Counts  []store.ReasonCount
	States  []string
	Types   []schema.DocType
	Self    string // this page with its filters, for the auto-refresh
	Refresh int    // seconds
}

// queueLimit is how many items the queue page lists.
const queueLimit = 200

func (s *Server) queue(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.ReviewFilter{State: q.Get("state"), DocType: q.Get("type"), Reason: q.Get("reason"), Limit: queueLimit}
	d := queueData{page: s.page(r, "Review queue"), Filter: f, Self: r.URL.RequestURI(), Refresh: 15,
		States: []string{store.ReviewPending, store.ReviewClaimed, store.ReviewCompleted, store.ReviewRejected, store.ReviewRedriven},
		Types:  schema.Types}
	d.Flash = q.Get("done")
	if q.Get("empty") != "" {
		d.Error = store.ErrQueueEmpty.Error()
	}
	var err error
	if d.Items, err = s.sub.Store.ListReview(r.Context(), f); err != nil {
		fail(w, err)
		return
	}
	if d.Counts, err = s.sub.Store.OpenReasonCounts(r.Context()); err != nil {
		fail(w, err)
		return
	}
	s.render(w, http.StatusOK, "queue", d)
}

// claim claims the most urgent pending item (of the type and reason the
// form names) for the signed-in reviewer and opens it.
func (s *Server) claim(w http.ResponseWriter, r *http.Request) {
	f := store.ClaimFilter{DocType: r.PostFormValue("type"), Reason: r.PostFormValue("reason")}
	it, err := s.sub.Store.Claim(r.Context(), sessionOf(r).Reviewer, s.lease, f)
	if errors.Is(err, store.ErrQueueEmpty) {
		http.Redirect(w, r, "/?empty=1&state=pending", http.StatusSeeOther)
		return
	}
	if err != nil {
		fail(w, err)
		return
	}
	http.Redirect(w, r, itemPath(it.ID), http.StatusSeeOther)
}

func itemPath(id int64) string { return "/items/" + strconv.FormatInt(id, 10) }
