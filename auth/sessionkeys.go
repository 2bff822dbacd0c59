package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// ErrWeakSecret is wrapped, with [ErrInvalidConfig], by the error
// [KeysFromSecrets] returns for a secret too easy to guess.
var ErrWeakSecret = errors.New("auth: session secret too weak")

// The argon2id parameters of KeysFromSecrets (RFC 9106's second
// recommended option). They are part of the key format: changing them
// changes every derived key, which logs every user out.
const (
	secretKDFTime    = 3        // passes
	secretKDFMemory  = 64 << 10 // KiB: 64 MiB
	secretKDFThreads = 4        // lanes
	secretKDFSalt    = "authwire/session-keys/v2"
)

// KeysFromSecrets derives cookie-store key pairs from secrets, newest
// first, for [SessionConfig].Keys: each secret gives a 32-byte hash key
// and a 32-byte block key (AES-256). Put the new secret first to rotate,
// as [NewCookieStore] explains.
//
// A secret must be hard to guess: one whose estimated entropy is below
// [MinSecretBits] is refused with an error wrapping [ErrWeakSecret] and
// [ErrInvalidConfig]. Make one with
//
//	openssl rand -base64 32
//
// and keep it out of the source code. The estimate errs low: it refuses
// short phrases of words, names, dates and repeats, while random base64
// or hex of 32 bytes passes with a wide margin, and so does a phrase of
// seven or more words picked at random (not a sentence).
//
// The keys are derived with argon2id (time 3, memory 64 MiB, 4 lanes,
// 64 bytes of output, a fixed salt private to authwire), so that each
// guess at a secret costs an attacker who holds a cookie the same: about
// 0.2 s and 64 MiB on one server core, instead of the microsecond an
// HMAC costs. The derivation runs once per secret, in this call: call it
// once at start-up and keep the keys (it takes 64 MiB while it runs). A
// secret derives the same keys in every process and on every start.
//
// The keys serve the cookie store alone. Nothing authwire hands a client
// is a MAC under them of data the client knows, other than the sealed
// session cookie itself: the login and logout forms' CSRF tokens are
// bound to random values without any key (see [Auth.CSRFToken]).
func KeysFromSecrets(secrets ...string) ([][]byte, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: KeysFromSecrets needs a secret", ErrInvalidConfig)
	}
	for i, s := range secrets {
		if err := checkSecret(s); err != nil {
			return nil, invalidConfig(fmt.Errorf("session secret %d: %w", i+1, err))
		}
	}
	keys := make([][]byte, 0, 2*len(secrets))
	for _, s := range secrets {
		k := argon2.IDKey([]byte(s), []byte(secretKDFSalt), secretKDFTime, secretKDFMemory, secretKDFThreads, 64)
		keys = append(keys, k[:32:32], k[32:])
	}
	return keys, nil
}

// checkSecret refuses a secret too easy to guess, saying how to make one.
func checkSecret(s string) error {
	if bits := secretBits(s); bits < MinSecretBits {
		return fmt.Errorf("%w: its estimated entropy is %.0f bits, below the %d required; "+
			"make a random one with `openssl rand -base64 32`", ErrWeakSecret, bits, MinSecretBits)
	}
	return nil
}

// deriveKey derives a purpose-specific key from a key that is already
// strong (a session hash key), so that one key never serves two uses
// directly.
func deriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("authwire/" + purpose))
	return m.Sum(nil)
}
