package auth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"testing"
)

// TestSecretBitsRefusesMadeUpSecrets holds the secrets people write, the
// one found by the offline dictionary attack of issue 12 first, under
// MinSecretBits.
func TestSecretBitsRefusesMadeUpSecrets(t *testing.T) {
	for _, s := range []string{
		"summer-dashboard-cookie2025",
		"backendtest login secret",
		"a test secret of decent length",
		"callbacks harness secret, long enough",
		"shared by every process, long enough",
		"correct horse battery staple",
		"Summer2025!Summer2025!Summer2025!Summer2025!",
		"SummerDashboardCookie2025Winter",
		"passwordpasswordpasswordpasswordpassword",
		"0123456789012345678901234567890123456789",
		"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
		"\u00e9t\u00e9-hiver-printemps-automne",
		"short",
		"",
	} {
		if bits := secretBits(s); bits >= MinSecretBits {
			t.Errorf("%q: estimated %.1f bits, want below %d", s, bits, MinSecretBits)
		}
	}
}

// TestSecretBitsAcceptsRandomSecrets checks that what the error message
// recommends passes: 32 random bytes in base64 (openssl rand -base64 32),
// base64url, or hex (openssl rand -hex 32).
func TestSecretBitsAcceptsRandomSecrets(t *testing.T) {
	raw := make([]byte, 32)
	for range 5000 {
		rand.Read(raw)
		for _, s := range []string{
			base64.StdEncoding.EncodeToString(raw),
			base64.RawURLEncoding.EncodeToString(raw),
			hex.EncodeToString(raw),
		} {
			if bits := secretBits(s); bits < MinSecretBits {
				t.Fatalf("%q: estimated %.1f bits, below %d", s, bits, MinSecretBits)
			}
		}
	}
	for _, s := range []string{
		"correct horse battery staple orbit lemon tiger violin", // eight random words
		"tj1M7bQx3mVq6dN0Zr8Hc2Kp9Lw5Ys4Gf7Ue1Ia3Ob6=",
	} {
		if bits := secretBits(s); bits < MinSecretBits {
			t.Errorf("%q: estimated %.1f bits, below %d", s, bits, MinSecretBits)
		}
	}
}

func FuzzSecretBits(f *testing.F) {
	f.Add("summer-dashboard-cookie2025")
	f.Add("tj1M7bQx3mVq6dN0Zr8Hc2Kp9Lw5Ys4Gf7Ue1Ia3Ob6=")
	f.Fuzz(func(t *testing.T, s string) {
		bits := secretBits(s)
		// Never more than 8 bits a byte, never negative.
		if bits < 0 || bits > 8*float64(len(s)) {
			t.Fatalf("%q: %v bits", s, bits)
		}
	})
}
