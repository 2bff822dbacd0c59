package oidclogin_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
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

// heldGrants holds process n's refresh grants at the provider's token
// endpoint, once armed, until release closes: entered says that n's
// grant is under way.
type heldGrants struct {
	n        int
	tokenURL string
	armed    *atomic.Bool
	entered  chan<- int
	release  <-chan struct{}
}

func (h heldGrants) RoundTrip(r *http.Request) (*http.Response, error) {
	if h.armed.Load() && r.Method == http.MethodPost && r.URL.String() == h.tokenURL {
		h.entered <- h.n
		<-h.release
	}
	return http.DefaultTransport.RoundTrip(r)
}

// watchedTokens is redisstore's OIDCTokens, telling refused when process
// n finds a session's refresh lock held by another.
type watchedTokens struct {
	*redisstore.OIDCTokens
	n       int
	refused chan<- int
}

func (w watchedTokens) LockRefresh(ctx context.Context, key string, ttl time.Duration) (func(), bool, error) {
	unlock, ok, err := w.OIDCTokens.LockRefresh(ctx, key, ttl)
	if err == nil && !ok {
		select {
		case w.refused <- w.n:
		default:
		}
	}
	return unlock, ok, err
}

var _ oidclogin.RefreshLocker = watchedTokens{}

// TestRefreshOnceAcrossProcesses runs two processes that share sessions
// and redisstore's OIDCTokens in a real redis-server, and sends both
// concurrent requests for one session whose access token is due: the
// process that takes the refresh lock redeems the refresh token (held at
// the provider until the other has found the lock taken), the other waits
// for what it saves, so the provider, which rotates refresh tokens and
// refuses a used one, sees one refresh grant; both serve the refreshed
// groups, and the session goes on, refreshed next by the other process
// with the rotated token.
func TestRefreshOnceAcrossProcesses(t *testing.T) {
	srv := servetest.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	p := oidctest.New(t)
	clk := testclock.New(time.Now())
	keys := testKeys()
	var armed atomic.Bool
	entered, refused, release := make(chan int, 4), make(chan int, 1), make(chan struct{})
	process := func(n int) *socketApp {
		store := redisstore.New(rdb, redisstore.Config{})
		return serveSocketsWith(t, p, func(c *oidclogin.Config) {
			c.Scopes = []string{"offline_access"}
			c.TokenStore = watchedTokens{store.OIDCTokens(), n, refused}
			c.HTTPClient = &http.Client{Transport: heldGrants{n, p.URL + "/token", &armed, entered, release}}
		}, auth.SessionConfig{Keys: keys, Store: store, Revocations: store, InsecureCookies: true, Lifetime: 24 * time.Hour, IdleTimeout: 12 * time.Hour},
			auth.WithClock(clk.Now))
	}
	apps := []*socketApp{process(0), process(1)}
	b := newBrowser(t)
	b.login(apps[0].URL + "/oidc/login")
	if g := groupsOf(t, b, apps[1].URL); g != "admins,ops" {
		t.Fatalf("after login, at the second process: %q", g)
	}

	p.Forge(func(c map[string]any) { c["groups"] = []string{"ops"} }, false, "")
	clk.Advance(5 * time.Minute)
	armed.Store(true)
	const perProcess = 8
	got := make([]string, 2*perProcess)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i] = groupsOf(t, b, apps[i%2].URL) })
	}
	first := <-entered
	select {
	case n := <-refused:
		if n == first {
			t.Errorf("process %d found its own refresh lock held", n)
		}
	case n := <-entered:
		t.Errorf("process %d redeemed the refresh token too, while process %d's refresh was under way", n, first)
	}
	close(release)
	wg.Wait()
	armed.Store(false)
	for i, g := range got {
		if g != "ops" {
			t.Errorf("request %d, at process %d: %q, want the refreshed groups", i, i%2, g)
		}
	}
	if p.Refreshes() != 1 {
		t.Fatalf("%d refresh grants for one session due at two processes", p.Refreshes())
	}

	other := apps[1-first].URL
	p.Forge(func(c map[string]any) { c["groups"] = []string{"viewers"} }, false, "")
	clk.Advance(5 * time.Minute)
	if g := groupsOf(t, b, other); g != "viewers" || p.Refreshes() != 2 {
		t.Fatalf("the next refresh, at the process that waited: %q, %d refresh grants", g, p.Refreshes())
	}
	if g := groupsOf(t, b, apps[first].URL); g != "viewers" {
		t.Fatalf("at the process that refreshed first: %q", g)
	}
}
