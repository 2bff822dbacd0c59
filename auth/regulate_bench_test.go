package auth_test

import (
	"net/http"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/authwire/authwire/auth"
)

// BenchmarkGuardRegulated measures a known-good Basic credential while the
// regulator is not quiet: someone else has failed lately, so every request
// must ask whether the user or the address is banned.
func BenchmarkGuardRegulated(b *testing.B) {
	tracked := func(b *testing.B, a *auth.Auth) {
		b.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://example.test/", nil)
		req.SetBasicAuth("mallory", "guess")
		req.RemoteAddr = "198.51.100.66:4000"
		w := &discardWriter{h: make(http.Header)}
		a.Handler().ServeHTTP(w, req)
		if w.status != http.StatusUnauthorized {
			b.Fatalf("a wrong password: %d", w.status)
		}
	}
	b.Run("plaintext_map_tracking", func(b *testing.B) {
		a, err := auth.New(okHandler(), auth.WithUsers(map[string]string{"admin": "correct horse"}))
		if err != nil {
			b.Fatal(err)
		}
		tracked(b, a)
		benchGuard(b, a.Handler(), "admin", "correct horse", 200)
	})
	b.Run("bcrypt_cached_tracking", func(b *testing.B) {
		h, _ := bcrypt.GenerateFromPassword([]byte("correct horse"), 10)
		a, err := auth.New(okHandler(), auth.WithHashedUsers(map[string]string{"admin": string(h)}))
		if err != nil {
			b.Fatal(err)
		}
		tracked(b, a)
		benchGuard(b, a.Handler(), "admin", "correct horse", 200)
	})
}
