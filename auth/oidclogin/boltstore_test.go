package oidclogin_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/boltstore"
	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/internal/oidctest"
	"github.com/authwire/authwire/internal/testclock"
)

// TestRefreshAfterRestart: with boltstore's OIDCTokens, a session logged
// in before a restart is refreshed after it (its groups follow the
// provider's); with the default in-memory store, the restarted process
// has no refresh token and leaves the session as it is.
func TestRefreshAfterRestart(t *testing.T) {
	for _, durable := range []bool{true, false} {
		p := oidctest.New(t)
		clk := testclock.New(time.Now())
		keys := testKeys()
		path := filepath.Join(t.TempDir(), "authwire.db")
		process := func() (*socketApp, func()) {
			st, err := boltstore.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			app := serveSocketsWith(t, p, func(c *oidclogin.Config) {
				c.Scopes = []string{"offline_access"}
				if durable {
					c.TokenStore = st.OIDCTokens()
				}
			}, auth.SessionConfig{Keys: keys, Revocations: st, InsecureCookies: true, Lifetime: 24 * time.Hour, IdleTimeout: 12 * time.Hour},
				auth.WithClock(clk.Now))
			return app, func() { st.Close() }
		}
		app1, stop := process()
		b := newBrowser(t)
		b.login(app1.URL + "/oidc/login")
		if g := groupsOf(t, b, app1.URL); g != "admins,ops" {
			t.Fatalf("after login: %q", g)
		}
		stop() // the restart: the file closed, a new process opens it

		app2, stop := process()
		t.Cleanup(stop)
		p.Forge(func(c map[string]any) { c["groups"] = []string{"ops", "viewers"} }, false, "")
		clk.Advance(5 * time.Minute)
		want, refreshes := "ops,viewers", 1
		if !durable {
			want, refreshes = "admins,ops", 0
		}
		if g := groupsOf(t, b, app2.URL); g != want || p.Refreshes() != refreshes {
			t.Errorf("durable=%v, after the restart: groups %q with %d refreshes, want %q with %d", durable, g, p.Refreshes(), want, refreshes)
		}
	}
}
