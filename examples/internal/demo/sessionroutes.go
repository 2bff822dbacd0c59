package demo

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// sessionRoutes serve a logged-in user's sessions, the same on every
// backend (they are mounted through a [backends.Router]):
//
//   - GET /sessions, the page: each session (provider, when it started
//     and was last seen, client, user agent, "this session") with a
//     button that revokes it, and a "log out everywhere" button;
//   - GET /api/sessions, the same list as JSON;
//   - POST /sessions/revoke (form field handle) ends one of the caller's
//     own sessions: its cookie is refused and its sockets close with
//     4401; a handle that is not one of the caller's sessions is 404;
//   - POST /sessions/revoke-all ends every session of the caller
//     (auth.Auth.RevokeUser), this one too, and sends the browser to the
//     login page.
//
// The POSTs are guarded by [checkForm]: same origin and the session's
// CSRF token, as authwire's logout. A browser's form post is answered
// with a redirect (303), a script's with 204.
type sessionRoutes struct {
	a         *auth.Auth
	log       *slog.Logger
	loginPage string      // where revoke-all sends the browser; "" for /
	headers   [][2]string // the page's headers (Config.PageHeaders)
}

// mount serves the routes on r.
func (s *sessionRoutes) mount(r backends.Router) {
	r.Handle("GET /sessions", http.HandlerFunc(s.page))
	r.Handle("GET /api/sessions", http.HandlerFunc(s.list))
	r.Handle("POST /sessions/revoke", http.HandlerFunc(s.revoke))
	r.Handle("POST /sessions/revoke-all", http.HandlerFunc(s.revokeAll))
}

// sessions lists the caller's sessions, or answers 500 itself.
func (s *sessionRoutes) sessions(w http.ResponseWriter, r *http.Request) ([]auth.SessionInfo, bool) {
	list, err := s.a.Sessions(r.Context(), auth.FromContext(r.Context()).User)
	if err != nil {
		s.log.Error("listing a user's sessions failed", "error", err)
		refuse(w, r, http.StatusServiceUnavailable, "unavailable", "the sessions cannot be listed now; try again later")
		return nil, false
	}
	return list, true
}

// page serves GET /sessions.
func (s *sessionRoutes) page(w http.ResponseWriter, r *http.Request) {
	list, ok := s.sessions(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	setHeaders(w, s.headers)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(renderSessions(auth.FromContext(ctx), s.a.CSRFToken(ctx), list))
}

// list serves GET /api/sessions: {"user": …, "sessions": [auth.SessionInfo…]}.
func (s *sessionRoutes) list(w http.ResponseWriter, r *http.Request) {
	list, ok := s.sessions(w, r)
	if !ok {
		return
	}
	if list == nil {
		list = []auth.SessionInfo{}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"user": auth.FromContext(r.Context()).User, "sessions": list})
}

// revoke serves POST /sessions/revoke.
func (s *sessionRoutes) revoke(w http.ResponseWriter, r *http.Request) {
	form, ok := checkForm(s.a, w, r)
	if !ok {
		return
	}
	handle := form.Get("handle")
	if handle == "" {
		refuse(w, r, http.StatusBadRequest, "bad_request", "the form names no session (field handle)")
		return
	}
	id := auth.FromContext(r.Context())
	switch err := s.a.RevokeSession(r.Context(), id.User, handle); {
	case errors.Is(err, auth.ErrNoSession):
		refuse(w, r, http.StatusNotFound, "not_found", "you have no such session; it may have ended already")
		return
	case err != nil:
		s.log.Error("revoking a session failed", "user", id.User, "error", err)
		refuse(w, r, http.StatusServiceUnavailable, "unavailable", "the session could not be revoked; try again later")
		return
	}
	next := "/sessions"
	if handle == auth.SessionHandle(id.SessionID) {
		next = s.afterLogout()
	}
	s.done(w, r, next)
}

// revokeAll serves POST /sessions/revoke-all.
func (s *sessionRoutes) revokeAll(w http.ResponseWriter, r *http.Request) {
	if _, ok := checkForm(s.a, w, r); !ok {
		return
	}
	user := auth.FromContext(r.Context()).User
	switch err := s.a.RevokeUser(r.Context(), user); {
	case errors.Is(err, auth.ErrCannotRevokeUsers):
		refuse(w, r, http.StatusNotImplemented, "not_implemented",
			"this demo's revocation list cannot end every session of a user; revoke them one by one")
		return
	case err != nil:
		s.log.Error("revoking every session of a user failed", "user", user, "error", err)
		refuse(w, r, http.StatusServiceUnavailable, "unavailable", "the sessions could not be revoked; try again later")
		return
	}
	s.done(w, r, s.afterLogout())
}

// afterLogout is where a browser goes once its own session has ended.
func (s *sessionRoutes) afterLogout() string {
	if s.loginPage == "" {
		return "/"
	}
	return s.loginPage
}

// done answers a POST that did its work: a browser is sent to next, a
// script gets 204.
func (s *sessionRoutes) done(w http.ResponseWriter, r *http.Request, next string) {
	w.Header().Set("Cache-Control", "no-store")
	if wantsHTML(r) {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
