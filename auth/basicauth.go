package auth

import (
	"encoding/base64"
	"sync"

	"github.com/authwire/authwire/backends"
)

// basicAuthenticator recognises callers from an Authorization: Basic
// header (RFC 7617).
type basicAuthenticator struct {
	challenge string
	maxHeader int
	passwords *passwordCheck
	buffers   sync.Pool // of *credentialBuffer

	// known maps the keyed tag of each fixed user's canonical header
	// value ("Basic " + base64(user:password)) to the user's prebuilt
	// identity, when users are plaintext and fixed at New. A request
	// carrying exactly such a header is recognised with one keyed hash
	// and one lookup; anything else takes the full path. Only tags are
	// kept, under a key of this process, and looking one up reveals
	// nothing usable about the password (see [keyedHash]).
	known    map[keyedDigest]*Identity
	knownKey keyedHash

	// seen remembers, by HMAC of the whole header, the identity a header
	// proved after a real password hash, when groups are fixed so that
	// the identity cannot change under it: the next request with the
	// same header skips parsing and lookups. Nil otherwise.
	seen *verifier
}

// credentialBuffer holds decoded credentials while they are checked. It is
// pooled, and cleared before it goes back, so passwords do not linger.
type credentialBuffer [256]byte

// Challenge returns the WWW-Authenticate value for this realm.
func (b *basicAuthenticator) Challenge() string { return b.challenge }

// Authenticate checks the request's Basic credentials. The password lives
// only in a pooled buffer that is cleared before returning; it never
// reaches a context, a log line or an error.
func (b *basicAuthenticator) Authenticate(x backends.Exchange) (*Identity, error) {
	h := x.Header("Authorization")
	if h == "" {
		if x.HeaderCount("Authorization") > 1 {
			return nil, ErrMalformedCredentials
		}
		return nil, ErrNoCredentials
	}
	if len(h) > b.maxHeader {
		return nil, ErrCredentialsTooLarge
	}
	if x.HeaderCount("Authorization") > 1 {
		return nil, ErrMalformedCredentials
	}
	// A known-good header needs no password check, and so is not
	// counted by regulation; it is refused only during a ban (it then
	// takes the full path, which refuses it after as long as a hash takes).
	if b.known != nil {
		if id := b.known[b.knownKey.sumString(h)]; id != nil && b.passwords.unbanned(x, id.User) {
			return id, nil
		}
	}
	var headerKey keyedDigest
	if b.seen != nil {
		b.seen.refresh(x.Context()) // a UserSource may have a new table
		headerKey = b.seen.cache.headerKey(h)
		if id := b.seen.cache.identity(headerKey, b.seen.src.generation()); id != nil && b.passwords.unbanned(x, id.User) {
			return id, nil
		}
	}
	buf := b.buffers.Get().(*credentialBuffer)
	defer b.buffers.Put(buf)
	defer clear(buf[:])
	user, password, res := parseBasic(h, buf[:])
	switch res {
	case basicAbsent:
		return nil, ErrNoCredentials
	case basicMalformed:
		return nil, ErrMalformedCredentials
	}
	gen := uint64(0)
	if b.seen != nil {
		gen = b.seen.src.generation() // read before the check, as verify does
	}
	id, err := b.passwords.check(x, user, password, "basic")
	if err == nil && b.seen != nil {
		b.seen.cache.storeIdentity(headerKey, gen, id)
	}
	return id, err
}

// knownHeaders builds basicAuthenticator.known from plaintext users (a
// later entry for a user wins) and their prebuilt identities, tagged
// under key.
func knownHeaders(key keyedHash, users []userEntry, identities map[string]*Identity) map[keyedDigest]*Identity {
	latest := make(map[string]string, len(users))
	for _, u := range users {
		latest[u.name] = u.secret
	}
	known := make(map[keyedDigest]*Identity, len(latest))
	for name, password := range latest {
		id := identities[name]
		if id == nil {
			return nil
		}
		header := "Basic " + base64.StdEncoding.EncodeToString([]byte(name+":"+password))
		known[key.sumString(header)] = id
	}
	return known
}
