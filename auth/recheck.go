package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrSessionEnded is returned by [Auth.Recheck] for an identity that is
// no longer good: its session was logged out, revoked (one by one or by
// [Auth.RevokeUser]), expired or went idle, or its user left the
// credential source.
var ErrSessionEnded = errors.New("auth: the session has ended")

// Recheck returns id as it stands now, for a connection that was
// authenticated once and lives on, such as a WebSocket (package ws calls
// it every ws.Config.RecheckInterval). It answers [ErrSessionEnded] when
// id may no longer be used. Otherwise it returns the identity with the
// rights its sources give now (see SessionConfig.RecheckInterval): id
// itself while they have not changed, a new *Identity when they have.
// Any other error means the check could not be made (a shared store
// unreachable); the caller decides what to do, and package ws keeps the
// socket and checks again later.
//
// The idle timeout counts requests, not a socket's own traffic: a
// session whose only use is an open socket goes idle and ends. Use within
// this process is known to the second; use in another process is known
// from the session index ([SessionConfig.Index]), which learns of it when
// the cookie is refreshed, at most a minute late; so a session used only
// elsewhere counts as used until a minute after its last refresh there.
func (a *Auth) Recheck(ctx context.Context, id *Identity) (*Identity, error) {
	if id == nil {
		return nil, ErrSessionEnded
	}
	m := a.sessions
	now := a.now()
	if !id.ExpiresAt.IsZero() && !now.Before(id.ExpiresAt) {
		return nil, ErrSessionEnded
	}
	if id.SessionID == "" || m == nil {
		return a.recheckCredentials(ctx, id)
	}
	s := &Session{ID: id.SessionID, User: id.User, Provider: id.Provider, IssuedAt: id.IssuedAt.Unix()}
	revoked, err := m.revokedSession(ctx, s)
	switch {
	case err != nil:
		return id, fmt.Errorf("auth: rechecking a session: %w", err)
	case revoked:
		return nil, ErrSessionEnded
	}
	t := now.Unix()
	live := m.tracker.find(id.SessionID)
	var seen int64
	if live != nil {
		seen = live.seen.Load()
	}
	if t >= seen+m.idleSeconds() {
		if seen, err = m.seenElsewhere(ctx, id, seen); err != nil {
			return id, err
		}
		if t >= seen+m.idleSeconds() {
			return nil, ErrSessionEnded
		}
	}
	if m.refreshers[id.Provider] != nil && live == nil {
		// A socket whose session this process no longer tracks: its
		// source is asked all the same.
		live = m.tracker.get(id.SessionID, seen, t-m.idleSeconds())
	}
	if live == nil || !passwordProvider(id.Provider) && m.refreshers[id.Provider] == nil {
		return a.recheckCredentials(ctx, id)
	}
	s.Groups, s.Sections, s.ExpiresAt = id.Groups, id.Sections, id.ExpiresAt.Unix()
	current, err := m.rightsOf(ctx, s, live, t, false)
	if err != nil {
		_ = m.revoke(ctx, id.SessionID, id.User, id.ExpiresAt)
		return nil, ErrSessionEnded
	}
	return withRights(id, current.Groups, current.Sections), nil
}

// seenElsewhere returns the later of seen and the session's last use as
// the index knows it, plus the refresh interval by which the index may
// lag behind.
func (m *sessionManager) seenElsewhere(ctx context.Context, id *Identity, seen int64) (int64, error) {
	recs, err := m.index.List(ctx, id.User)
	if err != nil {
		return seen, fmt.Errorf("auth: rechecking a session: %w", err)
	}
	for _, r := range recs {
		if r.ID == id.SessionID {
			seen = max(seen, r.LastSeen.Unix()+int64(m.touchEvery/time.Second))
		}
	}
	return seen, nil
}

// recheckCredentials holds an identity that is not a session's against
// the credential, group and section sources, when it came from a password
// (a Basic socket): its user must still be there, and its groups and
// sections are read again.
func (a *Auth) recheckCredentials(ctx context.Context, id *Identity) (*Identity, error) {
	if a.basic == nil || !passwordProvider(id.Provider) {
		return id, nil
	}
	groups, sections, err := a.basic.passwords.current(ctx, id.User)
	switch {
	case errors.Is(err, errSessionOver):
		return nil, ErrSessionEnded
	case err != nil:
		return id, fmt.Errorf("auth: rechecking %q: %w", id.User, err)
	}
	return withRights(id, groups, sections), nil
}

// withRights returns id when groups and sections are its own, and a copy
// of id with them otherwise.
func withRights(id *Identity, groups, sections []string) *Identity {
	if equalStrings(id.Groups, groups) && equalStrings(id.Sections, sections) {
		return id
	}
	c := id.Clone()
	c.Groups, c.Sections = groups, sections
	return c
}

// equalStrings compares two lists of names, a nil and an empty one alike.
func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
