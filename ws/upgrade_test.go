package ws

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/authwire/authwire/internal/servetest"
	"github.com/coder/websocket"
)

func TestAcceptsAuthenticatedSockets(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		cookie, sid := app.login("admin", "admin")

		c := app.mustDial("/ws/echo", cookieHeader(cookie))
		e := app.next(app.started, "start")
		if e.id == nil || e.id.User != "admin" || e.id.SessionID != sid {
			t.Fatalf("handler identity %+v, want admin on session %s", e.id, sid)
		}
		mustEcho(t, c)
		if n := app.s.Len(); n != 1 {
			t.Fatalf("Len = %d, want 1", n)
		}

		basic := app.mustDial("/ws/echo", http.Header{"Authorization": {servetest.BasicHeader("viewer", "viewer123")}})
		if e := app.next(app.started, "start"); e.id == nil || e.id.User != "viewer" {
			t.Fatalf("Basic handshake identity %+v", e.id)
		}
		mustEcho(t, basic)

		admin := app.mustDial("/ws/admin", cookieHeader(cookie))
		app.next(app.started, "start")
		mustEcho(t, admin)

		// A normal close by the client ends the handler with the
		// connection.
		if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
			t.Fatalf("client close: %v", err)
		}
		if e := app.next(app.ended, "return"); e.cause == nil {
			t.Fatal("handler context not cancelled after the client closed")
		}
	})
}

func TestRefusesUnauthenticatedWith4401(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		expired, _ := app.login("viewer", "viewer123")
		app.clock.advance(12*time.Hour + time.Second)

		for name, h := range map[string]http.Header{
			"no cookie":       nil,
			"garbage cookie":  cookieHeader("garbage"),
			"expired session": cookieHeader(expired),
			"wrong password":  {"Authorization": {servetest.BasicHeader("admin", "nope")}},
		} {
			t.Run(name, func(t *testing.T) {
				c := app.mustDial("/ws/echo", h)
				expectClose(t, c, StatusUnauthenticated)
			})
		}
		select {
		case e := <-app.started:
			t.Fatalf("a handler ran for %+v", e.id)
		default:
		}
	})
}

func TestRefusesMissingGroupWith4403(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		cookie, _ := app.login("viewer", "viewer123")
		c := app.mustDial("/ws/admin", cookieHeader(cookie))
		expectClose(t, c, StatusForbidden)

		anon := app.mustDial("/ws/admin", nil)
		expectClose(t, anon, StatusUnauthenticated)
	})
}

func TestRejectWithHTTP(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{RejectWithHTTP: true})
		cookie, _ := app.login("viewer", "viewer123")
		for _, tc := range []struct {
			path   string
			h      http.Header
			status int
			code   string
		}{
			{"/ws/echo", nil, 401, "unauthenticated"},
			{"/ws/echo", cookieHeader("garbage"), 401, "unauthenticated"},
			{"/ws/admin", cookieHeader(cookie), 403, "forbidden"},
		} {
			_, resp, err := app.dial(tc.path, tc.h)
			if err == nil || resp == nil || resp.StatusCode != tc.status {
				t.Fatalf("%s: err %v, HTTP %s, want %d", tc.path, err, status(resp), tc.status)
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Error.Code != tc.code {
				t.Fatalf("%s: body %+v, %v", tc.path, body, err)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("%s: Cache-Control %q", tc.path, resp.Header.Get("Cache-Control"))
			}
		}
		mustEcho(t, app.mustDial("/ws/echo", cookieHeader(cookie)))
	})
}

func TestRefusesCrossOrigin(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{OriginPatterns: []string{"good.example"}})
		cookie, _ := app.login("admin", "admin")
		h := cookieHeader(cookie)
		h.Set("Origin", "http://evil.example")
		if _, resp, err := app.dial("/ws/echo", h); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-origin handshake: err %v, HTTP %s, want 403", err, status(resp))
		}
		// Nor does an anonymous one get accepted-then-closed.
		anon := http.Header{"Origin": {"http://evil.example"}}
		if _, resp, err := app.dial("/ws/echo", anon); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("anonymous cross-origin handshake: err %v, HTTP %s, want 403", err, status(resp))
		}
		h.Set("Origin", "http://good.example")
		mustEcho(t, app.mustDial("/ws/echo", h))
		h.Set("Origin", app.base)
		mustEcho(t, app.mustDial("/ws/echo", h))
	})
}

func TestNonHandshakeGets426(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		cookie, _ := app.login("admin", "admin")
		req, _ := http.NewRequest("GET", app.base+"/ws/echo", nil)
		req.Header = cookieHeader(cookie)
		resp, err := app.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusUpgradeRequired || resp.Header.Get("Upgrade") != "websocket" || len(body) == 0 {
			t.Fatalf("plain GET: %d, Upgrade %q, body %q", resp.StatusCode, resp.Header.Get("Upgrade"), body)
		}
	})
}

func TestPanicClosesWith1011(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{Logger: discardLogger()})
		cookie, _ := app.login("admin", "admin")
		expectClose(t, app.mustDial("/ws/panic", cookieHeader(cookie)), websocket.StatusInternalError)
		mustEcho(t, app.mustDial("/ws/echo", cookieHeader(cookie)))
		app.next(app.started, "start")
	})
}

func TestPublicHandler(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		anon := app.mustDial("/ws/public", nil)
		if e := app.next(app.started, "start"); e.id != nil {
			t.Fatalf("anonymous socket has identity %+v", e.id)
		}
		if got := mustRead(t, anon); got != "anonymous" {
			t.Fatalf("greeting %q", got)
		}
		mustEcho(t, anon)

		cookie, sid := app.login("viewer", "viewer123")
		c := app.mustDial("/ws/public", cookieHeader(cookie))
		app.next(app.started, "start")
		if got := mustRead(t, c); got != "viewer" {
			t.Fatalf("greeting %q", got)
		}
		if err := app.a.Revoke(context.Background(), sid); err != nil {
			t.Fatal(err)
		}
		expectClose(t, c, StatusUnauthenticated)
		mustEcho(t, anon) // anonymous sockets belong to no session
	})
}

// TestAnonymousSocketsPerClient checks the bound on one client's
// anonymous sockets: the one over it is closed with 1013, sockets with an
// identity are not counted, and a closed socket frees its place.
func TestAnonymousSocketsPerClient(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{MaxAnonymousPerClient: 2})
		var open []*websocket.Conn
		for range 2 {
			c := app.mustDial("/ws/public", nil)
			app.next(app.started, "start")
			if got := mustRead(t, c); got != "anonymous" {
				t.Fatalf("greeting %q", got)
			}
			open = append(open, c)
		}
		expectClose(t, app.mustDial("/ws/public", nil), websocket.StatusTryAgainLater)

		cookie, _ := app.login("viewer", "viewer123")
		c := app.mustDial("/ws/public", cookieHeader(cookie))
		app.next(app.started, "start")
		if got := mustRead(t, c); got != "viewer" {
			t.Fatalf("a logged-in socket over the anonymous bound: %q", got)
		}
		mustEcho(t, open[0])

		open[1].Close(websocket.StatusNormalClosure, "")
		app.next(app.ended, "end")
		for deadline := time.Now().Add(waitFor); app.s.Len() != 2; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d sockets still open", app.s.Len())
			}
		}
		again := app.mustDial("/ws/public", nil)
		app.next(app.started, "start")
		if got := mustRead(t, again); got != "anonymous" {
			t.Fatalf("after a socket closed: %q", got)
		}
	})
}
