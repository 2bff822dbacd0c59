package demo

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/url"
	"strings"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// maxFormBytes bounds the body of the demo's own forms: a handle and a
// CSRF token.
const maxFormBytes = 4 << 10

// checkForm guards a POST to one of the demo's own endpoints as authwire
// guards its logout: a browser request from another origin is refused
// (a.CheckCrossOrigin, the rules of the login form and logout), then the
// urlencoded body is read, at most maxFormBytes, and the session's CSRF
// token (a.CSRFToken) must come as its csrf_token field or in the
// X-CSRF-Token header. A caller without a session (Basic credentials)
// has no token and is refused too. It returns the form, or answers the
// request itself (403, 400, 413) and returns false.
func checkForm(a *auth.Auth, w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if err := a.CheckCrossOrigin(backends.HTTPExchange(w, r)); err != nil {
		refuse(w, r, http.StatusForbidden, "forbidden",
			"cross-origin request refused: this endpoint takes requests from pages of its own origin only")
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			refuse(w, r, http.StatusRequestEntityTooLarge, "too_large", "request body too large")
		} else {
			refuse(w, r, http.StatusBadRequest, "bad_request", "malformed form")
		}
		return nil, false
	}
	token := r.PostForm.Get("csrf_token")
	if token == "" {
		token = r.Header.Get("X-CSRF-Token")
	}
	want := a.CSRFToken(r.Context())
	if want == "" || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		refuse(w, r, http.StatusForbidden, "forbidden", "missing or invalid CSRF token; reload the page and try again")
		return nil, false
	}
	return r.PostForm, true
}

// wantsHTML reports whether r is a browser's navigation (it accepts
// text/html and is not a script saying so with X-Requested-With), which
// is answered with pages and redirects rather than JSON and 204.
func wantsHTML(r *http.Request) bool {
	return r.Header.Get("X-Requested-With") == "" && strings.Contains(r.Header.Get("Accept"), "text/html")
}

// refuse answers r with an error: a short page with the demo's page
// headers for a browser, else authwire's JSON error shape,
// {"error":{"code":…,"message":…}}. Neither is cached.
func refuse(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	if wantsHTML(r) {
		setHeaders(w, Config{}.PageHeaders()) // a page with no form but a link
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		title := html.EscapeString(http.StatusText(status))
		_, _ = w.Write([]byte("<!doctype html><meta charset=utf-8><title>" + title + "</title><h1>" + title + "</h1><p>" +
			html.EscapeString(message) + `</p><p><a href="/sessions">Back to your sessions</a></p>` + "\n"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]map[string]string{"error": {"code": code, "message": message}})
}

// setHeaders sets headers on w.
func setHeaders(w http.ResponseWriter, headers [][2]string) {
	for _, h := range headers {
		w.Header().Set(h[0], h[1])
	}
}
