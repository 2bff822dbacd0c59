package ws

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
)

// groupTable is a GroupsFunc whose answers the test changes.
type groupTable struct {
	mu     sync.Mutex
	groups map[string][]string // a user missing here is unknown
}

func (g *groupTable) set(user string, groups ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if groups == nil {
		delete(g.groups, user)
		return
	}
	g.groups[user] = groups
}

func (g *groupTable) lookup(_ context.Context, user string) ([]string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	groups, ok := g.groups[user]
	if !ok {
		return nil, auth.ErrUnknownUser
	}
	return groups, nil
}

// rightsApp is an app whose groups come from a groupTable, rechecking
// sockets every few milliseconds; auth's clock is the test's.
type rightsApp struct {
	*testApp
	groups *groupTable
}

func newRightsApp(t *testing.T, be backend) *rightsApp {
	groups := &groupTable{groups: map[string][]string{"alice": {"admin", "ops"}}}
	app := startTestApp(t, be, Config{RecheckInterval: 20 * time.Millisecond, Logger: discardLogger()}, func(clk *fakeClock) []auth.Option {
		return []auth.Option{
			auth.WithUsers(map[string]string{"alice": "pw"}),
			auth.WithGroupsFunc(groups.lookup),
			auth.WithSessions(auth.SessionConfig{Keys: testKeys(), InsecureCookies: true}),
			auth.WithClock(clk.Now),
			auth.WithoutRegulation(),
			auth.WithLogger(discardLogger()),
		}
	})
	return &rightsApp{testApp: app, groups: groups}
}

// TestSocketsFollowTheUsersRights: a socket whose user loses the group
// its route needs closes with 4403; one whose route still allows the user
// closes with StatusRightsChanged, so that the client reconnects with the
// rights the user has now; and once the user is gone, 4401.
func TestSocketsFollowTheUsersRights(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newRightsApp(t, be)
		cookie, _ := app.login("alice", "pw")
		admin := app.mustDial("/ws/admin", cookieHeader(cookie))
		echo := app.mustDial("/ws/echo", cookieHeader(cookie))
		mustEcho(t, admin)
		mustEcho(t, echo)

		// Within the session's recheck interval, the rights read at
		// login hold.
		app.groups.set("alice", "ops")
		time.Sleep(100 * time.Millisecond) // several socket rechecks
		mustEcho(t, admin)

		app.clock.advance(auth.DefaultRecheckInterval)
		expectClose(t, admin, StatusForbidden)
		expectClose(t, echo, StatusRightsChanged)

		// The client reconnects: the route that needs no group lets it in.
		again := app.mustDial("/ws/echo", cookieHeader(cookie))
		mustEcho(t, again)
		app.groups.set("alice") // the user is removed
		app.clock.advance(auth.DefaultRecheckInterval)
		expectClose(t, again, StatusUnauthenticated)
		// And the session is over for HTTP too.
		req, _ := http.NewRequest("GET", app.base+"/api/sid", nil)
		req.Header = cookieHeader(cookie)
		req.Header.Set("Accept", "application/json")
		resp, err := app.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a removed user's session over HTTP: %d", resp.StatusCode)
		}
	})
}

// TestIdleSessionClosesItsSockets: a socket's own traffic does not keep
// its session alive; once the session has gone unused for the idle
// timeout, its sockets close with 4401. A request in between keeps it.
func TestIdleSessionClosesItsSockets(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{RecheckInterval: 20 * time.Millisecond})
		cookie, _ := app.login("admin", "admin")
		c := app.mustDial("/ws/echo", cookieHeader(cookie))

		app.clock.advance(50 * time.Minute)
		mustEcho(t, c) // traffic on the socket
		app.login("admin", "admin")
		req, _ := http.NewRequest("GET", app.base+"/api/sid", nil)
		req.Header = cookieHeader(cookie)
		resp, err := app.client.Do(req) // the session is used over HTTP
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("session at 50 min: %d", resp.StatusCode)
		}
		app.clock.advance(50 * time.Minute) // 50 min since that request
		time.Sleep(100 * time.Millisecond)
		mustEcho(t, c)
		app.clock.advance(11 * time.Minute) // 61 min: idle
		expectClose(t, c, StatusUnauthenticated)
	})
}

// TestRevokeUserClosesEverySocket: RevokeUser closes every session
// socket of the user at once, and leaves another user's open.
func TestRevokeUserClosesEverySocket(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{RecheckInterval: -1})
		one, _ := app.login("admin", "admin")
		two, _ := app.login("admin", "admin")
		other, _ := app.login("viewer", "viewer123")
		socks := []*websocket.Conn{app.mustDial("/ws/echo", cookieHeader(one)), app.mustDial("/ws/echo", cookieHeader(two))}
		keep := app.mustDial("/ws/echo", cookieHeader(other))
		if err := app.a.RevokeUser(t.Context(), "admin"); err != nil {
			t.Fatal(err)
		}
		for _, c := range socks {
			expectClose(t, c, StatusUnauthenticated)
		}
		mustEcho(t, keep)
		expectClose(t, app.mustDial("/ws/echo", cookieHeader(one)), StatusUnauthenticated)
	})
}

// flakyRevocations is a revocation list that can be made to fail, as a
// shared store does while it is away.
type flakyRevocations struct {
	*auth.MemoryRevocations
	down atomic.Bool
}

var errStoreDown = errors.New("store down")

func (f *flakyRevocations) Revoked(ctx context.Context, id string) (bool, error) {
	if f.down.Load() {
		return false, errStoreDown
	}
	return f.MemoryRevocations.Revoked(ctx, id)
}

func (f *flakyRevocations) SessionRevoked(ctx context.Context, id, user string, issued time.Time) (bool, error) {
	if f.down.Load() {
		return false, errStoreDown
	}
	return f.MemoryRevocations.SessionRevoked(ctx, id, user, issued)
}

// TestRecheckCatchesUpAfterAnOutage: while the revocation list cannot be
// reached, a socket stays open (its checks fail, and say so); a
// revocation made meanwhile by another process, which this one never
// heard of, closes it with 4401 at the first check after the list is back.
func TestRecheckCatchesUpAfterAnOutage(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		revs := &flakyRevocations{MemoryRevocations: auth.NewMemoryRevocations(nil)}
		app := startTestApp(t, be, Config{RecheckInterval: 20 * time.Millisecond, Logger: discardLogger()}, func(clk *fakeClock) []auth.Option {
			return []auth.Option{
				auth.WithUsers(map[string]string{"admin": "admin"}),
				auth.WithSessions(auth.SessionConfig{Keys: testKeys(), InsecureCookies: true, Revocations: revs}),
				auth.WithClock(clk.Now),
				auth.WithoutRegulation(), auth.WithLogger(discardLogger()),
			}
		})
		cookie, sid := app.login("admin", "admin")
		c := app.mustDial("/ws/quiet", cookieHeader(cookie))
		closed := make(chan websocket.StatusCode, 1)
		go func() {
			_, _, err := c.Read(context.Background())
			closed <- websocket.CloseStatus(err)
		}()

		revs.down.Store(true)
		// Revoked elsewhere while this process cannot see it: the entry
		// is in the list, no hook ran here.
		if err := revs.MemoryRevocations.Revoke(t.Context(), sid, app.clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		select {
		case code := <-closed:
			t.Fatalf("the socket closed (%d) while the list was away", code)
		case <-time.After(200 * time.Millisecond): // about ten failed checks
		}
		revs.down.Store(false)
		select {
		case code := <-closed:
			if code != StatusUnauthenticated {
				t.Fatalf("after the outage the socket closed with %d, want 4401", code)
			}
		case <-time.After(waitFor):
			t.Fatal("the revoked session's socket stayed open after the list came back")
		}
	})
}
