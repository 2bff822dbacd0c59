package auth

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// SessionRecord is what a [SessionIndex] keeps of one session, so that a
// user's sessions can be listed ([Auth.Sessions]) and found by the
// provider's own session ID (OIDC back-channel logout).
type SessionRecord struct {
	// ID is the session ID. It is as secret as the cookie's contents:
	// [Auth.Sessions] never shows it, only a handle made from it.
	ID string
	// User and Provider are the session's identity (Identity.User and
	// Identity.Provider).
	User     string
	Provider string
	// ProviderSession is the login provider's own ID for the session
	// (an OIDC "sid" claim), or "".
	ProviderSession string
	// Created, LastSeen and Expires are when the session began, was last
	// used (as its cookie was last refreshed: at most a refresh interval
	// behind) and ends at the latest.
	Created, LastSeen, Expires time.Time
	// Client is the client's address at login (as [Auth.ClientAddr]
	// found it), and UserAgent its User-Agent header then, cut to
	// [MaxRecordedUserAgent] bytes.
	Client    string
	UserAgent string
}

// MaxRecordedUserAgent is the longest User-Agent a [SessionRecord] keeps.
const MaxRecordedUserAgent = 256

// SessionIndex records the live sessions of each user. The guard adds a
// session at login, rewrites its record when its cookie is refreshed, and
// removes it at logout; a record may outlive its session (a revocation
// by another process that kept no index), so [Auth.Sessions] still asks
// the revocation list about each. Implementations must be safe for
// concurrent use and may drop records once they expire.
//
// The default is a [MemorySessionIndex], per process. Package
// auth/boltstore's Store and package auth/redisstore's Store implement it
// too, and are used as the index when they are the revocation list.
type SessionIndex interface {
	// Put records r, replacing any record with the same ID.
	Put(ctx context.Context, r SessionRecord) error
	// Remove forgets the record of the session with ID id of user; one
	// that is not there is no error.
	Remove(ctx context.Context, user, id string) error
	// List returns the records of user's sessions that have not expired,
	// newest first.
	List(ctx context.Context, user string) ([]SessionRecord, error)
	// Find returns the records, not expired, of the sessions that
	// provider started for its session providerSession.
	Find(ctx context.Context, provider, providerSession string) ([]SessionRecord, error)
}

// MaxSessionsPerUser bounds the records a [MemorySessionIndex] keeps for
// one user: past it, the oldest are dropped (the sessions themselves go
// on; they no longer show in [Auth.Sessions]).
const MaxSessionsPerUser = 100

// MemorySessionIndex is a [SessionIndex] kept in this process's memory.
// It forgets everything at restart and knows only the sessions started
// or refreshed here. Expired records are dropped when the user's records
// are next written; a user keeps at most [MaxSessionsPerUser]. It is safe
// for concurrent use.
type MemorySessionIndex struct {
	now func() time.Time

	mu     sync.Mutex
	byUser map[string][]SessionRecord
}

var _ SessionIndex = (*MemorySessionIndex)(nil)

// NewMemorySessionIndex returns an empty index that reads the time from
// now; nil means time.Now.
func NewMemorySessionIndex(now func() time.Time) *MemorySessionIndex {
	if now == nil {
		now = time.Now
	}
	return &MemorySessionIndex{now: now, byUser: make(map[string][]SessionRecord)}
}

// Put records r. A record without an ID or a user is an error.
func (m *MemorySessionIndex) Put(_ context.Context, r SessionRecord) error {
	if r.ID == "" || r.User == "" {
		return errors.New("auth: a session record needs an ID and a user")
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	recs := slices.DeleteFunc(m.byUser[r.User], func(o SessionRecord) bool {
		return o.ID == r.ID || !o.Expires.After(now)
	})
	recs = append(recs, r)
	if len(recs) > MaxSessionsPerUser {
		slices.SortFunc(recs, newestFirst)
		recs = recs[:MaxSessionsPerUser]
	}
	m.byUser[r.User] = recs
	return nil
}

// Remove forgets the record of session id of user.
func (m *MemorySessionIndex) Remove(_ context.Context, user, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	recs := slices.DeleteFunc(m.byUser[user], func(o SessionRecord) bool { return o.ID == id })
	if len(recs) == 0 {
		delete(m.byUser, user)
	} else {
		m.byUser[user] = recs
	}
	return nil
}

// List returns user's records that have not expired, newest first.
func (m *MemorySessionIndex) List(_ context.Context, user string) ([]SessionRecord, error) {
	now := m.now()
	m.mu.Lock()
	recs := slices.Clone(m.byUser[user])
	m.mu.Unlock()
	recs = slices.DeleteFunc(recs, func(o SessionRecord) bool { return !o.Expires.After(now) })
	slices.SortFunc(recs, newestFirst)
	return recs, nil
}

// Find returns the records of provider's session providerSession. It
// looks at every record, which is fine for the number of sessions one
// process keeps in memory.
func (m *MemorySessionIndex) Find(_ context.Context, provider, providerSession string) ([]SessionRecord, error) {
	if providerSession == "" {
		return nil, nil
	}
	now := m.now()
	var out []SessionRecord
	m.mu.Lock()
	for _, recs := range m.byUser {
		for _, r := range recs {
			if r.Provider == provider && r.ProviderSession == providerSession && r.Expires.After(now) {
				out = append(out, r)
			}
		}
	}
	m.mu.Unlock()
	slices.SortFunc(out, newestFirst)
	return out, nil
}

// newestFirst orders records by creation, newest first, then by ID.
func newestFirst(a, b SessionRecord) int {
	if c := b.Created.Compare(a.Created); c != 0 {
		return c
	}
	if a.ID < b.ID {
		return -1
	}
	if a.ID > b.ID {
		return 1
	}
	return 0
}
