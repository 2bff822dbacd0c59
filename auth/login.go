package auth

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"

	"github.com/authwire/authwire/backends"
)

//go:embed templates/login.html
var loginHTML string

// loginCSRFCookie holds the random value the login form's token is bound to.
const loginCSRFCookie = "authwire_login"

// logoutMarkerCookie tells the guard that this browser logged out while
// it may still hold cached Basic credentials (see basicRechallenge).
const logoutMarkerCookie = "authwire_logged_out"

// loginFlow serves the login form, takes its posts and serves logout.
type loginFlow struct {
	path, logoutPath string
	title            string
	tmpl             *template.Template
	allowedHosts     []string
	maxBody          int
	form             bool          // the form is on; otherwise only logout, and the list of several login methods
	methods          *loginMethods // the login methods the page lists; nil without
	sessions         *sessionManager
	passwords        *passwordCheck
	origins          *originCheck // refuses cross-origin posts
	replies          replies
}

func newLoginFlow(cfg *LoginConfig, realm string, sm *sessionManager, pc *passwordCheck) (*loginFlow, error) {
	f := &loginFlow{
		path: "/login", logoutPath: "/logout", title: realm, maxBody: 8 << 10,
		tmpl:     template.Must(template.New("login").Parse(loginHTML)),
		sessions: sm, passwords: pc, replies: newReplies(),
	}
	if cfg == nil {
		return f, nil
	}
	f.form = true
	if cfg.Path != "" {
		f.path = cfg.Path
	}
	if cfg.LogoutPath != "" {
		f.logoutPath = cfg.LogoutPath
	}
	for _, p := range []string{f.path, f.logoutPath} {
		if len(p) < 2 || p[0] != '/' || safeRedirect(p, nil, "") != p {
			return nil, fmt.Errorf("%w: login and logout paths must be plain absolute paths such as /login", ErrInvalidConfig)
		}
	}
	if f.path == f.logoutPath {
		return nil, fmt.Errorf("%w: the login and logout paths must differ", ErrInvalidConfig)
	}
	if cfg.Title != "" {
		f.title = cfg.Title
	}
	f.allowedHosts = cfg.AllowedRedirectHosts
	if cfg.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("%w: negative MaxBodyBytes", ErrInvalidConfig)
	}
	if cfg.MaxBodyBytes > 0 {
		f.maxBody = cfg.MaxBodyBytes
	}
	if cfg.Template != nil {
		f.tmpl = cfg.Template
	}
	return f, nil
}

// serve handles x, whose path is p, if it is for the login or logout
// path, and reports whether it did.
func (f *loginFlow) serve(x backends.Exchange, p string) bool {
	switch {
	case p == f.path && (f.form || f.methods.several()):
		switch m := x.Method(); {
		case m == http.MethodGet || m == http.MethodHead:
			f.page(x)
		case m == http.MethodPost && f.form:
			if !f.origins.refuse(x) {
				f.submit(x)
			}
		case f.form:
			methodNotAllowed(x, "GET, HEAD, POST")
		default:
			methodNotAllowed(x, "GET, HEAD")
		}
		return true
	case p == f.logoutPath:
		if x.Method() != http.MethodPost {
			methodNotAllowed(x, "POST")
			return true
		}
		if !f.origins.refuse(x) {
			f.logout(x)
		}
		return true
	}
	return false
}

// page answers GET on the login path: the login page, or with ?idp= a
// redirect to that login method.
func (f *loginFlow) page(x backends.Exchange) {
	if q, err := url.ParseQuery(x.Query()); err == nil && q.Has("idp") {
		m := f.methods.named(q.Get("idp"))
		if m == nil {
			send(x, f.replies.unknownMethod)
			return
		}
		redirect(x, m.info.StartPath+"?next="+url.QueryEscape(f.next(f.requestedNext(x))))
		return
	}
	f.showForm(x, f.requestedNext(x), "", "", http.StatusOK)
}

// showForm renders the login page: the form, with a CSRF token bound to a
// random cookie, which is made if the browser has none yet, and the login
// methods' entries. Without the form it lists the methods alone.
func (f *loginFlow) showForm(x backends.Exchange, next, user, message string, status int) {
	view := LoginPage{Title: f.title, Next: f.next(next), User: user, Error: message}
	if f.form {
		bind := x.Cookie(loginCSRFCookie)
		if len(bind) < 32 {
			var err error
			if bind, err = newSessionID(); err != nil {
				send(x, f.replies.internal)
				return
			}
			x.SetCookie(f.sessions.cookie(loginCSRFCookie, bind, 3600, http.SameSiteStrictMode))
		}
		view.Action, view.CSRFToken = f.path, csrfToken("login", bind)
	}
	if f.methods != nil {
		for _, m := range f.methods.list {
			view.Methods = append(view.Methods, LoginLink{
				Name:  m.info.Name,
				Label: m.info.Label,
				URL:   m.info.StartPath + "?next=" + url.QueryEscape(view.Next),
			})
		}
		view.SSO, view.SSOName = view.Methods[0].URL, view.Methods[0].Label
	}
	var buf bytes.Buffer
	if err := f.tmpl.Execute(&buf, view); err != nil {
		f.sessions.log.Error("authwire: rendering the login page failed", "error", err)
		send(x, f.replies.internal)
		return
	}
	x.SetHeader("Cache-Control", "no-store")
	x.SetHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	x.SetHeader("X-Frame-Options", "DENY")
	x.Write(status, "text/html; charset=utf-8", buf.Bytes())
}

// requestedNext is where a browser asking for the form wants to go
// afterwards: the "next" query parameter the guard's redirect carries, or
// else the page that linked to the form.
func (f *loginFlow) requestedNext(x backends.Exchange) string {
	if q, err := url.ParseQuery(x.Query()); err == nil && q.Get("next") != "" {
		return q.Get("next")
	}
	return x.Header("Referer")
}

// next validates a redirect target, falling back to the site root. A
// "next" pointing back at the login or logout page is dropped too.
func (f *loginFlow) next(next string) string { return f.nextWith(next, nil) }

// nextWith is next with moreHosts allowed besides LoginConfig's.
func (f *loginFlow) nextWith(next string, moreHosts []string) string {
	hosts := f.allowedHosts
	if len(moreHosts) > 0 {
		hosts = append(slices.Clip(hosts), moreHosts...)
	}
	n := safeRedirect(next, hosts, "/")
	if u, err := url.Parse(n); err == nil && u.Host == "" && (u.Path == f.path || u.Path == f.logoutPath) {
		return "/"
	}
	return n
}

// submit takes a posted login form.
func (f *loginFlow) submit(x backends.Exchange) {
	form, ok := f.readForm(x)
	if !ok {
		return
	}
	if !csrfValid("login", x.Cookie(loginCSRFCookie), form.Get("csrf_token")) {
		send(x, f.replies.csrf)
		return
	}
	user, password, next := form.Get("username"), form.Get("password"), form.Get("next")
	id, err := f.passwords.check(x, []byte(user), []byte(password), "form")
	if err != nil {
		f.showForm(x, next, user, "Invalid user name or password.", http.StatusUnauthorized)
		return
	}
	if _, err := f.sessions.login(x, id); err != nil {
		f.sessions.log.Error("authwire: starting a session failed", "error", err)
		send(x, f.replies.internal)
		return
	}
	redirect(x, f.next(next))
}

// logout ends the caller's session: the session is revoked (so a copy of
// the cookie is useless), its cookie cleared, and, for Basic users, a
// marker set so the browser's cached credentials are challenged once more.
func (f *loginFlow) logout(x backends.Exchange) {
	ctx := x.Context()
	id, err := f.sessions.Authenticate(x)
	if err != nil {
		// Nothing to end; still clear what the browser holds.
		f.sessions.clearCookie(x)
		f.afterLogout(x, "", "")
		return
	}
	form, ok := f.readForm(x)
	if !ok {
		return
	}
	token := form.Get("csrf_token")
	if token == "" {
		token = x.Header("X-CSRF-Token")
	}
	if !csrfValid("logout", id.SessionID, token) {
		send(x, f.replies.csrf)
		return
	}
	if err := f.sessions.revoke(ctx, id.SessionID, id.User, id.ExpiresAt); err != nil {
		f.sessions.log.Error("authwire: revoking a session failed", "error", err)
		send(x, f.replies.internal)
		return
	}
	_ = f.sessions.store.Delete(ctx, &Session{ID: id.SessionID})
	f.sessions.clearCookie(x)
	if id.Provider == "basic" {
		x.SetCookie(f.sessions.cookie(logoutMarkerCookie, "1", int(f.sessions.lifetime.Seconds()), http.SameSiteLaxMode))
	}
	// Only now, with the session ended here, may the login method that
	// started it end it at its source too.
	var location string
	if m := f.methods.named(id.Provider); m != nil {
		if e, ok := m.method.(SessionEnder); ok {
			location = e.EndSession(x, id)
		}
	}
	f.afterLogout(x, form.Get("next"), location)
}

// afterLogout sends browsers on (to location when a login method gave
// one, else to next, or the login page) and tells API callers 204.
func (f *loginFlow) afterLogout(x backends.Exchange, next, location string) {
	if !wantsHTML(x) && x.Header("Content-Type") != "application/x-www-form-urlencoded" {
		x.SetHeader("Cache-Control", "no-store")
		x.Write(http.StatusNoContent, "text/plain; charset=utf-8", nil)
		return
	}
	target := "/"
	switch {
	case location != "":
		target = location
	case next != "":
		target = f.next(next)
	case f.form:
		target = f.path
	}
	redirect(x, target)
}

// readForm reads an urlencoded body of at most maxBody bytes, answering
// 413 or 400 itself when it cannot.
func (f *loginFlow) readForm(x backends.Exchange) (url.Values, bool) {
	body, err := x.Body(f.maxBody)
	switch {
	case errors.Is(err, backends.ErrBodyTooLarge):
		send(x, f.replies.bodyTooLarge)
		return nil, false
	case err != nil:
		send(x, f.replies.badForm)
		return nil, false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		send(x, f.replies.badForm)
		return nil, false
	}
	return form, true
}

// LoginLink is one login method's entry on the login page: the page's
// template (LoginConfig.Template) finds the entries as [LoginPage].Methods.
type LoginLink struct {
	Name  string // the method's name (LoginInfo.Name), as in ?idp=<Name>
	Label string // its label (LoginInfo.Label)
	URL   string // its StartPath, with the validated next
}

// redirect answers 303 See Other to location.
func redirect(x backends.Exchange, location string) {
	x.SetHeader("Location", location)
	x.SetHeader("Cache-Control", "no-store")
	x.Write(http.StatusSeeOther, "text/plain; charset=utf-8", nil)
}

func methodNotAllowed(x backends.Exchange, allow string) {
	x.SetHeader("Allow", allow)
	send(x, newReply(http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed"))
}
