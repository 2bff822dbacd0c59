package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ErrSessionsDisabled is returned by the session methods of an [Auth]
// made without [WithSessions].
var ErrSessionsDisabled = errors.New("auth: sessions are not enabled")

// ErrCannotRevokeUsers is returned by [Auth.RevokeUser] when the
// revocation list is not a [UserRevocationList].
var ErrCannotRevokeUsers = errors.New("auth: the revocation list cannot revoke a user's sessions (it is not an auth.UserRevocationList)")

// SessionInfo is one of a user's sessions as [Auth.Sessions] shows it:
// nothing in it lets anyone use the session.
type SessionInfo struct {
	// Handle stands for the session in [Auth.RevokeSession]. It is made
	// from the session ID by a one-way hash, so showing it to its user
	// gives nothing away.
	Handle string `json:"handle"`
	// Provider is how the session was started ("form", "basic", an OIDC
	// provider's name).
	Provider string `json:"provider"`
	// Created, LastSeen and Expires are as in [SessionRecord].
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	Expires  time.Time `json:"expires"`
	// Client and UserAgent are the client's address and User-Agent when
	// the session was started or last refreshed.
	Client    string `json:"client"`
	UserAgent string `json:"user_agent"`
	// Current is true for the session of the context Sessions was given.
	Current bool `json:"current"`
}

// SessionHandle returns the handle of the session with ID sessionID, as
// [SessionInfo.Handle] shows it.
func SessionHandle(sessionID string) string {
	sum := sha256.Sum256([]byte("authwire session handle\x00" + sessionID))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// Sessions lists user's live sessions, newest first, as the session index
// knows them ([SessionConfig.Index]): with the default in-memory index,
// those started or refreshed by this process since it started. Revoked
// sessions are left out. When ctx carries the identity of one of them
// (a handler's request context), that one is marked Current.
func (a *Auth) Sessions(ctx context.Context, user string) ([]SessionInfo, error) {
	m := a.sessions
	if m == nil {
		return nil, ErrSessionsDisabled
	}
	recs, err := m.index.List(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("auth: listing sessions: %w", err)
	}
	var current string
	if id := FromContext(ctx); id != nil {
		current = id.SessionID
	}
	out := make([]SessionInfo, 0, len(recs))
	for _, r := range recs {
		revoked, err := m.revokedSession(ctx, &Session{ID: r.ID, User: r.User, IssuedAt: r.Created.Unix()})
		if err != nil {
			return nil, fmt.Errorf("auth: listing sessions: %w", err)
		}
		if revoked || !m.now().Before(r.Expires) {
			continue
		}
		out = append(out, SessionInfo{
			Handle: SessionHandle(r.ID), Provider: r.Provider,
			Created: r.Created, LastSeen: r.LastSeen, Expires: r.Expires,
			Client: r.Client, UserAgent: r.UserAgent,
			Current: r.ID == current,
		})
	}
	return out, nil
}

// RevokeSession ends the session of user whose handle ([SessionInfo])
// is handle, as [Auth.Revoke] does: its cookie is refused from now on
// and its WebSockets close with 4401. A handle that names none of user's
// sessions is an error wrapping [ErrNoSession], so one user cannot end
// another's session by guessing.
func (a *Auth) RevokeSession(ctx context.Context, user, handle string) error {
	m := a.sessions
	if m == nil {
		return ErrSessionsDisabled
	}
	recs, err := m.index.List(ctx, user)
	if err != nil {
		return fmt.Errorf("auth: finding the session: %w", err)
	}
	for _, r := range recs {
		if SessionHandle(r.ID) == handle {
			return m.revoke(ctx, r.ID, r.User, r.Expires)
		}
	}
	return fmt.Errorf("%w: user %q has no session %q", ErrNoSession, user, handle)
}

// RevokeUser ends every session of user, everywhere: "log out
// everywhere", or after a password change. It sets the user's "not
// before" time in the revocation list ([UserRevocationList]), so that
// every session of the user started until now is refused, whether or not
// the index knows it and whatever store keeps it; and it closes the
// user's session WebSockets here (and, with a shared list that announces
// it, in every process) with 4401. A session started in the same second
// as the call ends too. Basic credentials are not sessions: a client
// that sends them logs in again.
func (a *Auth) RevokeUser(ctx context.Context, user string) error {
	if a.sessions == nil {
		return ErrSessionsDisabled
	}
	return a.RevokeUserBefore(ctx, user, a.sessions.now())
}

// RevokeUserBefore is [Auth.RevokeUser] for the sessions started at or
// before before. A process that learns of another's RevokeUser (package
// auth/redisstore's watcher) passes the time that one used, so that the
// sessions started since are kept.
func (a *Auth) RevokeUserBefore(ctx context.Context, user string, before time.Time) error {
	if a.sessions == nil {
		return ErrSessionsDisabled
	}
	return a.sessions.revokeUserBefore(ctx, user, before)
}

// revokeUserBefore is [Auth.RevokeUserBefore] once sessions are known to
// be on; login methods reach it through [LoginSessions.EndUser].
func (m *sessionManager) revokeUserBefore(ctx context.Context, user string, before time.Time) error {
	switch {
	case m.userRevs == nil:
		return ErrCannotRevokeUsers
	case user == "":
		return errors.New("auth: RevokeUser needs a user name")
	}
	before = before.Truncate(time.Second)
	if err := m.userRevs.RevokeUser(ctx, user, before, before.Add(m.lifetime+time.Second)); err != nil {
		return fmt.Errorf("auth: revoking the sessions of %q: %w", user, err)
	}
	if recs, err := m.index.List(ctx, user); err == nil {
		for _, r := range recs {
			if !r.Created.After(before) {
				_ = m.index.Remove(ctx, user, r.ID)
			}
		}
	}
	m.hooksMu.Lock()
	hooks := m.onUserRevoke
	m.hooksMu.Unlock()
	for _, f := range hooks {
		f(user, before)
	}
	m.log.LogAttrs(ctx, slog.LevelInfo, "authwire: every session of a user revoked", slog.String("user", user))
	return nil
}

// OnUserSessionsEnd registers fn to run whenever every session of a user
// started at or before a time is revoked ([Auth.RevokeUser]). The
// WebSocket hub uses it to close those sessions' sockets. fn must not
// block for long. Without sessions it does nothing.
func (a *Auth) OnUserSessionsEnd(fn func(user string, before time.Time)) {
	if a.sessions == nil || fn == nil {
		return
	}
	a.sessions.hooksMu.Lock()
	defer a.sessions.hooksMu.Unlock()
	a.sessions.onUserRevoke = append(a.sessions.onUserRevoke, fn)
}
