package ws

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
)

func TestLogoutClosesSocket(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		cookie, sid := app.login("admin", "admin")
		c := app.mustDial("/ws/echo", cookieHeader(cookie))
		app.next(app.started, "start")
		mustEcho(t, c)

		req, _ := http.NewRequest("POST", app.base+"/logout", nil)
		req.Header = cookieHeader(cookie)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-CSRF-Token", app.a.CSRFToken(auth.NewContext(context.Background(), &auth.Identity{SessionID: sid})))
		resp, err := app.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("logout: %d", resp.StatusCode)
		}
		expectClose(t, c, StatusUnauthenticated)
		expectCause(t, app.next(app.ended, "return"), StatusUnauthenticated)

		// The logged-out cookie opens no new socket.
		expectClose(t, app.mustDial("/ws/echo", cookieHeader(cookie)), StatusUnauthenticated)
	})
}

func TestRevokeClosesSocket(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		cookie, sid := app.login("viewer", "viewer123")
		other, _ := app.login("viewer", "viewer123")
		c := app.mustDial("/ws/echo", cookieHeader(cookie))
		app.next(app.started, "start")
		keep := app.mustDial("/ws/echo", cookieHeader(other))
		app.next(app.started, "start")

		if err := app.a.Revoke(context.Background(), sid); err != nil {
			t.Fatal(err)
		}
		expectClose(t, c, StatusUnauthenticated)
		expectCause(t, app.next(app.ended, "return"), StatusUnauthenticated)
		mustEcho(t, keep) // another session of the same user stays open
	})
}

func TestCloseUserClosesEverySession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		first, _ := app.login("admin", "admin")
		second, _ := app.login("admin", "admin")
		viewer, _ := app.login("viewer", "viewer123")
		a1 := app.mustDial("/ws/echo", cookieHeader(first))
		a2 := app.mustDial("/ws/admin", cookieHeader(second))
		v := app.mustDial("/ws/echo", cookieHeader(viewer))
		for range 3 {
			app.next(app.started, "start")
		}

		if n := app.s.CloseUser("admin"); n != 2 {
			t.Fatalf("CloseUser = %d, want 2", n)
		}
		expectClose(t, a1, StatusUnauthenticated)
		expectClose(t, a2, StatusUnauthenticated)
		for range 2 {
			e := app.next(app.ended, "return")
			if e.id.User != "admin" {
				t.Fatalf("CloseUser ended %s's handler", e.id.User)
			}
			expectCause(t, e, StatusUnauthenticated)
		}
		mustEcho(t, v)
		if n := app.s.CloseUser("admin"); n != 0 {
			t.Fatalf("second CloseUser = %d, want 0", n)
		}
	})
}

func TestCloseSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		cookie, sid := app.login("admin", "admin")
		c1 := app.mustDial("/ws/echo", cookieHeader(cookie))
		c2 := app.mustDial("/ws/public", cookieHeader(cookie))
		app.next(app.started, "start")
		app.next(app.started, "start")
		if got := mustRead(t, c2); got != "admin" {
			t.Fatalf("public socket greeted %q", got)
		}
		if n := app.s.CloseSession(sid); n != 2 {
			t.Fatalf("CloseSession = %d, want 2", n)
		}
		expectClose(t, c1, StatusUnauthenticated)
		expectClose(t, c2, StatusUnauthenticated)
		// CloseSession does not end the session: the client may reconnect.
		mustEcho(t, app.mustDial("/ws/echo", cookieHeader(cookie)))
	})
}

func TestSessionExpiryClosesSocket(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		cookie, _ := app.login("admin", "admin")
		c := app.mustDial("/ws/echo", cookieHeader(cookie))
		e := app.next(app.started, "start")
		if e.id.ExpiresAt.IsZero() {
			t.Fatal("session identity without ExpiresAt")
		}
		app.clock.advance(time.Hour) // not yet
		mustEcho(t, c)
		app.clock.advance(11 * time.Hour)
		expectClose(t, c, StatusUnauthenticated)
		expectCause(t, app.next(app.ended, "return"), StatusUnauthenticated)
	})
}

func TestShutdown(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		cookie, _ := app.login("admin", "admin")
		c := app.mustDial("/ws/echo", cookieHeader(cookie))
		anon := app.mustDial("/ws/public", nil)
		app.next(app.started, "start")
		app.next(app.started, "start")
		if got := mustRead(t, anon); got != "anonymous" {
			t.Fatalf("anonymous greeting %q", got)
		}
		if n := app.s.Len(); n != 2 {
			t.Fatalf("Len = %d, want 2", n)
		}

		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := app.s.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		// Shutdown returned, so both handlers have.
		for range 2 {
			select {
			case e := <-app.ended:
				expectCause(t, e, websocket.StatusGoingAway)
			default:
				t.Fatal("Shutdown returned before a handler did")
			}
		}
		expectClose(t, c, websocket.StatusGoingAway)
		expectClose(t, anon, websocket.StatusGoingAway)
		if n := app.s.Len(); n != 0 {
			t.Fatalf("Len after Shutdown = %d", n)
		}
		if _, resp, err := app.dial("/ws/echo", cookieHeader(cookie)); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("handshake after Shutdown: err %v, HTTP %s, want 503", err, status(resp))
		}
	})
}

func TestShutdownTimesOut(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		release := make(chan struct{})
		// A handler that ignores its context keeps Shutdown waiting. It
		// is served on a listener of its own, with an identity as the
		// guard would attach it.
		h := app.s.PublicHandler(func(ctx context.Context, c *websocket.Conn, id *auth.Identity) {
			<-release
		})
		mux := http.NewServeMux()
		mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), &auth.Identity{User: "admin"})))
		}))
		srv := newPlainServer(t, mux)
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		c, _, err := websocket.Dial(ctx, "ws"+srv[len("http"):]+"/", &websocket.DialOptions{HTTPClient: app.client})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		c.CloseRead(ctx) // answers the close handshake
		for app.s.Len() == 0 {
			time.Sleep(time.Millisecond)
		}
		short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancelShort()
		if err := app.s.Shutdown(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown with a stuck handler: %v", err)
		}
		close(release)
		if err := app.s.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown after release: %v", err)
		}
	})
}

func TestPingDropsSilentPeer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{PingInterval: 10 * time.Millisecond, WriteTimeout: 100 * time.Millisecond})
		cookie, _ := app.login("admin", "admin")

		// A client that reads answers pings and stays connected.
		live := app.mustDial("/ws/echo", cookieHeader(cookie))
		app.next(app.started, "start")
		// A client that never reads never answers them.
		app.mustDial("/ws/echo", cookieHeader(cookie))
		app.next(app.started, "start")

		got := make(chan []byte)
		readCtx, stop := context.WithCancel(context.Background())
		defer stop()
		go func() {
			for {
				_, b, err := live.Read(readCtx)
				if err != nil {
					close(got)
					return
				}
				got <- b
			}
		}()
		e := app.next(app.ended, "return")
		if !errors.Is(e.cause, errPeerGone) {
			t.Fatalf("silent peer's handler ended with %v", e.cause)
		}
		// The reading client has answered the same pings meanwhile.
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := live.Write(ctx, websocket.MessageText, []byte("still here")); err != nil {
			t.Fatal(err)
		}
		if b := <-got; string(b) != "still here" {
			t.Fatalf("echo after pings: %q", b)
		}
		stop()
		<-got
	})
}

func TestSessionEndedBeforeRegistration(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		cookie, sid := app.login("admin", "admin")
		// The session ends between the guard's check and the socket's
		// registration: here, without the guard knowing at all.
		app.s.sessionEnded(sid)
		expectClose(t, app.mustDial("/ws/echo", cookieHeader(cookie)), StatusUnauthenticated)
		select {
		case e := <-app.started:
			t.Fatalf("handler ran for an ended session: %+v", e.id)
		default:
		}
	})
}

func TestRevokeClosesManySocketsOfOneSession(t *testing.T) {
	const n = 200
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		cookie, sid := app.login("admin", "admin")
		conns := make([]*websocket.Conn, n)
		for i := range conns {
			conns[i] = app.mustDial("/ws/quiet", cookieHeader(cookie))
		}
		for app.s.Len() != n {
			time.Sleep(time.Millisecond)
		}
		// Revocations and explicit closes race each other and new
		// handshakes; every socket is closed with 4401.
		done := make(chan struct{})
		go func() {
			defer close(done)
			app.s.CloseUser("admin")
		}()
		if err := app.a.Revoke(context.Background(), sid); err != nil {
			t.Fatal(err)
		}
		closed := app.s.CloseSession(sid)
		<-done
		if closed > n {
			t.Fatalf("CloseSession = %d of %d sockets", closed, n)
		}
		errs := make(chan error, n)
		for _, c := range conns {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), waitFor)
				defer cancel()
				_, _, err := c.Read(ctx)
				if websocket.CloseStatus(err) != StatusUnauthenticated {
					errs <- err
					return
				}
				errs <- nil
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatalf("client: %v, want close 4401", err)
			}
		}
		for app.s.Len() != 0 {
			time.Sleep(time.Millisecond)
		}
	})
}
