package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/url"

	"github.com/authwire/authwire/backends"
)

// guard is the backends.Guard: public routes pass; otherwise the chain
// must recognise the caller, whose identity is attached for the handlers.
// A WebSocket handshake on a WebSocket route passes even when the chain
// refuses it, with no identity attached: the socket handler accepts it and
// closes it at once with 4401, which a browser can see (it cannot see an
// HTTP 401 on an upgrade).
func (a *Auth) guard(x backends.Exchange) bool {
	path := x.Path() // once: on some routers it takes work
	if a.forward != nil && a.forward.serve(x, path) {
		return false
	}
	if a.flow != nil && a.flow.serve(x, path) {
		return false
	}
	if a.methods != nil && a.methods.serve(x, path) {
		return false
	}
	if pub := a.public.Load(); len(pub.src) > 0 && pub.match(path, x.RawPath(), a.folding) {
		// No mark: Guarded recognises a public route by its path, which
		// keeps public requests free of the request copy a mark costs.
		return true
	}
	id, err := a.identify(x)
	if err != nil {
		if a.passAnonymously(x, err) {
			a.attachAnonymous(x)
			return true
		}
		a.refuse(x, err)
		return false
	}
	if a.sessions != nil && id.SessionID == "" && id.Provider == "basic" && fromBrowser(x) {
		// A browser's Basic login starts a session too, so that
		// WebSockets and logout work from the cookie. A script, which
		// keeps no cookies, would only make a session per request.
		s, err := a.sessions.start(x.Context(), x, id)
		if err != nil {
			a.log.LogAttrs(x.Context(), slog.LevelError, "authwire: starting a session failed", slog.String("error", err.Error()))
		} else {
			id = id.Clone()
			id.SessionID, id.ExpiresAt = s.ID, timeOf(s.ExpiresAt)
		}
	}
	a.attach(x, id)
	return true
}

// attach hands id to the handlers, in the request's context and under
// LocalsKey. An exchange whose context is still context.Background()
// (Fiber's user context) and that can replace it gets the context made at
// New for a fixed user, which saves deriving one per request.
func (a *Auth) attach(x backends.Exchange, id *Identity) {
	if r, ok := x.(backends.ContextReplacer); ok {
		if ctx := a.fixedContexts[id]; ctx != nil && x.Context() == context.Background() {
			r.ReplaceContext(ctx)
			x.Attach(nil, LocalsKey, id)
			return
		}
	}
	x.Attach(identityKey{}, LocalsKey, id)
}

// attachAnonymous marks a request the guard lets through without an
// identity on an optional-auth or WebSocket route, so that the handlers
// authwire gives out can tell it from one that never met the guard (see
// Guarded). Like attach, it reuses a context made at New where the
// exchange allows.
func (a *Auth) attachAnonymous(x backends.Exchange) {
	if r, ok := x.(backends.ContextReplacer); ok && x.Context() == context.Background() {
		r.ReplaceContext(a.anonymous)
		return
	}
	x.Attach(guardedKey{}, "", a)
}

// identify runs the authenticator chain.
func (a *Auth) identify(x backends.Exchange) (*Identity, error) {
	for _, au := range a.chain {
		id, err := au.Authenticate(x)
		switch {
		case err == nil && id != nil:
			return id, nil
		case err == nil || errors.Is(err, ErrNoCredentials):
			continue
		case errors.Is(err, ErrBadCredentials), errors.Is(err, ErrMalformedCredentials), errors.Is(err, ErrCredentialsTooLarge):
			return nil, err
		default:
			a.log.LogAttrs(x.Context(), slog.LevelError, "authwire: authenticator failed", slog.String("error", err.Error()))
			return nil, ErrBadCredentials
		}
	}
	return nil, ErrNoCredentials
}

// passAnonymously reports whether a request the chain did not accept may
// still reach its handler without an identity: a WebSocket handshake on a
// WebSocket route, or any request on an optional-auth route whose credentials were
// missing or wrong (not malformed: that stays a 400).
func (a *Auth) passAnonymously(x backends.Exchange, err error) bool {
	if errors.Is(err, ErrMalformedCredentials) || errors.Is(err, ErrCredentialsTooLarge) {
		return false
	}
	path, raw := x.Path(), x.RawPath()
	if backends.IsWebSocketHandshake(x) && a.sockets.Load().match(path, raw, a.folding) {
		return true
	}
	return a.optional.Load().match(path, raw, a.folding)
}

// refuse answers a request the chain did not accept.
func (a *Auth) refuse(x backends.Exchange, err error) {
	switch {
	case errors.Is(err, ErrMalformedCredentials):
		send(x, a.replies.malformed)
	case errors.Is(err, ErrCredentialsTooLarge):
		send(x, a.replies.tooLarge)
	default:
		a.unauthenticated(x)
	}
}

// unauthenticated sends a browser to the login form when there is one,
// and answers everyone else 401 with the configured challenges.
func (a *Auth) unauthenticated(x backends.Exchange) {
	if login := a.browserLogin(); login != "" && wantsHTML(x) {
		next := x.Path()
		if q := x.Query(); q != "" {
			next += "?" + q
		}
		redirect(x, login+"?next="+url.QueryEscape(next))
		return
	}
	if a.challenge != "" {
		x.SetHeader("WWW-Authenticate", a.challenge)
	}
	x.AddHeader("Vary", "Authorization")
	send(x, a.replies.unauthenticated)
}

// browserLogin is where browsers that are not logged in are sent: the
// login form, else the login methods' start (one method's, or the page
// that lists several), else nowhere ("").
func (a *Auth) browserLogin() string {
	switch {
	case a.flow != nil && a.flow.form:
		return a.flow.path
	case a.methods != nil:
		return a.methods.loginPath
	}
	return ""
}
