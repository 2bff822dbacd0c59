package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gorilla/securecookie"
)

// cookieMACName is the name securecookie binds into every MAC. It is not
// the HTTP cookie name (the guard chooses that); it separates session
// values from any other securecookie value an application signs with the
// same keys, so that one cannot be replayed as the other.
const cookieMACName = "authwire-session"

// MaxSessionCookieBytes is the longest cookie value a [CookieStore]
// writes or reads. Browsers keep at most about 4 KiB per cookie; a longer
// value is refused by Load with [ErrNoSession] before any decoding, and
// Save fails for a session that would not fit (typically one with very
// many groups).
const MaxSessionCookieBytes = 4096

// CookieStore keeps each session in a signed (HMAC-SHA256) and encrypted
// (AES-CTR) cookie, via gorilla/securecookie with a compact JSON
// serializer (not gob). Nothing runs server-side: the cookie is the
// session, so [CookieStore.Delete] cannot make a copied cookie useless;
// pair the store with a [RevocationList] to make logout real.
//
// Every key pair carries an encryption key: a signed-only cookie would
// show the user's groups (and so the shape of the authorisation model) to
// anyone who can read the cookie. The MAC covers a name private to this
// store and the payload must be this store's JSON, so a value another
// securecookie user made with the same keys (such as gorilla/sessions'
// CookieStore, which writes gob) is refused.
//
// A CookieStore is safe for concurrent use.
type CookieStore struct {
	// codecs holds one securecookie per key pair, newest first: Save uses
	// the first, Load tries each in order.
	codecs []*securecookie.SecureCookie
}

var _ SessionStore = (*CookieStore)(nil)

// NewCookieStore returns a [CookieStore] for the given key pairs,
// (hashKey, blockKey), newest pair first, as gorilla/sessions'
// NewCookieStore takes them:
//
//	store, err := auth.NewCookieStore(12*time.Hour, newHash, newBlock, oldHash, oldBlock)
//
// A hash key is 32 or 64 bytes (HMAC-SHA256); a block key is 16, 24 or
// 32 bytes (AES-128, -192 or -256). Unlike gorilla/sessions, the block key
// is required in every pair: see [CookieStore] for why. New cookies are
// made with the first pair; cookies made with any pair are read, which is
// how keys are rotated: put the new pair first, keep the old one until
// every cookie made with it has expired, then drop it. [GenerateKeyPair]
// makes a pair.
//
// maxAge bounds the age of the cookie's own signed timestamp, rounded down
// to whole seconds; it should be the session lifetime. It must be at
// least one second. The timestamp is renewed each time the session is
// saved, so the absolute end of a session is [Session.ExpiresAt], which
// the caller checks.
//
// Configuration mistakes are errors wrapping [ErrInvalidConfig]: no keys,
// an odd number of keys, a key of the wrong length, a key whose bytes are
// all the same (such as all zeros), a key given more than once, or a pair
// whose hash key equals its block key. The keys are copied.
func NewCookieStore(maxAge time.Duration, keys ...[]byte) (*CookieStore, error) {
	if maxAge < time.Second {
		return nil, fmt.Errorf("%w: cookie store maxAge %v is below one second", ErrInvalidConfig, maxAge)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: cookie store needs at least one (hash key, block key) pair", ErrInvalidConfig)
	}
	if len(keys)%2 != 0 {
		return nil, fmt.Errorf("%w: cookie store keys come in (hash key, block key) pairs; got %d keys", ErrInvalidConfig, len(keys))
	}
	if err := checkCookieKeys(keys); err != nil {
		return nil, err
	}
	seconds := int(maxAge / time.Second)
	c := &CookieStore{codecs: make([]*securecookie.SecureCookie, 0, len(keys)/2)}
	for i := 0; i < len(keys); i += 2 {
		sc := securecookie.New(bytes.Clone(keys[i]), bytes.Clone(keys[i+1])).
			MaxAge(seconds).
			MaxLength(MaxSessionCookieBytes).
			SetSerializer(sessionSerializer{})
		c.codecs = append(c.codecs, sc)
	}
	return c, nil
}

// checkCookieKeys validates the lengths and quality of every key.
func checkCookieKeys(keys [][]byte) error {
	for i, k := range keys {
		pair, what := i/2+1, "hash key"
		if i%2 == 0 {
			if n := len(k); n != 32 && n != 64 {
				return fmt.Errorf("%w: cookie store pair %d: hash key is %d bytes, want 32 or 64", ErrInvalidConfig, pair, n)
			}
		} else {
			what = "block key"
			if n := len(k); n != 16 && n != 24 && n != 32 {
				return fmt.Errorf("%w: cookie store pair %d: block key is %d bytes, want 16, 24 or 32 (AES-128/192/256)", ErrInvalidConfig, pair, n)
			}
		}
		if constantBytes(k) {
			return fmt.Errorf("%w: cookie store pair %d: %s is one byte repeated; use GenerateKeyPair", ErrInvalidConfig, pair, what)
		}
		for j := range i {
			if bytes.Equal(keys[j], k) {
				if j == i-1 && i%2 == 1 {
					return fmt.Errorf("%w: cookie store pair %d: hash key and block key are equal", ErrInvalidConfig, pair)
				}
				return fmt.Errorf("%w: cookie store: key %d repeats key %d; every key must be distinct", ErrInvalidConfig, i+1, j+1)
			}
		}
	}
	return nil
}

// constantBytes reports whether every byte of k is the same (all zeros,
// all 'a', ...), the mark of a placeholder rather than a random key.
func constantBytes(k []byte) bool {
	for _, b := range k {
		if b != k[0] {
			return false
		}
	}
	return true
}

// GenerateKeyPair returns a fresh pair for [NewCookieStore] or a config
// file: a 32-byte hash key and a 32-byte block key (AES-256), from the
// operating system's secure random source. Keep them secret and stable:
// new keys log every user out.
//
// crypto/rand does not fail on supported platforms; if it ever did, the
// keys would stay all zeros and NewCookieStore would refuse them, so a
// failure cannot go unnoticed.
func GenerateKeyPair() (hashKey, blockKey []byte) {
	hashKey, blockKey = make([]byte, 32), make([]byte, 32)
	if randomBytes(hashKey) != nil || randomBytes(blockKey) != nil {
		clear(hashKey)
		clear(blockKey)
	}
	return hashKey, blockKey
}

// Save returns the cookie value holding s, made with the newest key pair.
// s must have an ID and a user (Load refuses a session without them), and
// its encoding must fit in [MaxSessionCookieBytes].
func (c *CookieStore) Save(_ context.Context, s *Session) (string, error) {
	if len(c.codecs) == 0 {
		return "", errors.New("auth: CookieStore not made by NewCookieStore")
	}
	if s == nil || s.ID == "" || s.User == "" {
		return "", errors.New("auth: cookie store: cannot save a session without an ID and a user")
	}
	v, err := c.codecs[0].Encode(cookieMACName, s)
	if err != nil {
		// In practice only the size limit; the text holds lengths only.
		return "", fmt.Errorf("auth: cookie store: cannot save session: %v", err)
	}
	return v, nil
}

// Load returns the session a cookie value holds. Any cookie that is not
// one this store made, under one of its key pairs, within maxAge, is an
// error wrapping [ErrNoSession]: empty, longer than
// [MaxSessionCookieBytes], not base64, truncated, tampered with, made
// with an unknown key or by another securecookie user, expired, or
// holding a session without an ID or a user. The error never quotes the
// cookie. Load does not check [Session.ExpiresAt]; the caller does.
func (c *CookieStore) Load(_ context.Context, cookie string) (*Session, error) {
	if cookie == "" {
		return nil, fmt.Errorf("%w: empty cookie", ErrNoSession)
	}
	if len(cookie) > MaxSessionCookieBytes {
		return nil, fmt.Errorf("%w: cookie of %d bytes is over the %d-byte limit", ErrNoSession, len(cookie), MaxSessionCookieBytes)
	}
	var first error
	for _, sc := range c.codecs {
		s := new(Session)
		err := sc.Decode(cookieMACName, cookie, s)
		if err == nil {
			if s.ID == "" || s.User == "" {
				return nil, fmt.Errorf("%w: session without an ID or a user", ErrNoSession)
			}
			return s, nil
		}
		// A wrong key fails the MAC; any other failure means the MAC
		// matched this pair, and is the more telling reason.
		if first == nil || errors.Is(first, securecookie.ErrMacInvalid) {
			first = err
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrNoSession, decodeReason(first))
}

// decodeReason describes a securecookie failure without the cookie's
// content: securecookie's own messages are fixed text, base64 errors name
// only an offset, and this file's serializer errors are fixed text;
// anything else is reduced to a generic reason.
func decodeReason(err error) string {
	var se securecookie.Error
	if !errors.As(err, &se) {
		return "securecookie: undecodable value"
	}
	var b64 base64.CorruptInputError
	if cause := se.Cause(); cause == nil || errors.Is(cause, errSessionPayload) || errors.As(cause, &b64) {
		return se.Error()
	}
	return "securecookie: undecodable value"
}

// Delete does nothing: a cookie store keeps nothing to forget. Logging
// out clears the browser's cookie, and a [RevocationList] refuses copies.
func (c *CookieStore) Delete(context.Context, *Session) error { return nil }

// errSessionPayload replaces encoding/json's errors, which may quote the
// decrypted payload.
var errSessionPayload = errors.New("auth: malformed session payload")

// sessionSerializer is a securecookie.Serializer for *Session alone, in
// encoding/json with the short keys of [Session]. It is smaller and much
// faster than gob, and a gob value (as gorilla/sessions writes) is not
// JSON, so it is refused.
type sessionSerializer struct{}

// Serialize encodes a *Session.
func (sessionSerializer) Serialize(src any) ([]byte, error) {
	s, ok := src.(*Session)
	if !ok || s == nil {
		return nil, fmt.Errorf("auth: cookie store serializes *Session, not %T", src)
	}
	return json.Marshal(s)
}

// Deserialize decodes into a *Session. The payload must be a JSON object.
func (sessionSerializer) Deserialize(src []byte, dst any) error {
	s, ok := dst.(*Session)
	if !ok || s == nil {
		return fmt.Errorf("auth: cookie store deserializes into *Session, not %T", dst)
	}
	if len(src) == 0 || src[0] != '{' {
		return errSessionPayload
	}
	if parseSessionJSON(src, s) {
		return nil
	}
	*s = Session{}
	if json.Unmarshal(src, s) != nil {
		return errSessionPayload
	}
	return nil
}

// parseSessionJSON is the fast path of Deserialize. It parses exactly the
// form json.Marshal gives a Session (known keys, each at most once, no
// whitespace, strings without escapes, plain integers) and reports false
// for anything else, leaving that to encoding/json; when it reports true,
// the result is the one json.Unmarshal gives. It makes one string of src,
// which the fields share, so a load costs three allocations rather than
// about a dozen, and skips encoding/json's reflection and validity scan.
func parseSessionJSON(src []byte, s *Session) bool {
	p := sessionParser{in: string(src)}
	if !p.byte('{') {
		return false
	}
	if p.byte('}') {
		return p.pos == len(p.in)
	}
	var seen uint16
	for {
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return false
		}
		var bit uint16
		switch key {
		case "i":
			bit = 1 << 0
			s.ID, ok = p.str()
		case "u":
			bit = 1 << 1
			s.User, ok = p.str()
		case "g":
			bit = 1 << 2
			s.Groups, ok = p.strs()
		case "p":
			bit = 1 << 3
			s.Provider, ok = p.str()
		case "ia":
			bit = 1 << 4
			s.IssuedAt, ok = p.int()
		case "ls":
			bit = 1 << 5
			s.LastSeen, ok = p.int()
		case "e":
			bit = 1 << 6
			s.ExpiresAt, ok = p.int()
		case "m":
			bit = 1 << 7
			s.Email, ok = p.str()
		case "s":
			bit = 1 << 8
			s.Sections, ok = p.strs()
		default:
			return false
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		if p.byte('}') {
			return p.pos == len(p.in)
		}
		if !p.byte(',') {
			return false
		}
	}
}

// sessionParser reads the compact JSON of a Session; see parseSessionJSON.
type sessionParser struct {
	in  string
	pos int
}

// byte consumes c if it is next.
func (p *sessionParser) byte(c byte) bool {
	if p.pos < len(p.in) && p.in[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// str reads a string without escapes or control characters, in valid
// UTF-8, as a substring of the input.
func (p *sessionParser) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.pos
	for ; p.pos < len(p.in); p.pos++ {
		switch c := p.in[p.pos]; {
		case c == '"':
			v := p.in[start:p.pos]
			p.pos++
			return v, utf8.ValidString(v)
		case c == '\\' || c < 0x20:
			return "", false
		}
	}
	return "", false
}

// strs reads an array of strings.
func (p *sessionParser) strs() ([]string, bool) {
	if !p.byte('[') {
		return nil, false
	}
	out := make([]string, 0, 4)
	if p.byte(']') {
		return out, true
	}
	for {
		v, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if p.byte(']') {
			return out, true
		}
		if !p.byte(',') {
			return nil, false
		}
	}
}

// int reads an integer in JSON's form (no leading zeros, no fraction or
// exponent) that fits in an int64.
func (p *sessionParser) int() (int64, bool) {
	start := p.pos
	p.byte('-')
	digits := p.pos
	for p.pos < len(p.in) && '0' <= p.in[p.pos] && p.in[p.pos] <= '9' {
		p.pos++
	}
	n := p.pos - digits
	if n == 0 || (n > 1 && p.in[digits] == '0') {
		return 0, false
	}
	v, err := strconv.ParseInt(p.in[start:p.pos], 10, 64)
	return v, err == nil
}
