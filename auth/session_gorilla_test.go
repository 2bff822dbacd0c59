package auth

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/gorilla/sessions"
)

func TestGorillaStoreRoundTrip(t *testing.T) {
	hk, bk := GenerateKeyPair()
	stores := map[string]sessions.Store{
		"cookie":     sessions.NewCookieStore(hk, bk),
		"filesystem": sessions.NewFilesystemStore(t.TempDir(), hk, bk),
	}
	for name, gs := range stores {
		t.Run(name, func(t *testing.T) {
			st := GorillaStore(gs, "authwire_session")
			ctx := context.Background()
			in := &Session{ID: "abc123", User: "alice", Groups: []string{"admin", "ops"}, Sections: []string{"hr", "marketing"}, Provider: "form", IssuedAt: 100, LastSeen: 200, ExpiresAt: 4000000000}
			cookie, err := st.Save(ctx, in)
			if err != nil || cookie == "" {
				t.Fatalf("Save: %q %v", cookie, err)
			}
			out, err := st.Load(ctx, cookie)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if out.ID != in.ID || out.User != in.User || len(out.Groups) != 2 || out.Groups[1] != "ops" || !slices.Equal(out.Sections, in.Sections) ||
				out.Provider != "form" || out.IssuedAt != 100 || out.LastSeen != 200 || out.ExpiresAt != in.ExpiresAt {
				t.Fatalf("round trip: %+v", out)
			}
			for _, bad := range []string{"", "garbage", cookie[:len(cookie)-3]} {
				if _, err := st.Load(ctx, bad); !errors.Is(err, ErrNoSession) {
					t.Fatalf("Load(%q) = %v", bad, err)
				}
			}
			if name == "filesystem" {
				if err := st.Delete(ctx, out); err != nil {
					t.Fatalf("Delete: %v", err)
				}
				if _, err := st.Load(ctx, cookie); !errors.Is(err, ErrNoSession) {
					t.Fatalf("Load after Delete = %v", err)
				}
			}
		})
	}
}
