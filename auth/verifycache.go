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
	ttl        time.Duration
	now        func() time.Time
	ipad, opad [64]byte  // the HMAC key pads
	macs       sync.Pool // of hash.Hash (crypto/hmac) for long inputs

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
	for i := range c.ipad {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		c.ipad[i], c.opad[i] = k^0x36, k^0x5c
	}
	c.macs.New = func() any { return hmac.New(sha256.New, key) }
	return c, nil
}

// shortMAC bounds the inputs macOf hashes on the stack.
const shortMAC = 320

// macOf returns HMAC-SHA256 (RFC 2104) under the process key of
// head || a || b. Short inputs, the usual case, are hashed from a stack
// buffer with the key pads precomputed, which costs two SHA-256 calls and
// no allocation; longer ones go through crypto/hmac. Both give the same
// result.
func (c *verifiedCache) macOf(head macHead, a, b []byte) [sha256.Size]byte {
	if n := int(head.n) + len(a) + len(b); n <= shortMAC {
		var buf [len(c.ipad) + shortMAC]byte
		m := copy(buf[:], c.ipad[:])
		m += copy(buf[m:], head.b[:head.n])
		m += copy(buf[m:], a)
		m += copy(buf[m:], b)
		inner := sha256.Sum256(buf[:m])
		clear(buf[:m])
		var outer [len(c.opad) + sha256.Size]byte
		copy(outer[:], c.opad[:])
		copy(outer[len(c.opad):], inner[:])
		return sha256.Sum256(outer[:])
	}
	h := c.macs.Get().(hash.Hash)
	h.Reset()
	hb := head.b // a copy: only this slow path lets it escape
	h.Write(hb[:head.n])
	h.Write(a)
	h.Write(b)
	var k [sha256.Size]byte
	h.Sum(k[:0])
	c.macs.Put(h)
	return k
}

// macHead is a short domain prefix of a MAC input, passed by value so it
// stays on the stack.
type macHead struct {
	b [4]byte
	n uint8
}

// key derives the cache key of a credential. The user's length is written
// first so that ("ab","c") and ("a","bc") differ.
func (c *verifiedCache) key(user, password []byte) [sha256.Size]byte {
	h := macHead{n: 4}
	binary.BigEndian.PutUint32(h.b[:], uint32(len(user)))
	return c.macOf(h, user, password)
}

// headerKey derives the cache key of a whole Authorization header value.
// A leading 0xff byte keeps it apart from key's space, whose first four
// bytes are a user name's length (never 0xff...: names are far shorter).
func (c *verifiedCache) headerKey(header string) [sha256.Size]byte {
	return c.macOf(macHead{b: [4]byte{0xff}, n: 1}, unsafe.Slice(unsafe.StringData(header), len(header)), nil)
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
