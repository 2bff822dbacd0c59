package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
)

// KeysFromSecrets derives cookie-store key pairs from passphrases, newest
// first, for [SessionConfig].Keys: each secret gives a 32-byte HMAC key and
// a 32-byte AES key (HMAC-SHA256 of the secret with two labels). Secrets
// must be at least 16 bytes; use long random ones.
func KeysFromSecrets(secrets ...string) ([][]byte, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: KeysFromSecrets needs a secret", ErrInvalidConfig)
	}
	keys := make([][]byte, 0, 2*len(secrets))
	for i, s := range secrets {
		if len(s) < 16 {
			return nil, fmt.Errorf("%w: session secret %d is shorter than 16 bytes", ErrInvalidConfig, i+1)
		}
		keys = append(keys, deriveKey([]byte(s), "session-hash"), deriveKey([]byte(s), "session-block"))
	}
	return keys, nil
}

// deriveKey derives a purpose-specific key from a key that is already
// strong (a session hash key), so that one key never serves two uses
// directly.
func deriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("authwire/" + purpose))
	return m.Sum(nil)
}
