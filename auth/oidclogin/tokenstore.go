package oidclogin

import (
	"context"
	"errors"
	"sync"
	"time"
)

// TokenStore keeps, server side, what refreshing a session at the
// provider needs: its refresh token, when the access token is due for a
// refresh, and the groups and sections the provider gave last (see
// Config.TokenStore). The provider hands it each session's record sealed
// (encrypted and signed with keys derived from the session keys, bound to
// the session), under a key made from the provider's name and a one-way
// hash of the session ID, so that the store sees neither a token nor a
// session ID. Implementations must be safe for concurrent use; one shared
// by several processes (a Redis GET, a SET with an expiry and a DEL, as
// auth/redisstore's Store.OIDCTokens) lets each of them refresh any
// session; one that is also a [RefreshLocker] makes that refresh once
// across them.
type TokenStore interface {
	// Load returns the value saved under key, or nil when there is none
	// or it has expired.
	Load(ctx context.Context, key string) ([]byte, error)
	// Save keeps value under key, replacing what was there, until until
	// (the session's end), after which it may be forgotten.
	Save(ctx context.Context, key string, value []byte, until time.Time) error
	// Delete forgets key; one that is not there is no error.
	Delete(ctx context.Context, key string) error
}

// maxTokenEntries bounds the default TokenStore of one provider. Past
// it, with no entry expired, a new login keeps no tokens (logged): its
// session lives as one without a refresh token does.
const maxTokenEntries = 100000

// errTokenStoreFull is Save's error when the memory store is full.
var errTokenStoreFull = errors.New("the in-memory token store is full")

// memoryTokens is the default TokenStore: this process's memory, per
// provider, at most maxTokenEntries values.
type memoryTokens struct {
	now func() time.Time

	mu     sync.Mutex
	values expiring[[]byte]
}

func newMemoryTokens(now func() time.Time) *memoryTokens {
	return &memoryTokens{now: now, values: newExpiring[[]byte](maxTokenEntries)}
}

// Load returns key's value unless it has expired.
func (m *memoryTokens) Load(_ context.Context, key string) ([]byte, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	v, _ := m.values.get(key, now)
	return v, nil
}

// Save keeps value under key. When the store is full it first drops the
// values that expired, and refuses with errTokenStoreFull when none did.
func (m *memoryTokens) Save(_ context.Context, key string, value []byte, until time.Time) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.values.put(key, value, until, now) {
		return errTokenStoreFull
	}
	return nil
}

// Delete forgets key.
func (m *memoryTokens) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.values.delete(key)
	return nil
}
