package auth

import (
	"context"
	"errors"
	"time"
)

// UserRevocationList is a [RevocationList] that can also end every session
// of a user at once ("log out everywhere", a password change): it keeps a
// per-user "not before" time, and a session of that user issued at or
// before it is revoked. This works with the cookie store too, whose
// sessions a server cannot enumerate: the cookie still decodes, but its
// session is refused.
//
// [MemoryRevocations], package auth/boltstore's Store and package
// auth/redisstore's Store implement it. [Auth.RevokeUser] needs it.
type UserRevocationList interface {
	RevocationList
	// RevokeUser revokes every session of user issued at or before
	// before. The entry may be forgotten after until, when every such
	// session has expired anyway. Of two calls for one user, the later
	// before is kept.
	RevokeUser(ctx context.Context, user string, before, until time.Time) error
	// SessionRevoked reports whether the session with ID id, of user,
	// issued at issued, is revoked: by a Revoke of its ID, or by a
	// RevokeUser of its user whose before is not earlier than issued. The
	// guard asks it on every request, so it should cost what Revoked
	// costs (one lookup each, in one round trip for a shared list).
	SessionRevoked(ctx context.Context, id, user string, issued time.Time) (bool, error)
}

var _ UserRevocationList = (*MemoryRevocations)(nil)

// userRevocation is one RevokeUser entry of [MemoryRevocations].
type userRevocation struct {
	before, until time.Time
}

// RevokeUser revokes every session of user issued at or before before,
// until until (an until already past records nothing). An empty user is
// an error.
func (m *MemoryRevocations) RevokeUser(_ context.Context, user string, before, until time.Time) error {
	if user == "" {
		return errors.New("auth: cannot revoke the sessions of an empty user name")
	}
	if !until.After(m.now()) {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.users[user]
	if ok && !before.After(old.before) {
		before = old.before
	}
	if ok && !until.After(old.until) {
		until = old.until
	}
	m.users[user] = userRevocation{before: before, until: until}
	return nil
}

// SessionRevoked reports whether the session is revoked by its ID or by
// a RevokeUser of its user. It never fails.
func (m *MemoryRevocations) SessionRevoked(_ context.Context, id, user string, issued time.Time) (bool, error) {
	m.mu.RLock()
	until, ok := m.until[id]
	u, uok := m.users[user]
	m.mu.RUnlock()
	if !ok && !uok {
		return false, nil // the usual answer, without reading the clock
	}
	now := m.now()
	return ok && until.After(now) || uok && u.until.After(now) && !issued.After(u.before), nil
}

// revokedSession asks the configured list whether session s is revoked,
// by its ID and, when the list can, by a revocation of its user.
func (m *sessionManager) revokedSession(ctx context.Context, s *Session) (bool, error) {
	if m.userRevs != nil {
		return m.userRevs.SessionRevoked(ctx, s.ID, s.User, timeOf(s.IssuedAt))
	}
	return m.revs.Revoked(ctx, s.ID)
}
