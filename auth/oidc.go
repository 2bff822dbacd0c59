package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gorilla/securecookie"
	"golang.org/x/oauth2"

	"github.com/authwire/authwire/backends"
)

// OIDCConfig configures login with an OpenID Connect provider
// ([WithOIDC]). Zero fields take the defaults given.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (https, or http on a loopback
	// host for development); its discovery document is fetched at the
	// first login and kept. Required.
	Issuer string
	// ClientID and ClientSecret are the client's credentials at the
	// provider. ClientID is required; a public client has no secret.
	ClientID, ClientSecret string
	// RedirectURL is the callback URL registered at the provider, such as
	// https://app.example.com/oidc/callback; authwire serves its path. It
	// comes from configuration only, never from a request's Host header.
	// Required.
	RedirectURL string
	// Scopes are requested besides "openid". Default: profile, email.
	Scopes []string
	// LoginPath starts a login (GET, with an optional ?next=). Default
	// "/oidc/login".
	LoginPath string
	// Name labels the login form's link to LoginPath. Default "single
	// sign-on".
	Name string
	// UserClaim names the ID token claim that names the user. Default:
	// preferred_username, else email, else sub, whichever the token
	// carries first. A value that could pose as another name downstream
	// (empty, or holding a comma or a control character, or with white
	// space at an end) refuses the login; no other claim is tried then.
	UserClaim string
	// Provider names this provider: it is Identity.Provider for its
	// users, and qualifies their user names (see PlainUserNames). ASCII
	// letters, digits, '.', '_' and '-'; not "basic" or "form", the
	// password logins' names. Default "oidc".
	Provider string
	// PlainUserNames makes Identity.User the user claim's value as it
	// is, such as "admin". By default it is qualified with Provider, as
	// in "oidc:admin", so that a user of the provider is never the same
	// principal as a local user (a password user's name cannot hold a
	// colon) or another provider's: not in forward-auth's Remote-User and
	// Sections, the WebSocket hub's CloseUser, nor the application's own
	// checks of Identity.User. Set it only when the provider is the one
	// source of users, or when its names and the local ones are meant to
	// be the same people.
	PlainUserNames bool
	// GroupsClaim names the claim holding the user's groups (a list of
	// strings, or one string). Default "groups". The provider is trusted
	// to name the application's groups: its "admin" passes
	// OneOf("admin"). Names that cannot be group names (see
	// Identity.Groups), such as "viewer,admin", are dropped and logged.
	GroupsClaim string
	// HTTPClient reaches the provider. Default: a client with a 10 s
	// timeout.
	HTTPClient *http.Client
	// AllowedRedirectHosts are the hosts (host or host:port) besides this
	// site that ?next= may send the browser to after login, such as the
	// sites a proxy protects with WithForwardAuth. LoginConfig's are
	// allowed too.
	AllowedRedirectHosts []string
}

// WithOIDC logs users in with an OpenID Connect provider, with the
// authorization code flow, PKCE (S256), state and nonce. It needs
// [WithSessions]: a successful login starts a session (Identity.Provider
// is OIDCConfig.Provider, "oidc" by default, and the user is
// "oidc:<claim>" unless PlainUserNames is set; the user, the groups and
// an "email" claim are kept, the last as Identity.Claims["email"]), after
// which the session cookie authenticates as after any other login.
// Browsers
// that are not logged in are sent to the login form if there is one (it
// then links to LoginPath), else straight to the provider.
//
// The state, nonce and PKCE verifier travel in a signed, encrypted,
// HttpOnly cookie scoped to the callback path and valid for ten minutes,
// sealed with keys derived from SessionConfig.Keys (random per process
// without Keys: give Keys when several processes share the callback). The
// callback refuses a missing or altered cookie, a state that differs, an
// ID token that is not signed by the issuer for this client, has expired
// or carries another nonce, and sends the browser to ?next= only when it
// is a path on this site or on one of the AllowedRedirectHosts (of this
// config or LoginConfig).
func WithOIDC(cfg OIDCConfig) Option {
	return func(c *config) error {
		if c.oidc != nil {
			return fmt.Errorf("%w: WithOIDC given twice", ErrInvalidConfig)
		}
		cp := cfg
		cp.Scopes = slices.Clone(cfg.Scopes)
		cp.AllowedRedirectHosts = slices.Clone(cfg.AllowedRedirectHosts)
		c.oidc = &cp
		return nil
	}
}

// oidcStateCookie carries a login in progress from LoginPath to the
// callback.
const oidcStateCookie = "authwire_oidc"

// oidcStateTTL bounds a login at the provider.
const oidcStateTTL = 10 * time.Minute

// oidcLogin is what the state cookie holds.
type oidcLogin struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
}

// oidcFlow serves LoginPath and the callback.
type oidcFlow struct {
	cfg          OIDCConfig
	loginPath    string
	callbackPath string
	client       *http.Client
	sessions     *sessionManager
	sealer       *securecookie.SecureCookie
	allowedHosts []string
	replies      replies
	log          *slog.Logger

	mu       sync.Mutex // guards the provider, fetched at the first login
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newOIDCFlow(cfg *OIDCConfig, sm *sessionManager, keys [][]byte, allowedHosts []string, log *slog.Logger) (*oidcFlow, error) {
	bad := func(msg string) error { return fmt.Errorf("%w: WithOIDC: %s", ErrInvalidConfig, msg) }
	switch {
	case sm == nil:
		return nil, bad("needs WithSessions")
	case cfg.ClientID == "":
		return nil, bad("ClientID is required")
	case !providerURL(cfg.Issuer):
		return nil, bad("Issuer must be an https URL (http only on a loopback host)")
	case !providerURL(cfg.RedirectURL):
		return nil, bad("RedirectURL must be an https URL (http only on a loopback host)")
	}
	f := &oidcFlow{
		cfg: *cfg, loginPath: cfg.LoginPath, client: cfg.HTTPClient, sessions: sm,
		allowedHosts: append(slices.Clone(allowedHosts), cfg.AllowedRedirectHosts...), replies: newReplies(), log: log,
	}
	u, _ := url.Parse(cfg.RedirectURL)
	f.callbackPath = u.Path
	if f.loginPath == "" {
		f.loginPath = "/oidc/login"
	}
	for _, p := range []string{f.loginPath, f.callbackPath} {
		if len(p) < 2 || !safeRoutePath(p) || safeRedirect(p, nil, "") != p {
			return nil, bad("LoginPath and the RedirectURL's path must be plain absolute paths such as /oidc/login")
		}
	}
	if f.loginPath == f.callbackPath {
		return nil, bad("LoginPath and the RedirectURL's path must differ")
	}
	if f.cfg.Name == "" {
		f.cfg.Name = "single sign-on"
	}
	if f.cfg.GroupsClaim == "" {
		f.cfg.GroupsClaim = "groups"
	}
	if f.cfg.Provider == "" {
		f.cfg.Provider = "oidc"
	}
	if !providerName(f.cfg.Provider) {
		return nil, bad("Provider must be ASCII letters, digits, '.', '_' and '-', and not basic or form")
	}
	if f.cfg.Scopes == nil {
		f.cfg.Scopes = []string{"profile", "email"}
	}
	if f.client == nil {
		f.client = &http.Client{Timeout: 10 * time.Second}
	}
	secret := make([]byte, 32)
	if len(keys) > 0 {
		secret = keys[0]
	} else if err := randomBytes(secret); err != nil {
		return nil, err
	}
	f.sealer = securecookie.New(deriveKey(secret, "oidc-mac"), deriveKey(secret, "oidc-enc")).
		MaxAge(int(oidcStateTTL / time.Second)).
		SetSerializer(securecookie.JSONEncoder{})
	return f, nil
}

// providerURL reports whether s is an absolute https URL, or http on a
// loopback host, with no user info or fragment.
func providerURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		return host == "localhost" || ip != nil && ip.IsLoopback()
	}
	return false
}

// serve handles x, whose path is path, if it is for LoginPath or the
// callback, and reports whether it did.
func (f *oidcFlow) serve(x backends.Exchange, path string) bool {
	switch path {
	case f.loginPath:
		f.start(x)
	case f.callbackPath:
		f.callback(x)
	default:
		return false
	}
	return true
}

// provider returns the OAuth2 configuration and ID token verifier,
// fetching the discovery document the first time. A failure is not
// kept: the next login tries again.
func (f *oidcFlow) provider(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.oauth != nil {
		return f.oauth, f.verifier, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, f.client), 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, f.cfg.Issuer)
	if err != nil {
		return nil, nil, err
	}
	f.oauth = &oauth2.Config{
		ClientID:     f.cfg.ClientID,
		ClientSecret: f.cfg.ClientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  f.cfg.RedirectURL,
		Scopes:       append([]string{oidc.ScopeOpenID}, f.cfg.Scopes...),
	}
	f.verifier = p.Verifier(&oidc.Config{ClientID: f.cfg.ClientID})
	return f.oauth, f.verifier, nil
}

// start sends the browser to the provider.
func (f *oidcFlow) start(x backends.Exchange) {
	if m := x.Method(); m != http.MethodGet && m != http.MethodHead {
		methodNotAllowed(x, "GET, HEAD")
		return
	}
	oauth, _, err := f.provider(x.Context())
	if err != nil {
		f.log.LogAttrs(x.Context(), slog.LevelError, "authwire: the OIDC provider cannot be reached", slog.String("error", err.Error()))
		send(x, f.replies.unavailable)
		return
	}
	next := "/"
	if q, err := url.ParseQuery(x.Query()); err == nil {
		next = safeRedirect(q.Get("next"), f.allowedHosts, "/")
	}
	state, err1 := newSessionID()
	nonce, err2 := newSessionID()
	if err := errors.Join(err1, err2); err != nil {
		send(x, f.replies.internal)
		return
	}
	login := oidcLogin{State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier(), Next: next}
	sealed, err := f.sealer.Encode(oidcStateCookie, login)
	if err != nil {
		send(x, f.replies.internal)
		return
	}
	x.SetCookie(f.stateCookie(sealed, int(oidcStateTTL/time.Second)))
	redirect(x, oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(login.Verifier)))
}

// stateCookie is the state cookie with value, scoped to the callback.
func (f *oidcFlow) stateCookie(value string, maxAge int) *http.Cookie {
	c := f.sessions.cookie(oidcStateCookie, value, maxAge, http.SameSiteLaxMode)
	c.Path = f.callbackPath
	return c
}

// callback finishes a login: it checks the state, exchanges the code
// (with the PKCE verifier), verifies the ID token and its nonce, and
// starts a session.
func (f *oidcFlow) callback(x backends.Exchange) {
	if x.Method() != http.MethodGet {
		methodNotAllowed(x, "GET")
		return
	}
	ctx := x.Context()
	var login oidcLogin
	sealed := x.Cookie(oidcStateCookie)
	x.SetCookie(f.stateCookie("", -1)) // one use only, whatever happens
	if sealed == "" || f.sealer.Decode(oidcStateCookie, sealed, &login) != nil {
		send(x, f.replies.badLogin)
		return
	}
	q, err := url.ParseQuery(x.Query())
	switch {
	case err != nil:
		send(x, f.replies.badLogin)
		return
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(login.State)) != 1:
		send(x, f.replies.badLogin)
		return
	case q.Get("error") != "":
		f.log.LogAttrs(ctx, slog.LevelInfo, "authwire: the OIDC provider refused a login", slog.String("error", q.Get("error")))
		send(x, f.replies.unauthenticated)
		return
	case q.Get("code") == "":
		send(x, f.replies.badLogin)
		return
	}
	oauth, verifier, err := f.provider(ctx)
	if err != nil {
		f.log.LogAttrs(ctx, slog.LevelError, "authwire: the OIDC provider cannot be reached", slog.String("error", err.Error()))
		send(x, f.replies.unavailable)
		return
	}
	id, err := f.exchange(ctx, oauth, verifier, q.Get("code"), login)
	if err != nil {
		f.log.LogAttrs(ctx, slog.LevelWarn, "authwire: an OIDC login failed", slog.String("error", err.Error()))
		send(x, f.replies.unauthenticated)
		return
	}
	// As after a password login: end the session the browser came
	// with, start a new one with a fresh ID.
	if old, err := f.sessions.store.Load(ctx, x.Cookie(f.sessions.cookieName)); err == nil {
		_ = f.sessions.revoke(ctx, old.ID, timeOf(old.ExpiresAt))
	}
	if _, err := f.sessions.start(ctx, x, id); err != nil {
		f.log.LogAttrs(ctx, slog.LevelError, "authwire: starting a session failed", slog.String("error", err.Error()))
		send(x, f.replies.internal)
		return
	}
	redirect(x, safeRedirect(login.Next, f.allowedHosts, "/"))
}

// exchange trades the code for tokens and turns the verified ID token
// into an identity.
func (f *oidcFlow) exchange(ctx context.Context, oauth *oauth2.Config, verifier *oidc.IDTokenVerifier, code string, login oidcLogin) (*Identity, error) {
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, f.client), 10*time.Second)
	defer cancel()
	tok, err := oauth.Exchange(ctx, code, oauth2.VerifierOption(login.Verifier))
	if err != nil {
		return nil, fmt.Errorf("exchanging the code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, errors.New("the token response has no id_token")
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("verifying the ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(login.Nonce)) != 1 {
		return nil, errors.New("the ID token's nonce is not this login's")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("reading the ID token's claims: %w", err)
	}
	user, err := f.userName(claims)
	if err != nil {
		return nil, err
	}
	groups := claimStrings(claims[f.cfg.GroupsClaim])
	id := newIdentity(user, f.cfg.Provider, groups)
	dropped := 0
	for _, g := range groups {
		if !headerName(g) {
			dropped++
		}
	}
	if dropped > 0 {
		f.log.LogAttrs(ctx, slog.LevelWarn, "authwire: OIDC group names that cannot be group names were dropped",
			slog.String("user", user), slog.Int("dropped", dropped))
	}
	id.Claims = claims
	return id, nil
}

// userName makes Identity.User from the ID token's claims (see
// OIDCConfig.UserClaim and PlainUserNames).
func (f *oidcFlow) userName(claims map[string]any) (string, error) {
	names := []string{"preferred_username", "email", "sub"}
	if f.cfg.UserClaim != "" {
		names = []string{f.cfg.UserClaim}
	}
	for _, name := range names {
		v, ok := claims[name].(string)
		switch {
		case !ok || v == "":
			continue
		case !headerName(v):
			return "", fmt.Errorf("the ID token's %s claim %q holds a comma, a control character or white space at an end", name, v)
		case f.cfg.PlainUserNames:
			return v, nil
		}
		return f.cfg.Provider + ":" + v, nil
	}
	return "", fmt.Errorf("the ID token has no usable user claim (%v)", names)
}

// providerName reports whether s can be OIDCConfig.Provider: it must not
// hold the colon that ends the provider's part of a qualified user name,
// nor take the name of a password login.
func providerName(s string) bool {
	if s == "" || s == "basic" || s == "form" {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// claimStrings reads a claim holding one string or a list of strings;
// anything else gives nothing, and so do entries of a list that are not
// strings. The names are not checked yet.
func claimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
