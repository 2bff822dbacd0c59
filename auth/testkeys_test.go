package auth_test

import "github.com/authwire/authwire/auth"

// testKeys returns a fresh random key pair for SessionConfig.Keys. Tests
// whose subject is not the key derivation use it rather than
// KeysFromSecrets, which runs argon2id (64 MiB, about 0.2 s, several
// seconds under the race detector) on every call.
func testKeys() [][]byte {
	h, b := auth.GenerateKeyPair()
	return [][]byte{h, b}
}
