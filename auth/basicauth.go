package auth

import (
	"sync"

	"github.com/authwire/authwire/backends"
)

// basicAuthenticator recognises callers from an Authorization: Basic
// header (RFC 7617).
type basicAuthenticator struct {
	challenge string
	maxHeader int
	passwords *passwordCheck
	proxies   trustedProxies
	buffers   sync.Pool // of *credentialBuffer
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
	return b.passwords.check(x.Context(), user, password, b.proxies.clientAddr(x), "basic")
}
