package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// The anti-forgery tokens of the login and logout forms are bound to a
// random value the browser holds but a page on another site cannot read:
// the login cookie (32 random bytes, HttpOnly, SameSite=Strict) before
// login, the session ID (32 random bytes, inside the sealed session
// cookie or, for a server-side store, the HttpOnly cookie itself) after
// it. The token is a SHA-256 of a label and that value, with no key.
//
// No key is on purpose. A token that is a MAC of a value the client
// knows, under a key derived from the session keys, lets anyone who
// fetches the login page test guesses at the session secret offline (the
// attack of issue 12). A hash of a 256-bit random value the client does
// not know (it never sees the session ID) or already holds (the login
// cookie) tells nothing about any key, needs nothing shared between
// processes, and cannot be made by a page that cannot read the value.
// A MAC would add nothing here: whoever can plant a login cookie can get
// a valid (cookie, token) pair from GET /login anyway, and whoever knows
// a session ID with a server-side store holds the session itself.
// Together with the cross-origin check (crossorigin.go), which refuses a
// cross-site form before its token is looked at, this is the defence.

// csrfToken returns the token for purpose bound to value.
func csrfToken(purpose, value string) string {
	h := sha256.New()
	h.Write([]byte("authwire/csrf/"))
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// csrfValid reports, in constant time, whether token is the one for
// purpose and value. An empty value or token never validates.
func csrfValid(purpose, value, token string) bool {
	if value == "" || token == "" {
		return false
	}
	want := csrfToken(purpose, value)
	return subtle.ConstantTimeCompare([]byte(want), []byte(token)) == 1
}
