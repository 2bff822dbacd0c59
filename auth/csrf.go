package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// csrfGuard makes and checks the anti-forgery tokens of the login and
// logout forms. A token is an HMAC-SHA256, under a key derived from the
// session keys (so every process sharing the keys agrees), of a purpose
// and a value the attacker cannot read: the random login cookie before
// login, the session ID after it.
type csrfGuard struct {
	key []byte
}

// token returns the token for purpose and value.
func (g csrfGuard) token(purpose, value string) string {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// valid reports, in constant time, whether token is the one for purpose
// and value. An empty value never validates.
func (g csrfGuard) valid(purpose, value, token string) bool {
	if value == "" || token == "" {
		return false
	}
	want := g.token(purpose, value)
	return subtle.ConstantTimeCompare([]byte(want), []byte(token)) == 1
}

// deriveKey derives a purpose-specific key from secret, so that one
// configured secret never serves two uses directly.
func deriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("authwire/" + purpose))
	return m.Sum(nil)
}
