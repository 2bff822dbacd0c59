package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/authwire/authwire/backends"
)

// LoginSessions is the handle a [LoginMethod] gets from New: through it the
// method starts sessions as the login form does, and finds what it needs
// to work beside the form (cookies like the session cookie, keys derived
// from the session keys, the rule for where a browser may be sent, the
// logout path, the logger). Each method gets a handle of its own, bound
// to its name. It is safe for concurrent use.
type LoginSessions struct {
	manager *sessionManager
	flow    *loginFlow
	secret  []byte // the newest session hash key, or random per Auth
	log     *slog.Logger
	name    string // the method's LoginInfo.Name, once it is installed
	plain   bool   // its LoginInfo.PlainUserNames
}

// Start logs the caller of x in as id.User, a user of the method, in
// id.Groups and id.Sections; of id.Claims only "email" is kept (as the session's
// Identity.Claims["email"]), and "sid", the provider's session ID, goes
// to the session's record in the [SessionIndex] (for back-channel logout). As after a password login, the session x
// came with is revoked and a new one, with a fresh random ID, is started
// and its cookie set, so that an ID planted before login never becomes a
// logged-in one.
//
// The session's Identity.Provider is the method's name and its user is
// "<name>:<id.User>" unless the method asked for PlainUserNames. A user
// name that could read as another name downstream (empty, or holding a
// comma or a control character, or white space at an end; with plain
// names, a colon too, which would pose as another method's user) starts
// nothing: the error wraps [ErrBadCredentials]. Group names that cannot be
// group names (see Identity.Groups) are dropped, and logged. Any other
// error is the session store's. Start returns the session's identity,
// with its SessionID and ExpiresAt.
func (s *LoginSessions) Start(x backends.Exchange, id *Identity) (*Identity, error) {
	switch {
	case s.name == "":
		return nil, errors.New("auth: LoginSessions.Start called before the login method was installed")
	case id == nil:
		return nil, fmt.Errorf("%w: login method %s: no identity", ErrBadCredentials, s.name)
	case !headerName(id.User) || s.plain && strings.Contains(id.User, ":"):
		return nil, fmt.Errorf("%w: login method %s: the user name %q is empty or holds a comma, a colon, a control character or white space at an end",
			ErrBadCredentials, s.name, id.User)
	}
	user := id.User
	if !s.plain {
		user = s.name + ":" + user
	}
	if dropped := len(id.Groups) - countHeaderNames(id.Groups); dropped > 0 {
		s.log.LogAttrs(x.Context(), slog.LevelWarn, "authwire: group names that cannot be group names were dropped",
			slog.String("provider", s.name), slog.String("user", user), slog.Int("dropped", dropped))
	}
	if dropped := len(id.Sections) - countHeaderNames(id.Sections); dropped > 0 {
		s.log.LogAttrs(x.Context(), slog.LevelWarn, "authwire: section names that cannot be section names were dropped",
			slog.String("provider", s.name), slog.String("user", user), slog.Int("dropped", dropped))
	}
	started := newIdentity(user, s.name, id.Groups)
	started.Sections = ownSections(id.Sections)
	if email, ok := id.Claims["email"].(string); ok {
		started.Claims = map[string]any{"email": email}
	}
	// The provider's session ID is not kept in the session, only in its
	// record in the index, where back-channel logout finds it.
	if sid, ok := id.Claims["sid"].(string); ok && sid != "" {
		if started.Claims == nil {
			started.Claims = map[string]any{}
		}
		started.Claims["sid"] = sid
	}
	session, err := s.manager.login(x, started)
	if err != nil {
		return nil, err
	}
	started.SessionID, started.IssuedAt, started.ExpiresAt = session.ID, timeOf(session.IssuedAt), timeOf(session.ExpiresAt)
	return started, nil
}

// EndProviderSession ends every session the method started for the
// provider's own session providerSession (the "sid" claim Start was
// given), as [Auth.Revoke] does: its cookie is refused from then on and
// its WebSockets close with 4401. Sessions of other methods are never
// touched. It returns how many sessions it ended.
//
// The sessions are found in the [SessionIndex] (SessionConfig.Index):
// with the default in-memory index, only those started in this process;
// with a shared one, such as auth/redisstore's or auth/boltstore's Store
// as the revocation list, every process's. An error is the index's or
// the revocation list's; the sessions ended before it stay ended.
func (s *LoginSessions) EndProviderSession(ctx context.Context, providerSession string) (int, error) {
	if s.name == "" || providerSession == "" {
		return 0, nil
	}
	recs, err := s.manager.index.Find(ctx, s.name, providerSession)
	if err != nil {
		return 0, fmt.Errorf("auth: finding the sessions of a provider session: %w", err)
	}
	n := 0
	for _, r := range recs {
		if r.Provider != s.name || r.ProviderSession != providerSession {
			continue // an index must not widen the match; this one is not ours
		}
		if err := s.manager.revoke(ctx, r.ID, r.User, r.Expires); err != nil {
			return n, fmt.Errorf("auth: revoking a session: %w", err)
		}
		n++
	}
	return n, nil
}

// EndUser ends every session of the method's user user (the name Start
// was given, which the session qualifies unless PlainUserNames), started
// until now, in every process, as [Auth.RevokeUser] does. With
// PlainUserNames the user is the same principal as a local user of that
// name, whose sessions end too. A name Start would refuse ends nothing.
// The error wraps [ErrCannotRevokeUsers] when the revocation list cannot
// revoke users.
func (s *LoginSessions) EndUser(ctx context.Context, user string) error {
	if s.name == "" || !headerName(user) || s.plain && strings.Contains(user, ":") {
		return nil
	}
	if !s.plain {
		user = s.name + ":" + user
	}
	return s.manager.revokeUserBefore(ctx, user, s.manager.now())
}

// Cookie returns a cookie with the session cookie's attributes: HttpOnly,
// SameSite=Lax, Secure unless SessionConfig.InsecureCookies, and Path=/,
// which the method may narrow. A negative maxAge deletes the cookie.
func (s *LoginSessions) Cookie(name, value string, maxAge int) *http.Cookie {
	return s.manager.cookie(name, value, maxAge, http.SameSiteLaxMode)
}

// Key returns a 32-byte key for purpose, such as sealing the method's
// cookies: derived from the newest pair of SessionConfig.Keys, so the
// same in every process given the same keys, or, without Keys, from a
// random secret of this Auth, which another process cannot open. Each
// purpose gets a key of its own, none of them the session keys.
func (s *LoginSessions) Key(purpose string) []byte {
	return deriveKey(s.secret, "login-method/"+purpose)
}

// SafeRedirect returns next if it is a safe place to send a browser after
// logging in, and "/" otherwise: a path on this site, or an absolute http
// or https URL on one of LoginConfig.AllowedRedirectHosts or moreHosts
// (host or host:port). Protocol-relative URLs, backslashes, control
// characters, user info, other schemes and the login and logout pages
// themselves are refused.
func (s *LoginSessions) SafeRedirect(next string, moreHosts []string) string {
	return s.flow.nextWith(next, moreHosts)
}

// LogoutPath returns the logout endpoint's path (LoginConfig.LogoutPath),
// for a cookie that only logout needs to see.
func (s *LoginSessions) LogoutPath() string { return s.flow.logoutPath }

// Now returns the time as the Auth reads it ([WithClock]; time.Now by
// default), for a method that times what it keeps, such as when a
// provider's token is due for a refresh.
func (s *LoginSessions) Now() time.Time { return s.manager.now() }

// Logger returns the logger given to [WithLogger].
func (s *LoginSessions) Logger() *slog.Logger { return s.log }

// login ends the session x came with, if any, and starts a new one for id
// with a fresh ID, setting its cookie; the login form's CSRF cookie and
// the logout marker are cleared. Every login, password or other, ends
// here.
func (m *sessionManager) login(x backends.Exchange, id *Identity) (*Session, error) {
	ctx := x.Context()
	if old, err := m.store.Load(ctx, x.Cookie(m.cookieName)); err == nil {
		_ = m.revoke(ctx, old.ID, old.User, timeOf(old.ExpiresAt))
	}
	s, err := m.start(ctx, x, id)
	if err != nil {
		return nil, err
	}
	x.SetCookie(m.cookie(loginCSRFCookie, "", -1, http.SameSiteStrictMode))
	x.SetCookie(m.cookie(logoutMarkerCookie, "", -1, http.SameSiteLaxMode))
	return s, nil
}

// methodSecret is what the login methods' keys derive from: the newest
// session hash key, or 32 random bytes when there are no Keys.
func methodSecret(keys [][]byte) ([]byte, error) {
	if len(keys) > 0 {
		return keys[0], nil
	}
	secret := make([]byte, 32)
	if err := randomBytes(secret); err != nil {
		return nil, err
	}
	return secret, nil
}

// countHeaderNames counts the names of names that headerName accepts.
func countHeaderNames(names []string) int {
	n := 0
	for _, name := range names {
		if headerName(name) {
			n++
		}
	}
	return n
}
