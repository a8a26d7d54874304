// Package reviewweb is the review web page of `starter review serve`: the
// queue, an item beside its document, and the reviewer's actions, which go
// through the same paths as the CLI (the store's claims and leases, and
// client.Submitter's Review Update, whose validator checks the fields).
// Reviewers sign in with accounts kept in Postgres; pages are rendered on
// the server and every form posts without JavaScript.
package reviewweb

import (
	"crypto/rand"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/dataforge/dataforge/client"
)

//go:embed templates/*.html
var templateFS embed.FS

// static holds the page's script and style and the vendored htmx and
// pdf.js (see static/VERSIONS).
//
//go:embed static
var static embed.FS

// DefaultLease is how long a claim from the page holds.
const DefaultLease = 15 * time.Minute

// Options configure a Server.
type Options struct {
	// Submitter reaches Postgres and Temporal; its UIURL and Namespace make
	// the links to the Temporal UI.
	Submitter *client.Submitter
	// SessionKey signs the session cookies; nil draws a random key, so a
	// restart signs everyone out.
	SessionKey []byte
	// Insecure leaves the Secure attribute off the session cookie, for
	// plain HTTP that is not on a loopback address browsers trust.
	Insecure bool
	// Lease is how long a claim holds (DefaultLease when zero).
	Lease time.Duration
	// UserHeader, when set, names the request header in which a reverse
	// proxy that authenticated the reviewer passes their name; a request
	// with it needs no sign-in. Only for a server that nothing but the proxy
	// can reach, since anyone else could send the header too.
	UserHeader string
}

// Server serves the review page.
type Server struct {
	sub        *client.Submitter
	key        []byte
	userHeader string
	secure     bool
	lease      time.Duration
	pages      map[string]*template.Template
	handler    http.Handler
}

// New builds a Server.
func New(o Options) (*Server, error) {
	if o.Submitter == nil || o.Submitter.Store == nil {
		return nil, errors.New("reviewweb: a Submitter with a Store is required")
	}
	s := &Server{sub: o.Submitter, key: o.SessionKey, secure: !o.Insecure, lease: o.Lease, userHeader: o.UserHeader}
	if len(s.key) == 0 {
		s.key = make([]byte, 32)
		_, _ = rand.Read(s.key)
	}
	if s.lease <= 0 {
		s.lease = DefaultLease
	}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	staticFS, _ := fs.Sub(static, "static")
	files := http.FileServerFS(staticFS)

	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", withModuleType(files)))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /{$}", signedIn(s.queue))
	mux.HandleFunc("POST /claim", signedIn(s.claim))
	mux.HandleFunc("GET /items/{id}", signedIn(s.itemPage))
	mux.HandleFunc("GET /items/{id}/document", signedIn(s.document))
	mux.HandleFunc("POST /items/{id}/submit", signedIn(s.submit))
	mux.HandleFunc("POST /items/{id}/reject", signedIn(s.reject))
	mux.HandleFunc("POST /items/{id}/release", signedIn(s.release))
	mux.HandleFunc("POST /items/{id}/extend", signedIn(s.extend))
	s.handler = securityHeaders(s.withSession(s.checkCSRF(mux)))
	return s, nil
}

// ServeHTTP serves the page.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// contentSecurityPolicy allows our own scripts and styles only; pdf.js
// runs its worker from /static and may compile its WebAssembly decoders.
const contentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data: blob:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// withModuleType serves .mjs files (pdf.js) as JavaScript, which module
// scripts require whatever the system's MIME table says.
func withModuleType(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".mjs") {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		}
		w.Header().Set("Cache-Control", "max-age=3600")
		next.ServeHTTP(w, r)
	})
}
