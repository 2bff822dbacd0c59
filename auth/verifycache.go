package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"
	"time"
	"unsafe"
)

// verifiedCache remembers credentials that verified successfully, so a
// password hash runs once per credential rather than once per request.
//
// Keys are HMAC-SHA256 of the user and password under a random key made for
// this process: the cache never holds a password, and a memory dump does not
// give one away. Entries expire after ttl and are dropped when the source's
// generation changes (a reloaded htpasswd file, say). Only successes are
// cached, so a wrong password always pays the full hash. With a ttl of
// zero nothing is stored, but keys are still derived (they name the
// singleflight runs).
type verifiedCache struct {
	ttl  time.Duration
	now  func() time.Time
	macs sync.Pool // of *keyedMAC

	mu      sync.RWMutex
	entries map[[sha256.Size]byte]cachedVerification
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
	key := make([]byte, 32)
	if err := randomBytes(key); err != nil {
		return nil, err
	}
	c := &verifiedCache{
		ttl:     ttl,
		now:     now,
		entries: make(map[[sha256.Size]byte]cachedVerification),
	}
	c.macs.New = func() any { return &keyedMAC{h: hmac.New(sha256.New, key)} }
	return c, nil
}

// keyedMAC is a reusable HMAC with room for its output, so that deriving
// a key allocates nothing.
type keyedMAC struct {
	h   hash.Hash
	sum [sha256.Size]byte
	n   [4]byte
}

// key derives the cache key of a credential. The user's length is written
// first so that ("ab","c") and ("a","bc") differ.
func (c *verifiedCache) key(user, password []byte) [sha256.Size]byte {
	m := c.macs.Get().(*keyedMAC)
	m.h.Reset()
	binary.BigEndian.PutUint32(m.n[:], uint32(len(user)))
	m.h.Write(m.n[:])
	m.h.Write(user)
	m.h.Write(password)
	m.h.Sum(m.sum[:0])
	k := m.sum
	c.macs.Put(m)
	return k
}

// headerKey derives the cache key of a whole Authorization header value.
// A leading 0xff byte keeps it apart from key's space, whose first four
// bytes are a user name's length.
func (c *verifiedCache) headerKey(header string) [sha256.Size]byte {
	m := c.macs.Get().(*keyedMAC)
	m.h.Reset()
	m.n = [4]byte{0xff}
	m.h.Write(m.n[:1])
	m.h.Write(unsafe.Slice(unsafe.StringData(header), len(header)))
	m.h.Sum(m.sum[:0])
	k := m.sum
	c.macs.Put(m)
	return k
}

// identity returns the identity stored under a header key, if it is
// within the TTL and of the current generation.
func (c *verifiedCache) identity(k [sha256.Size]byte, generation uint64) *Identity {
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
func (c *verifiedCache) hit(k [sha256.Size]byte, generation uint64) bool {
	if c.ttl <= 0 {
		return false
	}
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	return ok && e.generation == generation && c.now().Before(e.expires)
}

// store records a successful verification.
func (c *verifiedCache) store(k [sha256.Size]byte, generation uint64) {
	c.storeIdentity(k, generation, nil)
}

// storeIdentity records a successful verification and the identity it
// gave.
func (c *verifiedCache) storeIdentity(k [sha256.Size]byte, generation uint64, id *Identity) {
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
