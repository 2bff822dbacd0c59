package auth

import (
	"sync"
	"time"
)

// verifiedCache remembers credentials that verified successfully, so a
// password hash runs once per credential rather than once per request.
//
// Keys are keyed SipHash tags ([keyedHash]) of the user and password, or
// of a whole Authorization header, under random keys made for this
// process, one key for each kind: the cache never holds a password, and a
// memory dump does not give one away. Entries expire after ttl and are dropped when the source's
// generation changes (a reloaded htpasswd file, say). Only successes are
// cached, so a wrong password always pays the full hash. With a ttl of
// zero nothing is stored, but keys are still derived (they name the
// singleflight runs).
type verifiedCache struct {
	ttl     time.Duration
	now     func() time.Time
	pairs   keyedHash // for key
	headers keyedHash // for headerKey

	mu      sync.RWMutex
	entries map[keyedDigest]cachedVerification
}

type cachedVerification struct {
	expires    time.Time
	generation uint64
	identity   *Identity // for header keys: the identity the header proved
}

// maxCachedVerifications bounds the cache; past it, expired entries are
// swept and, if that is not enough, the cache starts over.
const maxCachedVerifications = 1 << 16

func newVerifiedCache(ttl time.Duration, now func() time.Time) (*verifiedCache, error) {
	pairs, err := newKeyedHash()
	if err != nil {
		return nil, err
	}
	headers, err := newKeyedHash()
	if err != nil {
		return nil, err
	}
	return &verifiedCache{
		ttl:     ttl,
		now:     now,
		pairs:   pairs,
		headers: headers,
		entries: make(map[keyedDigest]cachedVerification),
	}, nil
}

// key derives the cache key of a credential.
func (c *verifiedCache) key(user, password []byte) keyedDigest {
	return c.pairs.sumPair(user, password)
}

// headerKey derives the cache key of a whole Authorization header value,
// under a key of its own so that it never equals a credential's key.
func (c *verifiedCache) headerKey(header string) keyedDigest {
	return c.headers.sumString(header)
}

// identity returns the identity stored under a header key, if it is
// within the TTL and of the current generation.
func (c *verifiedCache) identity(k keyedDigest, generation uint64) *Identity {
	if c.ttl <= 0 {
		return nil
	}
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || e.generation != generation || !c.now().Before(e.expires) {
		return nil
	}
	return e.identity
}

// hit reports whether the credential with key k verified within the TTL
// against the current generation of stored passwords.
func (c *verifiedCache) hit(k keyedDigest, generation uint64) bool {
	if c.ttl <= 0 {
		return false
	}
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	return ok && e.generation == generation && c.now().Before(e.expires)
}

// store records a successful verification.
func (c *verifiedCache) store(k keyedDigest, generation uint64) {
	c.storeIdentity(k, generation, nil)
}

// storeIdentity records a successful verification and the identity it
// gave.
func (c *verifiedCache) storeIdentity(k keyedDigest, generation uint64, id *Identity) {
	if c.ttl <= 0 {
		return
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedVerifications {
		for key, e := range c.entries {
			if !now.Before(e.expires) || e.generation != generation {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= maxCachedVerifications {
			clear(c.entries)
		}
	}
	c.entries[k] = cachedVerification{expires: now.Add(c.ttl), generation: generation, identity: id}
}
