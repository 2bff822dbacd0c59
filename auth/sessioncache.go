package auth

import (
	"sync"
	"sync/atomic"
)

// maxCachedSessions bounds the [sessionCache]. An entry is a few hundred
// bytes (the decoded session, its identity and the map slot), so a full
// cache holds a few megabytes.
const maxCachedSessions = 1 << 14

// sessionCache remembers cookie values that a [CookieStore] has already
// verified and decoded, so that a request with a known cookie costs a
// keyed hash and a map lookup rather than an HMAC, AES-CTR, two base64
// passes and a parse (about 4 µs and 19 allocations).
//
// It is used only with a CookieStore, whose cookie is the whole session:
// the same value always decodes to the same session, and nothing on a
// server can change it. A server-side store can change or delete the
// session behind an unchanged cookie, so its Load runs every time.
//
// What it keeps, and what stays exact:
//   - Keys are keyed SipHash tags ([keyedHash]) of the cookie value under a
//     random key made for this process: the cache never holds a cookie, a
//     memory dump gives none away, and nobody can make a value whose tag
//     matches a stored one without the key.
//   - Only values that verified are stored, so a forged cookie always pays
//     the full check and is cleared.
//   - The revocation list is asked on every request, hit or miss, so a
//     logout takes effect on the next request.
//   - The absolute expiry (Session.ExpiresAt) is checked on every request.
//   - A password session's rights (its user, groups and sections) are
//     held against their sources again every RecheckInterval, and at once
//     for a cookie value not cached yet ([sessionManager.rightsOf]); in
//     between, a hit costs one more atomic load.
//   - The idle timeout is measured from the later of the cookie's own
//     last-seen time and the last request this process served for that
//     session (with any of its cookie values; see [sessionTracker]). A client that keeps replaying a cookie without storing
//     the refreshed one (a script, a forward-auth caller behind a proxy that
//     drops Set-Cookie) is using its session, so it stays live here; another
//     process, or this one after a restart, knows only the cookie's own
//     time and is the stricter of the two.
//   - A refreshed cookie (with a new last-seen time) is sent at most once
//     per refresh interval per cookie value, whether or not the client
//     stores it, so such a client no longer makes every request re-encode
//     the session and send a Set-Cookie.
//
// Memory is bounded by maxCachedSessions entries: when the cache is full,
// an eighth of it, picked by Go's randomised map iteration, is dropped to
// make room. A dropped cookie is verified again on its next use.
type sessionCache struct {
	tags keyedHash

	mu      sync.RWMutex
	entries map[keyedDigest]*cachedSession
}

// cachedSession is one verified cookie value. session is never changed
// once stored: requests share it.
type cachedSession struct {
	session Session
	// live is the session's record in the [sessionTracker], shared by
	// every cookie value of the session: its last use here and its rights.
	live *liveSession
	// refreshed is the Unix second this process last sent a refreshed
	// cookie for this value (at least session.LastSeen).
	refreshed atomic.Int64
}

// newSessionCache returns an empty cache under a fresh random key.
func newSessionCache() (*sessionCache, error) {
	tags, err := newKeyedHash()
	if err != nil {
		return nil, err
	}
	return &sessionCache{tags: tags, entries: make(map[keyedDigest]*cachedSession)}, nil
}

// get returns the entry for a cookie's tag, or nil.
func (c *sessionCache) get(k keyedDigest) *cachedSession {
	c.mu.RLock()
	e := c.entries[k]
	c.mu.RUnlock()
	return e
}

// put stores a verified session under a cookie's tag and returns its
// entry; live is the session's record in the tracker. s may not change
// later.
func (c *sessionCache) put(k keyedDigest, s *Session, live *liveSession) *cachedSession {
	e := &cachedSession{session: *s, live: live}
	live.touch(s.LastSeen)
	e.refreshed.Store(s.LastSeen)
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[k]; old != nil {
		return old // a concurrent request stored it first
	}
	if len(c.entries) >= maxCachedSessions {
		dropSome(c.entries, maxCachedSessions/8)
	}
	c.entries[k] = e
	return e
}

// forget drops the entry for a cookie's tag.
func (c *sessionCache) forget(k keyedDigest) {
	c.mu.Lock()
	delete(c.entries, k)
	c.mu.Unlock()
}

// len returns the number of entries held.
func (c *sessionCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// use records a request at Unix second t and reports whether this request
// is the one to send a refreshed cookie: the last refresh is at least
// every seconds old, and no concurrent request claimed it first.
func (e *cachedSession) use(t, every int64) (refresh bool) {
	e.live.touch(t)
	last := e.refreshed.Load()
	return t-last >= every && e.refreshed.CompareAndSwap(last, t)
}
