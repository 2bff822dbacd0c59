package oidclogin

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ReplayCache remembers the back-channel logout tokens a provider has
// acted on, by their jti claim, so that one sent again is refused (see
// Config.ReplayCache). Implementations must be safe for concurrent use;
// one shared by several processes, such as a Redis SET with NX and an
// expiry, refuses a replay to any of them.
type ReplayCache interface {
	// Claim records key until until and reports whether it was not
	// recorded already: false means that key was claimed before and has
	// not expired, a replay. A cache that cannot tell returns an error.
	Claim(ctx context.Context, key string, until time.Time) (fresh bool, err error)
	// Release forgets key, claimed for a logout that then failed, so
	// that the provider can deliver its token again.
	Release(ctx context.Context, key string) error
}

// maxReplayEntries bounds the default ReplayCache of one provider: a
// provider that sent more logout tokens than this within their window
// (logoutTokenMaxAge) would be sending 30 a second; past it, logout
// tokens are refused until older ones expire, rather than forgetting
// tokens that could then be replayed.
const maxReplayEntries = 10000

// errReplayCacheFull is Claim's error when the memory cache is full.
var errReplayCacheFull = errors.New("the logout token replay cache is full")

// memoryReplays is the default ReplayCache: per provider, in this
// process's memory, at most maxReplayEntries keys.
type memoryReplays struct {
	now func() time.Time

	mu   sync.Mutex
	keys expiring[struct{}]
}

func newMemoryReplays(now func() time.Time) *memoryReplays {
	return &memoryReplays{now: now, keys: newExpiring[struct{}](maxReplayEntries)}
}

// Claim records key until until. When the cache is full it first drops
// the keys that expired, and refuses with errReplayCacheFull when none
// did.
func (m *memoryReplays) Claim(_ context.Context, key string, until time.Time) (bool, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys.get(key, now); ok {
		return false, nil
	}
	m.keys.delete(key) // lapsed: a new claim, not a replay
	if !m.keys.put(key, struct{}{}, until, now) {
		return false, errReplayCacheFull
	}
	return true, nil
}

// Release forgets key.
func (m *memoryReplays) Release(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys.delete(key)
	return nil
}
