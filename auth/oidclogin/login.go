package oidclogin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// loginState is what the state cookie carries from LoginPath to the
// callback.
type loginState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
}

// start sends the browser to the provider, with a fresh state, nonce and
// PKCE verifier sealed in a cookie that only the callback sees.
func (p *Provider) start(x backends.Exchange) {
	if m := x.Method(); m != http.MethodGet && m != http.MethodHead {
		methodNotAllowed(x, "GET, HEAD")
		return
	}
	meta, err := p.provider(x.Context())
	if err != nil {
		p.unreachable(x, err)
		return
	}
	next := "/"
	if q, err := url.ParseQuery(x.Query()); err == nil {
		next = p.sessions.SafeRedirect(q.Get("next"), p.cfg.AllowedRedirectHosts)
	}
	login := loginState{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Next: next}
	sealed, err := p.sealer.Encode(p.stateCookie, login)
	if err != nil {
		p.failed(x, "sealing the state cookie", err)
		return
	}
	x.SetCookie(p.stateCookieWith(sealed, int(stateTTL/time.Second)))
	redirect(x, meta.oauth.AuthCodeURL(login.State, oidc.Nonce(login.Nonce), oauth2.S256ChallengeOption(login.Verifier)))
}

// stateCookieWith is the state cookie holding value, scoped to the
// callback.
func (p *Provider) stateCookieWith(value string, maxAge int) *http.Cookie {
	c := p.sessions.Cookie(p.stateCookie, value, maxAge)
	c.Path = p.callbackPath
	return c
}

// callback finishes a login: it checks the state, exchanges the code
// (with the PKCE verifier), verifies the ID token and its nonce, and
// starts a session.
func (p *Provider) callback(x backends.Exchange) {
	if x.Method() != http.MethodGet {
		methodNotAllowed(x, "GET")
		return
	}
	ctx := x.Context()
	var login loginState
	sealed := x.Cookie(p.stateCookie)
	x.SetCookie(p.stateCookieWith("", -1)) // one use only, whatever happens
	if sealed == "" || p.sealer.Decode(p.stateCookie, sealed, &login) != nil {
		badLogin(x)
		return
	}
	q, err := url.ParseQuery(x.Query())
	switch {
	case err != nil, subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(login.State)) != 1:
		badLogin(x)
		return
	case q.Get("error") != "":
		p.sessions.Logger().LogAttrs(ctx, slog.LevelInfo, "authwire: the OIDC provider refused a login",
			slog.String("provider", p.cfg.Name), slog.String("error", q.Get("error")))
		refused(x)
		return
	case q.Get("code") == "":
		badLogin(x)
		return
	}
	meta, err := p.provider(ctx)
	if err != nil {
		p.unreachable(x, err)
		return
	}
	claims, tok, rawIDToken, err := p.exchange(ctx, meta, q.Get("code"), login)
	if err != nil {
		p.refuse(x, err)
		return
	}
	user, err := p.userName(claims)
	if err != nil {
		p.refuse(x, err)
		return
	}
	// The session's record keeps the provider's session, where a
	// back-channel logout finds it: the sid claim, or for a provider
	// that names no sessions, the subject.
	if sid, _ := claims["sid"].(string); sid == "" {
		delete(claims, "sid")
		if sub, _ := claims["sub"].(string); sub != "" {
			claims["sid"] = subjectSession(sub)
		}
	}
	id, err := p.sessions.Start(x, &auth.Identity{User: user, Groups: claimStrings(claims[p.cfg.GroupsClaim]),
		Sections: claimStrings(claims[p.cfg.SectionsClaim]), Claims: claims})
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		p.refuse(x, err)
		return
	case err != nil:
		p.failed(x, "starting a session", err)
		return
	}
	if meta.endSession != "" {
		p.keepIDToken(x, id, rawIDToken)
	}
	p.keepTokens(x, id, tok, claims)
	redirect(x, p.sessions.SafeRedirect(login.Next, p.cfg.AllowedRedirectHosts))
}

// exchange trades the code for tokens and returns the claims of the
// verified ID token, the token response and the ID token itself.
func (p *Provider) exchange(ctx context.Context, meta *metadata, code string, login loginState) (map[string]any, *oauth2.Token, string, error) {
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, p.client), 10*time.Second)
	defer cancel()
	tok, err := meta.oauth.Exchange(ctx, code, oauth2.VerifierOption(login.Verifier))
	if err != nil {
		return nil, nil, "", fmt.Errorf("exchanging the code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, nil, "", errors.New("the token response has no id_token")
	}
	idt, err := meta.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, nil, "", fmt.Errorf("verifying the ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(login.Nonce)) != 1 {
		return nil, nil, "", errors.New("the ID token's nonce is not this login's")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, nil, "", fmt.Errorf("reading the ID token's claims: %w", err)
	}
	return claims, tok, raw, nil
}

// unreachable answers 502 for a provider that cannot be reached.
func (p *Provider) unreachable(x backends.Exchange, err error) {
	p.sessions.Logger().LogAttrs(x.Context(), slog.LevelError, "authwire: the OIDC provider cannot be reached",
		slog.String("provider", p.cfg.Name), slog.String("error", err.Error()))
	auth.WriteError(x, http.StatusBadGateway, "unavailable", "the identity provider cannot be reached; try again later")
}

// refuse answers 401 for a login the provider's answer does not allow.
func (p *Provider) refuse(x backends.Exchange, err error) {
	p.sessions.Logger().LogAttrs(x.Context(), slog.LevelWarn, "authwire: an OIDC login failed",
		slog.String("provider", p.cfg.Name), slog.String("error", err.Error()))
	refused(x)
}

// failed answers 500 for a failure of this server.
func (p *Provider) failed(x backends.Exchange, what string, err error) {
	p.sessions.Logger().LogAttrs(x.Context(), slog.LevelError, "authwire: "+what+" failed",
		slog.String("provider", p.cfg.Name), slog.String("error", err.Error()))
	auth.WriteError(x, http.StatusInternalServerError, "internal", "internal error")
}

// refused answers 401 for a login that did not succeed.
func refused(x backends.Exchange) {
	auth.WriteError(x, http.StatusUnauthorized, "unauthenticated", "the sign-in was refused; start it again or ask an administrator")
}

// badLogin answers 400 for a callback that cannot be this browser's.
func badLogin(x backends.Exchange) {
	auth.WriteError(x, http.StatusBadRequest, "bad_request", "the sign-in could not be completed; start it again")
}

func methodNotAllowed(x backends.Exchange, allow string) {
	x.SetHeader("Allow", allow)
	auth.WriteError(x, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed")
}

// redirect answers 303 See Other to location.
func redirect(x backends.Exchange, location string) {
	x.SetHeader("Location", location)
	x.SetHeader("Cache-Control", "no-store")
	x.Write(http.StatusSeeOther, "text/plain; charset=utf-8", nil)
}

// random returns 32 random bytes, base64url-encoded.
func random() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
