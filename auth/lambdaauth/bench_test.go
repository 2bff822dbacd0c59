package lambdaauth_test

import (
	"context"
	"testing"

	"github.com/authwire/authwire/auth/lambdaauth"
)

// BenchmarkRequest is one warm REQUEST event: a plaintext user, and a
// bcrypt user whose credential the verified cache remembers.
func BenchmarkRequest(b *testing.B) {
	a := demoAuthorizer(b, lambdaauth.Config{Grants: map[string][]string{"admin": {"*"}, "viewer": {"GET/*"}}})
	ctx := context.Background()
	for _, c := range []struct{ name, user, pass string }{{"plaintext", "alice", "al1ce-pw"}, {"bcrypt_cached", "bob", "b0b-pw"}} {
		e := restEvent(basic(c.user, c.pass))
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Request(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
