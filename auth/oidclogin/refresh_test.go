package oidclogin_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/auth/redisstore"
	"github.com/authwire/authwire/internal/oidctest"
	"github.com/authwire/authwire/internal/servetest"
	"github.com/authwire/authwire/internal/testclock"
)

// refreshApp serves an application logging in with p, asking for
// offline_access, on clk: sessions live a day and go idle after twelve
// hours, so that only the provider ends them as the clock moves.
func refreshApp(t *testing.T, p *oidctest.Provider, clk *testclock.Clock, tweak func(*oidclogin.Config)) *socketApp {
	t.Helper()
	return serveSocketsWith(t, p, func(c *oidclogin.Config) {
		c.Scopes = []string{"profile", "email", "offline_access"}
		if tweak != nil {
			tweak(c)
		}
	}, auth.SessionConfig{Keys: testKeys(), InsecureCookies: true, Lifetime: 24 * time.Hour, IdleTimeout: 12 * time.Hour},
		auth.WithClock(clk.Now))
}

// groupsOf returns the groups b's session has at app, or the status.
func groupsOf(t *testing.T, b *browser, app string) string {
	t.Helper()
	res := b.do("GET", app+"/groups", nil, "Accept", "application/json")
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return http.StatusText(res.StatusCode)
	}
	var buf [256]byte
	n, _ := res.Body.Read(buf[:])
	return string(buf[:n])
}

// TestRefresh follows a session with a refresh token: nothing is asked
// of the provider before the access token (five minutes) is near its
// expiry; then it is refreshed, once however many requests come together,
// and the groups of the refreshed ID token replace the session's.
func TestRefresh(t *testing.T) {
	p := oidctest.New(t)
	clk := testclock.New(time.Now())
	app := refreshApp(t, p, clk, nil)
	b := newBrowser(t)
	b.login(app.URL + "/oidc/login")
	if g := groupsOf(t, b, app.URL); g != "admins,ops" {
		t.Fatalf("after login: %q", g)
	}
	p.Forge(func(c map[string]any) { c["groups"] = []string{"ops", "viewers"} }, false, "")

	clk.Advance(3 * time.Minute) // the recheck is due, the refresh is not
	if g := groupsOf(t, b, app.URL); g != "admins,ops" || p.Refreshes() != 0 {
		t.Fatalf("three minutes on: groups %q, %d refreshes", g, p.Refreshes())
	}
	clk.Advance(2 * time.Minute)
	if g := groupsOf(t, b, app.URL); g != "ops,viewers" || p.Refreshes() != 1 {
		t.Fatalf("five minutes on: groups %q, %d refreshes", g, p.Refreshes())
	}

	// Many requests at once when the next refresh is due: one refresh.
	// The provider rotates refresh tokens, so a second one would redeem a
	// used token and be refused.
	p.Forge(func(c map[string]any) { c["groups"] = []string{"ops"} }, false, "")
	clk.Advance(5 * time.Minute)
	const n = 16
	start := make(chan struct{})
	got := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			got[i] = groupsOf(t, b, app.URL)
		})
	}
	close(start)
	wg.Wait()
	if slices.ContainsFunc(got, func(g string) bool { return g != "ops" }) || p.Refreshes() != 2 {
		t.Fatalf("concurrent requests: %q, %d refreshes", got, p.Refreshes())
	}
	if g := groupsOf(t, b, app.URL); g != "ops" {
		t.Fatalf("after the concurrent refresh: %q", g)
	}
}

// TestRefreshRefused checks a refresh the provider refuses: the session
// ends, the request gets 401 (a browser the login redirect), and its
// socket closes with 4401; another user's session, refreshed later, is
// not touched until its own refresh.
func TestRefreshRefused(t *testing.T) {
	p := oidctest.New(t)
	clk := testclock.New(time.Now())
	app := refreshApp(t, p, clk, nil)
	b := newBrowser(t)
	b.login(app.URL + "/oidc/login")
	socket := dialSocket(t, b, app.URL)
	p.RevokeRefreshTokens()
	if g := groupsOf(t, b, app.URL); g != "admins,ops" {
		t.Fatalf("before the refresh: %q", g)
	}
	clk.Advance(5 * time.Minute)
	if g := groupsOf(t, b, app.URL); g != http.StatusText(http.StatusUnauthorized) || p.Refreshes() != 1 {
		t.Fatalf("after the refused refresh: %q, %d refreshes", g, p.Refreshes())
	}
	if code := closeStatus(t, socket); code != 4401 {
		t.Fatalf("the socket closed with %d, want 4401", code)
	}
	if status, loc, _ := b.get(app.URL + "/private"); status != http.StatusSeeOther || loc != app.URL+"/oidc/login?next=%2Fprivate" {
		t.Fatalf("a browser after the refused refresh: %d %q", status, loc)
	}
}

// TestRefreshAtTheSocket checks that a socket alone, with no request,
// follows the provider: at its recheck, the refresh brings groups that
// its route no longer allows (4403); and a refresh refused at another
// socket's recheck closes it with 4401.
func TestRefreshAtTheSocket(t *testing.T) {
	p := oidctest.New(t)
	clk := testclock.New(time.Now())
	app := refreshApp(t, p, clk, nil)
	b := newBrowser(t)
	b.login(app.URL + "/oidc/login")
	admins := dialSocketAt(t, b, app.URL, "/ws/admins")
	p.Forge(func(c map[string]any) { c["groups"] = []string{"ops"} }, false, "")
	clk.Advance(5 * time.Minute)
	if code := closeStatus(t, admins); code != 4403 {
		t.Fatalf("the admins' socket closed with %d, want 4403", code)
	}
	if p.Refreshes() != 1 {
		t.Fatalf("%d refreshes", p.Refreshes())
	}

	socket := dialSocket(t, b, app.URL)
	p.RevokeRefreshTokens()
	clk.Advance(5 * time.Minute)
	if code := closeStatus(t, socket); code != 4401 {
		t.Fatalf("the socket closed with %d, want 4401", code)
	}
	if g := groupsOf(t, b, app.URL); g != http.StatusText(http.StatusUnauthorized) {
		t.Fatalf("the session after its socket's refused refresh: %q", g)
	}
}

// TestRefreshProviderTrouble checks that a provider answering 5xx does
// not end the session: it goes on with the rights it had, and the next
// recheck refreshes it.
func TestRefreshProviderTrouble(t *testing.T) {
	p := oidctest.New(t)
	clk := testclock.New(time.Now())
	app := refreshApp(t, p, clk, nil)
	b := newBrowser(t)
	b.login(app.URL + "/oidc/login")
	p.Forge(func(c map[string]any) { c["groups"] = []string{"ops"} }, false, "")
	p.FailRefreshes(http.StatusServiceUnavailable)
	clk.Advance(5 * time.Minute)
	if g := groupsOf(t, b, app.URL); g != "admins,ops" || p.Refreshes() != 1 {
		t.Fatalf("with the provider in trouble: %q, %d refreshes", g, p.Refreshes())
	}
	p.FailRefreshes(0)
	clk.Advance(auth.DefaultRecheckInterval)
	if g := groupsOf(t, b, app.URL); g != "ops" || p.Refreshes() != 2 {
		t.Fatalf("with the provider back: %q, %d refreshes", g, p.Refreshes())
	}
}

// TestRefreshNeedsARefreshToken checks that a login without a refresh
// token (no offline_access) is never refreshed, and lives its own
// lifetime.
func TestRefreshNeedsARefreshToken(t *testing.T) {
	p := oidctest.New(t)
	clk := testclock.New(time.Now())
	app := refreshApp(t, p, clk, func(c *oidclogin.Config) { c.Scopes = nil })
	b := newBrowser(t)
	b.login(app.URL + "/oidc/login")
	p.RevokeRefreshTokens()
	clk.Advance(time.Hour)
	if g := groupsOf(t, b, app.URL); g != "admins,ops" || p.Refreshes() != 0 {
		t.Fatalf("a session without a refresh token: %q, %d refreshes", g, p.Refreshes())
	}
}

// TestRefreshSharedTokenStore runs two processes that share sessions,
// revocations and a TokenStore in a real redis-server: a session started
// at the first is refreshed by the second, what the store holds is
// sealed (no token, group or session ID in it) and expires with the
// session, a refresh refused at the
// second ends the session at the first too, and logout forgets the
// tokens.
func TestRefreshSharedTokenStore(t *testing.T) {
	srv := servetest.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	p := oidctest.New(t)
	clk := testclock.New(time.Now())
	keys := testKeys()
	process := func() *socketApp {
		store := redisstore.New(rdb, redisstore.Config{})
		return serveSocketsWith(t, p, func(c *oidclogin.Config) {
			c.Scopes = []string{"offline_access"}
			c.TokenStore = store.OIDCTokens()
		}, auth.SessionConfig{Keys: keys, Store: store, Revocations: store, InsecureCookies: true, Lifetime: 24 * time.Hour, IdleTimeout: 12 * time.Hour},
			auth.WithClock(clk.Now))
	}
	app1, app2 := process(), process()
	ctx := context.Background()
	tokens := func() map[string]string {
		t.Helper()
		keys, err := rdb.Keys(ctx, "authwire:oidc:{*}:t").Result()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, k := range keys {
			out[k] = rdb.Get(ctx, k).Val()
		}
		return out
	}

	b := newBrowser(t)
	b.login(app1.URL + "/oidc/login")
	session := b.cookie(app1.URL, auth.DefaultSessionCookie)
	kept := tokens()
	if len(kept) != 1 {
		t.Fatalf("the store holds %d records after one login", len(kept))
	}
	for k, v := range kept {
		if left := rdb.PTTL(ctx, k).Val(); left <= 23*time.Hour || left > 24*time.Hour {
			t.Fatalf("the store's record expires in %v, want the session's end, in a day", left)
		}
		for _, secret := range []string{session, "ops", "admins", "u-1", "alice"} {
			if strings.Contains(k, secret) || strings.Contains(v, secret) {
				t.Fatalf("the store's record %q holds %q in clear", k, secret)
			}
		}
	}
	p.Forge(func(c map[string]any) { c["groups"] = []string{"ops"} }, false, "")
	clk.Advance(5 * time.Minute)
	if g := groupsOf(t, b, app2.URL); g != "ops" || p.Refreshes() != 1 {
		t.Fatalf("the refresh at the second process: %q, %d refreshes", g, p.Refreshes())
	}
	status, _ := b.logout(app2.URL)
	if status != http.StatusSeeOther || len(tokens()) != 0 {
		t.Fatalf("logout: %d, the store holds %d records", status, len(tokens()))
	}

	b.login(app1.URL + "/oidc/login")
	p.RevokeRefreshTokens()
	clk.Advance(5 * time.Minute)
	if g := groupsOf(t, b, app2.URL); g != http.StatusText(http.StatusUnauthorized) {
		t.Fatalf("the second process after a refused refresh: %q", g)
	}
	if g := groupsOf(t, b, app1.URL); g != http.StatusText(http.StatusUnauthorized) || p.Refreshes() != 2 {
		t.Fatalf("the first process after the second's refused refresh: %q, %d refreshes", g, p.Refreshes())
	}
}
