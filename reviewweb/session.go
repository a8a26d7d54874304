package reviewweb

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// cookieName is the session cookie's name.
const cookieName = "dataforge_review"

// sessionTTL is how long a sign-in lasts.
const sessionTTL = 12 * time.Hour

// MinPasswordLength is the shortest password HashPassword accepts.
const MinPasswordLength = 10

// validName is what a reviewer's name may be made of.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// CheckName says why name cannot be a reviewer's account name, if it cannot.
func CheckName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("reviewer name %q: use 1 to 64 letters, digits, '.', '_', '@' or '-'", name)
	}
	return nil
}

// HashPassword checks a new password's length and returns its bcrypt hash.
func HashPassword(password string) ([]byte, error) {
	if len(password) < MinPasswordLength {
		return nil, fmt.Errorf("the password needs at least %d characters", MinPasswordLength)
	}
	return bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
}

// session is what the signed cookie holds: a random id (the CSRF token is
// derived from it) and the reviewer once signed in.
type session struct {
	ID       string `json:"id"`
	Reviewer string `json:"reviewer,omitempty"`
	Expires  int64  `json:"exp"`
}

type sessionKey struct{}

// sessionOf returns the request's session, set by withSession.
func sessionOf(r *http.Request) *session { return r.Context().Value(sessionKey{}).(*session) }

func newSession(reviewer string) *session {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return &session{ID: hex.EncodeToString(b[:]), Reviewer: reviewer, Expires: time.Now().Add(sessionTTL).Unix()}
}

func (s *Server) sign(payload []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(payload)
	return m.Sum(nil)
}

// encode is the cookie value of a session: payload.signature, base64url.
func (s *Server) encode(ss *session) string {
	payload, _ := json.Marshal(ss)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(s.sign(payload))
}

// decode verifies a cookie value and returns its session.
func (s *Server) decode(value string) (*session, error) {
	p, sig, ok := strings.Cut(value, ".")
	if !ok {
		return nil, errors.New("malformed session")
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p)
	mac, err2 := enc.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.sign(payload)) {
		return nil, errors.New("bad session signature")
	}
	var ss session
	if err := json.Unmarshal(payload, &ss); err != nil {
		return nil, err
	}
	if time.Now().Unix() > ss.Expires {
		return nil, errors.New("session expired")
	}
	return &ss, nil
}

// setSession writes the session cookie: HttpOnly, SameSite=Strict, Secure
// unless the server was told the page is served without TLS.
func (s *Server) setSession(w http.ResponseWriter, ss *session) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: s.encode(ss), Path: "/", Expires: time.Unix(ss.Expires, 0),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode,
	})
}

// withSession gives every request a session: the cookie's, or a new
// anonymous one (so the sign-in form has a CSRF token too). With a user
// header configured, the reviewer the proxy names is the session's.
func (s *Server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ss *session
		if c, err := r.Cookie(cookieName); err == nil {
			ss, _ = s.decode(c.Value)
		}
		if ss == nil {
			ss = newSession("")
			s.setSession(w, ss)
		}
		if s.userHeader != "" {
			if name := r.Header.Get(s.userHeader); name != "" {
				if err := CheckName(name); err != nil {
					http.Error(w, "the proxy's "+s.userHeader+": "+err.Error(), http.StatusForbidden)
					return
				}
				ss = &session{ID: ss.ID, Reviewer: name, Expires: ss.Expires}
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, ss)))
	})
}

// csrfToken is the token every form of a session carries.
func (s *Server) csrfToken(ss *session) string {
	return base64.RawURLEncoding.EncodeToString(s.sign([]byte("csrf\x00" + ss.ID)))
}

// checkCSRF refuses a POST whose form lacks the session's token.
func (s *Server) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			want := s.csrfToken(sessionOf(r))
			if got := r.PostFormValue("csrf"); !hmac.Equal([]byte(got), []byte(want)) {
				http.Error(w, "the form's CSRF token is missing or wrong: reload the page and try again", http.StatusForbidden)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// signedIn sends visitors who have not signed in to the sign-in page.
func signedIn(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if sessionOf(r).Reviewer == "" {
			if r.Method != http.MethodGet {
				http.Error(w, "sign in first", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		next(w, r)
	}
}

// dummyHash is compared against when the name is unknown, so that a wrong
// name costs as long as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no such reviewer"), bcrypt.DefaultCost)

// authenticate checks a name and password against the reviewers table.
func (s *Server) authenticate(ctx context.Context, name, password string) bool {
	hash, err := s.sub.Store.ReviewerPasswordHash(ctx, name)
	if err != nil {
		hash = dummyHash
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil && err == nil
}

// localPath returns next when it is a path on this site, else "/".
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
