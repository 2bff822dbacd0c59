package auth

import "crypto/rand"

// randomBytes fills b from the operating system's secure random source.
// crypto/rand.Read never fails on supported platforms (it aborts the
// program instead), so the error is kept only to keep callers honest.
func randomBytes(b []byte) error {
	_, err := rand.Read(b)
	return err
}
