package auth

import (
	"context"
	"errors"
	"sync"
	"time"
)

// minRevocationSweep is the size below which [MemoryRevocations] does not
// bother sweeping expired entries.
const minRevocationSweep = 64

// MemoryRevocations is a [RevocationList] kept in this process's memory:
// a map from session ID to the time its entry may be forgotten.
//
// It is per-process. A session revoked here is still accepted by every
// other process serving the same cookies, and the list is empty again
// after a restart; with more than one process, use a shared list, such as
// package auth/redisstore's Store.
//
// Memory stays bounded by the sessions that are revoked and not yet
// expired: expired entries are swept on writes, whenever the map has
// doubled since the last sweep (and holds at least 64 entries), so it never
// holds more than twice the live entries of the last sweep, and the cost
// of sweeping is amortised to a constant per [MemoryRevocations.Revoke].
// Reads never write: an expired entry is ignored until swept.
//
// A MemoryRevocations is safe for concurrent use.
type MemoryRevocations struct {
	now func() time.Time

	mu    sync.RWMutex
	until map[string]time.Time
	users map[string]userRevocation // RevokeUser's entries, by user
	// sweepAt is the map size at which the next Revoke sweeps.
	sweepAt int
}

var _ RevocationList = (*MemoryRevocations)(nil)

// NewMemoryRevocations returns an empty [MemoryRevocations] that reads the
// time from now; nil means time.Now. Tests pass a fake clock.
func NewMemoryRevocations(now func() time.Time) *MemoryRevocations {
	if now == nil {
		now = time.Now
	}
	return &MemoryRevocations{
		now:     now,
		until:   make(map[string]time.Time),
		users:   make(map[string]userRevocation),
		sweepAt: minRevocationSweep,
	}
}

// Revoke marks the session id revoked until the given time, normally the
// session's expiry; after it, [MemoryRevocations.Revoked] reports false
// and the entry is eventually dropped. Revoking an id again keeps the
// later of the two times. An until that has already passed records
// nothing, since the session has expired anyway. An empty id is an error.
func (m *MemoryRevocations) Revoke(_ context.Context, id string, until time.Time) error {
	if id == "" {
		return errors.New("auth: cannot revoke an empty session ID")
	}
	now := m.now()
	if !until.After(now) {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.until[id]; ok && !until.After(old) {
		return nil
	}
	m.until[id] = until
	if len(m.until) >= m.sweepAt {
		m.sweepLocked(now)
	}
	return nil
}

// Revoked reports whether the session id is revoked and its entry has
// not yet passed its until time. It never fails.
func (m *MemoryRevocations) Revoked(_ context.Context, id string) (bool, error) {
	m.mu.RLock()
	until, ok := m.until[id]
	m.mu.RUnlock()
	return ok && until.After(m.now()), nil
}

// len returns the number of entries held, including expired ones not yet
// swept.
func (m *MemoryRevocations) len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.until)
}

// sweepLocked drops every expired entry and sets the size of the next
// sweep to twice what is left, so that sweeps grow rarer as the live set
// grows and each entry is visited a constant number of times on average.
// The live entries move to a new map because a Go map never gives back
// the memory of deleted entries. m.mu must be held for writing.
func (m *MemoryRevocations) sweepLocked(now time.Time) {
	live := 0
	for _, until := range m.until {
		if until.After(now) {
			live++
		}
	}
	kept := make(map[string]time.Time, live)
	for id, until := range m.until {
		if until.After(now) {
			kept[id] = until
		}
	}
	m.until = kept
	for user, u := range m.users {
		if !u.until.After(now) {
			delete(m.users, user)
		}
	}
	m.sweepAt = max(2*live, minRevocationSweep)
}
