// Package oidclogin logs users in with OpenID Connect providers: the
// authorization code flow with PKCE (S256), state and nonce, on go-oidc
// and golang.org/x/oauth2. Each provider is an [auth.LoginMethod]:
//
//	a, err := auth.New(mux,
//		auth.WithSessions(auth.SessionConfig{Keys: keys}),
//		auth.WithLoginMethod(oidclogin.New(oidclogin.Config{
//			Issuer:       "https://accounts.example.com",
//			ClientID:     "dashboard",
//			ClientSecret: os.Getenv("OIDC_CLIENT_SECRET"),
//			RedirectURL:  "https://dashboard.example.com/oidc/callback",
//		})))
//
// A successful login starts an ordinary authwire session, after which the
// session cookie authenticates as after any other login. Only a program
// that imports this package compiles go-oidc, go-jose and x/oauth2;
// package auth knows nothing of them.
//
// # Several providers
//
// Give WithLoginMethod once per provider, each with a Name, a Label and a
// RedirectURL of its own. The login form lists them; without a form, one
// provider is where browsers go to log in, and several make /login a page
// that lists them. GET /login?idp=<Name> goes straight to one. Each
// provider's state cookie (authwire_idp_<Name>, scoped to its callback) is
// sealed with keys of its own, so a callback never accepts a state
// another provider's login made.
//
// # Logout
//
// POST to the logout path revokes an OIDC session here first, so that a
// provider that is down cannot keep anyone logged in, and then, when the
// provider advertises an end_session_endpoint, sends the browser there
// (RP-initiated logout) with client_id, id_token_hint and
// post_logout_redirect_uri (Config.PostLogoutRedirectURL).
//
// The ID token that id_token_hint needs is kept only for such a provider,
// and only where logout sees it: in a cookie of its own
// (authwire_idt_<Name>), sealed with keys derived from the session keys,
// HttpOnly, scoped to the logout path and naming its session. The session
// cookie does not grow (the cookie store's session stays far below the
// 4 KiB a browser keeps), a server-side store such as auth/redisstore keeps
// nothing more, and no request but logout carries the token; this is the
// same for every store. A token too large for a cookie is not kept, and
// logout then sends client_id alone. Several processes must share
// SessionConfig.Keys to read each other's cookies.
//
// # Back-channel logout
//
// When a session ends at the provider (the user logged out there, or an
// administrator ended it), a provider that supports OpenID Connect
// Back-Channel Logout 1.0 POSTs a logout token to the client's
// backchannel_logout_uri, server to server. Register this site's URL with
// Config.BackchannelLogoutPath there (by default "backchannel-logout"
// beside the callback, as https://app.example.com/oidc/backchannel-logout
// for https://app.example.com/oidc/callback; for Ory Hydra, the client's
// backchannel_logout_uri). Nothing new is advertised.
//
// The endpoint takes application/x-www-form-urlencoded with one
// logout_token, and verifies it with go-oidc against the provider's keys:
// signature, issuer, audience (the client ID), iat present and at most
// five minutes old (one minute of clock skew), exp when present, the
// back-channel logout event in the events claim as a JSON object, no
// nonce, a sub or a sid, and a jti not seen before (Config.ReplayCache).
// It then ends the sessions the token names, as a revocation does: the
// cookie is refused from then on and the sessions' WebSockets close with
// 4401. A sid names the sessions of that provider session (the ID
// token's sid, which the session's record in the auth.SessionIndex
// keeps). A sub alone names every session of the user when users are
// named by sub (UserClaim "sub"); otherwise the sessions whose ID token
// had no sid (a provider that names no sessions), as a provider that puts
// sid in its ID tokens also puts it in its logout tokens.
//
// It answers 200 with Cache-Control: no-store. A token it refuses, or a
// request without one, gets 400 with the JSON error the specification
// suggests, and nothing is revoked; another method 405, another content
// type 415. When the sessions cannot be ended here (a store that is
// away), it answers 503 and forgets the jti, so that a provider that
// retries (Hydra does) is heard. The endpoint is one of the provider's
// login routes, which the guard serves before anything else, and is not
// subject to the cross-origin check that login and logout apply: the
// provider's post comes from no browser page, and a post from one gains
// nothing without a token the provider signed.
//
// The sessions are found in the session index: the default, in-memory
// index knows only the sessions of this process, so with several
// processes give them a shared one (auth/redisstore's Store as the
// revocation list is one, and its ApplyRevocations closes the sockets in
// every process), and a shared ReplayCache.
//
// # Refresh
//
// A login whose token response has a refresh token (ask for
// "offline_access" in Config.Scopes; some providers give one without) is
// followed at the provider for the rest of the session: Provider is an
// auth.Refresher, which the guard asks at most once per
// auth.SessionConfig.RecheckInterval, on a request or on a WebSocket's
// recheck. Once the access token is within a minute of its expiry (half
// its lifetime when that is shorter; five minutes when the provider gives
// no expires_in), the refresh token is redeemed, once per session in this
// process however many requests ask together (singleflight), and the
// groups and sections of the ID token that comes back replace the
// session's: a socket whose route no longer allows them closes with 4403,
// one whose user lost a group with 1012. A refresh the provider refuses
// (any 4xx: invalid_grant, a deleted client), or a refreshed ID token of
// another subject, ends the session: the next request gets 401 or the
// login redirect, and its sockets close with 4401. A provider that cannot
// be reached, or answers 5xx, keeps the session as it is until the next
// recheck. The refusal is seen at the next refresh, so a session follows
// its provider within the access token's lifetime.
//
// The refresh token never goes into a cookie: it is kept server side in
// Config.TokenStore, sealed (encrypted and signed with keys derived from
// the session keys, and bound to its session) under a one-way hash of the
// session ID, with the session's end as its expiry, and forgotten at
// logout. The default store is this process's memory: the cookie store's
// sessions stay as small as before, but a restart forgets the tokens, and
// other processes do not see them; a session whose tokens a process does
// not know lives there as one without a refresh token does (its own
// lifetime). Several processes need a shared TokenStore (three methods, a
// Redis GET, SET with an expiry and DEL; auth/redisstore's
// Store.OIDCTokens is one). Singleflight refreshes a session once per
// process; a shared store that is also a RefreshLocker (OIDCTokens is)
// makes it once across the processes: the one that takes the session's
// lock redeems the refresh token, the others wait for what it saves and
// use that. Without one, with a provider that rotates refresh tokens and
// refuses a used one, two processes refreshing the same session within
// the same moment can end it.
//
// The package is named oidclogin, not oidc, so that it does not take the
// name of go-oidc's package oidc in a program that uses both, and because
// it does one thing with OpenID Connect: log browsers in. It does not
// check bearer tokens of API callers.
package oidclogin

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gorilla/securecookie"
	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// Config configures one provider. Zero fields take the defaults given.
type Config struct {
	// Name names the provider: it is Identity.Provider of its users,
	// qualifies their user names (see PlainUserNames) and selects it on
	// the login page with ?idp=<Name>. ASCII letters, digits, '.', '_'
	// and '-'; not "basic" or "form"; each provider of an Auth needs a
	// name of its own. Default "oidc".
	Name string
	// Label is the text of the provider's link on the login page: "Sign
	// in with <Label>". Default "single sign-on" for the default name,
	// else Name.
	Label string
	// Issuer is the provider's issuer URL (https, or http on a loopback
	// host for development); its discovery document is fetched at the
	// first login and kept. Required.
	Issuer string
	// ClientID and ClientSecret are the client's credentials at the
	// provider. ClientID is required; a public client has no secret.
	ClientID, ClientSecret string
	// RedirectURL is the callback URL registered at the provider, such as
	// https://app.example.com/oidc/callback; authwire serves its path,
	// which must be this provider's own. It comes from configuration
	// only, never from a request's Host or X-Forwarded-* headers.
	// Required.
	RedirectURL string
	// Scopes are requested besides "openid". Default: profile, email.
	Scopes []string
	// LoginPath starts a login (GET, with an optional ?next=). Default
	// "/oidc/login" for the default name, else "/oidc/<Name>/login".
	LoginPath string
	// UserClaim names the ID token claim that names the user. Default:
	// preferred_username, else email, else sub, whichever the token
	// carries first. A value that could pose as another name downstream
	// (holding a comma or a control character, or with white space at an
	// end) refuses the login; no other claim is tried then.
	UserClaim string
	// PlainUserNames makes Identity.User the user claim's value as it
	// is, such as "admin". By default it is qualified with Name, as in
	// "oidc:admin", so that a user of the provider is never the same
	// principal as a local user (a password user's name cannot hold a
	// colon) or another provider's: not in forward-auth's Remote-User and
	// Sections, the WebSocket hub's CloseUser, nor the application's own
	// checks of Identity.User. Set it only when the provider is the one
	// source of users, or when its names and the local ones are meant to
	// be the same people. A plain name with a colon refuses the login.
	PlainUserNames bool
	// GroupsClaim names the claim holding the user's groups (a list of
	// strings, or one string). Default "groups". The provider is trusted
	// to name the application's groups: its "admin" passes
	// OneOf("admin"). Names that cannot be group names (see
	// Identity.Groups), such as "viewer,admin", are dropped and logged.
	GroupsClaim string
	// SectionsClaim names the claim holding the user's sections (a list
	// of strings, or one string), as Identity.Sections: which parts of
	// the application the user may reach (auth.InSection), "_all_"
	// (auth.AllSections) for every part. Default "allowed_resources".
	// Names that cannot be section names are dropped and logged.
	SectionsClaim string
	// HTTPClient reaches the provider. Default: a client with a 10 s
	// timeout.
	HTTPClient *http.Client
	// AllowedRedirectHosts are the hosts (host or host:port) besides this
	// site that ?next= may send the browser to after login, such as the
	// sites a proxy protects with WithForwardAuth. LoginConfig's are
	// allowed too.
	AllowedRedirectHosts []string
	// PostLogoutRedirectURL is where the provider sends the browser back
	// after it ended the session at logout (post_logout_redirect_uri; it
	// must be registered at the provider), such as
	// https://app.example.com/login. https, or http on a loopback host.
	// Default: none; the provider shows its own page.
	PostLogoutRedirectURL string
	// BackchannelLogoutPath receives the provider's logout tokens
	// (OpenID Connect Back-Channel Logout 1.0), posted server to server
	// when a session ends at the provider. Register this site's URL with
	// this path at the provider as the client's backchannel_logout_uri,
	// such as https://app.example.com/oidc/backchannel-logout. Default:
	// "backchannel-logout" beside the callback, as
	// /oidc/backchannel-logout for the callback /oidc/callback.
	BackchannelLogoutPath string
	// ReplayCache remembers the logout tokens taken, by their jti, for
	// as long as they would be accepted (about six minutes), so that one
	// sent again is refused. Default: one in this process's memory for
	// this provider, which other processes do not see: with several
	// processes, a token replayed to another one is taken there once
	// more (it ends the same provider session's sessions again; with a
	// token naming only the subject, the user's sessions begun since).
	// Give every process the same shared cache to close that, such as
	// auth/redisstore's Store.OIDCReplays.
	ReplayCache ReplayCache
	// TokenStore keeps, server side, what refreshing a session needs
	// (see Provider.Refresh), sealed: a login whose token response has a
	// refresh token (ask for "offline_access" in Scopes; some providers
	// give one without) is refreshed near its access token's expiry,
	// and ends when the provider refuses. Default: this process's memory,
	// which a restart forgets and other processes do not see; a session
	// whose tokens a process does not know lives there as a session
	// without a refresh token does (SessionConfig.Lifetime). With several
	// processes, or to keep refreshing across restarts, give a shared,
	// lasting store, such as auth/redisstore's Store.OIDCTokens (or, for
	// restarts on one machine, auth/boltstore's Store.OIDCTokens); one
	// that is also a RefreshLocker (Redis's is) refreshes each session
	// once across the processes, as a provider that rotates refresh
	// tokens needs.
	TokenStore TokenStore
}

// defaultName is Config.Name's default.
const defaultName = "oidc"

// stateTTL bounds a login at the provider.
const stateTTL = 10 * time.Minute

// Provider is one OpenID Connect provider, a login method for
// [auth.WithLoginMethod]. It serves one Auth.
type Provider struct {
	cfg          Config
	client       *http.Client
	loginPath    string
	callbackPath string
	logoutPath   string // the back-channel logout endpoint's path
	replays      ReplayCache
	stateCookie  string // the state cookie's name, its own per provider
	tokenCookie  string // the ID token cookie's name (see logout.go)

	// Set once by InstallLogin, before any request.
	sessions *auth.LoginSessions
	sealer   *securecookie.SecureCookie // seals the state cookie
	tokens   *securecookie.SecureCookie // seals the ID token cookie
	// refreshSealer seals the TokenStore's records, named refreshName.
	refreshSealer *securecookie.SecureCookie
	refreshName   string
	tokenStore    TokenStore
	flight        singleflight.Group // one refresh at a time per session

	mu   sync.Mutex // serialises InstallLogin and guards meta
	meta *metadata  // fetched at the first login
}

// New returns the provider cfg describes. The configuration is checked
// when [auth.New] installs it: a bad one makes New fail with an error
// wrapping auth.ErrInvalidConfig.
func New(cfg Config) *Provider {
	cfg.Scopes = slices.Clone(cfg.Scopes)
	cfg.AllowedRedirectHosts = slices.Clone(cfg.AllowedRedirectHosts)
	return &Provider{cfg: cfg}
}

// InstallLogin implements [auth.LoginMethod]; [auth.New] calls it. It
// checks the configuration, fills in the defaults and describes the
// provider's login and callback paths.
func (p *Provider) InstallLogin(s *auth.LoginSessions) (auth.LoginInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sessions != nil {
		return auth.LoginInfo{}, p.invalid("a Provider serves one Auth; make another with New")
	}
	c := &p.cfg
	if c.Name == "" {
		c.Name = defaultName
	}
	switch {
	case c.ClientID == "":
		return auth.LoginInfo{}, p.invalid("ClientID is required")
	case !providerURL(c.Issuer):
		return auth.LoginInfo{}, p.invalid("Issuer must be an https URL (http only on a loopback host)")
	case !providerURL(c.RedirectURL):
		return auth.LoginInfo{}, p.invalid("RedirectURL must be an https URL (http only on a loopback host)")
	case c.PostLogoutRedirectURL != "" && !providerURL(c.PostLogoutRedirectURL):
		return auth.LoginInfo{}, p.invalid("PostLogoutRedirectURL must be an https URL (http only on a loopback host)")
	}
	u, _ := url.Parse(c.RedirectURL)
	p.callbackPath = u.Path
	p.loginPath = c.LoginPath
	if p.loginPath == "" {
		p.loginPath = "/oidc/" + c.Name + "/login"
		if c.Name == defaultName {
			p.loginPath = "/oidc/login"
		}
	}
	p.logoutPath = c.BackchannelLogoutPath
	if p.logoutPath == "" {
		p.logoutPath = path.Join(path.Dir(p.callbackPath), "backchannel-logout")
	}
	if p.loginPath == p.callbackPath || p.logoutPath == p.loginPath || p.logoutPath == p.callbackPath {
		return auth.LoginInfo{}, p.invalid("LoginPath, BackchannelLogoutPath and the RedirectURL's path must differ")
	}
	p.replays = c.ReplayCache
	if p.replays == nil {
		p.replays = newMemoryReplays(time.Now)
	}
	if c.Label == "" {
		c.Label = c.Name
		if c.Name == defaultName {
			c.Label = "single sign-on"
		}
	}
	if c.GroupsClaim == "" {
		c.GroupsClaim = "groups"
	}
	if c.SectionsClaim == "" {
		c.SectionsClaim = "allowed_resources"
	}
	if c.Scopes == nil {
		c.Scopes = []string{"profile", "email"}
	}
	p.client = c.HTTPClient
	if p.client == nil {
		p.client = &http.Client{Timeout: 10 * time.Second}
	}
	p.stateCookie, p.tokenCookie = "authwire_idp_"+c.Name, "authwire_idt_"+c.Name
	p.sealer = securecookie.New(s.Key("oidc/"+c.Name+"/state-mac"), s.Key("oidc/"+c.Name+"/state-enc")).
		MaxAge(int(stateTTL / time.Second)).
		SetSerializer(securecookie.JSONEncoder{})
	// The ID token cookie lives as long as its session, which it names;
	// the session's own bounds apply.
	p.tokens = securecookie.New(s.Key("oidc/"+c.Name+"/token-mac"), s.Key("oidc/"+c.Name+"/token-enc")).
		MaxAge(0).
		SetSerializer(securecookie.JSONEncoder{})
	p.refreshName = "authwire_rt_" + c.Name
	p.refreshSealer = securecookie.New(s.Key("oidc/"+c.Name+"/refresh-mac"), s.Key("oidc/"+c.Name+"/refresh-enc")).
		MaxAge(0).MaxLength(64 << 10).
		SetSerializer(securecookie.JSONEncoder{})
	p.tokenStore = c.TokenStore
	if p.tokenStore == nil {
		p.tokenStore = newMemoryTokens(s.Now)
	}
	p.sessions = s
	return auth.LoginInfo{
		Name:           c.Name,
		Label:          c.Label,
		StartPath:      p.loginPath,
		Paths:          []string{p.loginPath, p.callbackPath, p.logoutPath},
		PlainUserNames: c.PlainUserNames,
	}, nil
}

// invalid is a configuration error of this provider.
func (p *Provider) invalid(msg string) error {
	return fmt.Errorf("%w: oidclogin provider %q: %s", auth.ErrInvalidConfig, p.cfg.Name, msg)
}

// ServeLogin implements [auth.LoginMethod]: the guard hands it the
// requests for LoginPath, which sends the browser to the provider, for
// the callback, which finishes the login, and for BackchannelLogoutPath,
// where the provider posts logout tokens.
func (p *Provider) ServeLogin(x backends.Exchange, path string) {
	switch path {
	case p.loginPath:
		p.start(x)
	case p.callbackPath:
		p.callback(x)
	case p.logoutPath:
		p.backchannel(x)
	}
}

// metadata is what the provider's discovery document gives.
type metadata struct {
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
	// logoutVerifier checks logout tokens: as ID tokens, but exp is
	// optional there, and checked by verifyLogoutToken when present.
	logoutVerifier *oidc.IDTokenVerifier
	endSession     string // end_session_endpoint, or "" when it advertises none
	revocation     string // revocation_endpoint (RFC 7009), or "" when it advertises none
}

// provider returns the provider's metadata, fetching the discovery
// document the first time. A failure is not kept: the next login tries
// again.
func (p *Provider) provider(ctx context.Context) (*metadata, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.meta != nil {
		return p.meta, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, p.client), 10*time.Second)
	defer cancel()
	op, err := oidc.NewProvider(ctx, p.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
		Revocation string `json:"revocation_endpoint"`
	}
	if err := op.Claims(&extra); err != nil {
		return nil, err
	}
	if extra.EndSession != "" && !providerURL(extra.EndSession) {
		p.sessions.Logger().LogAttrs(ctx, slog.LevelWarn, "authwire: the OIDC provider's end_session_endpoint is not an https URL; logout will not end sessions there",
			slog.String("provider", p.cfg.Name), slog.String("end_session_endpoint", extra.EndSession))
		extra.EndSession = ""
	}
	if extra.Revocation != "" && !providerURL(extra.Revocation) {
		p.sessions.Logger().LogAttrs(ctx, slog.LevelWarn, "authwire: the OIDC provider's revocation_endpoint is not an https URL; logout will not revoke refresh tokens there",
			slog.String("provider", p.cfg.Name), slog.String("revocation_endpoint", extra.Revocation))
		extra.Revocation = ""
	}
	p.meta = &metadata{
		endSession: extra.EndSession,
		revocation: extra.Revocation,
		oauth: &oauth2.Config{
			ClientID:     p.cfg.ClientID,
			ClientSecret: p.cfg.ClientSecret,
			Endpoint:     op.Endpoint(),
			RedirectURL:  p.cfg.RedirectURL,
			Scopes:       append([]string{oidc.ScopeOpenID}, p.cfg.Scopes...),
		},
		verifier:       op.Verifier(&oidc.Config{ClientID: p.cfg.ClientID}),
		logoutVerifier: op.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, SkipExpiryCheck: true}),
	}
	return p.meta, nil
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
