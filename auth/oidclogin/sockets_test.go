package oidclogin_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/internal/oidctest"
	"github.com/authwire/authwire/ws"
)

// socketApp is a test application with OIDC login through one provider
// and an echo WebSocket at /ws.
type socketApp struct {
	URL  string
	Auth *auth.Auth
	// backchannel receives the status of each answer of a back-channel
	// logout endpoint (a path ending in /backchannel-logout).
	backchannel chan int
}

// serveSockets starts a socketApp logging in with p, with tweak applied
// to the provider's configuration and extra options after.
func serveSockets(t *testing.T, p *oidctest.Provider, tweak func(*oidclogin.Config), extra ...auth.Option) *socketApp {
	t.Helper()
	return serveSocketsWith(t, p, tweak, auth.SessionConfig{Keys: testKeys(), InsecureCookies: true}, extra...)
}

// serveSocketsWith is serveSockets with the session configuration sc.
func serveSocketsWith(t *testing.T, p *oidctest.Provider, tweak func(*oidclogin.Config), sc auth.SessionConfig, extra ...auth.Option) *socketApp {
	t.Helper()
	return serveProvider(t, func(base string) oidclogin.Config {
		cfg := config(p, base)
		if tweak != nil {
			tweak(&cfg)
		}
		return cfg
	}, sc, extra...)
}

// serveProvider starts a socketApp logging in with the provider
// configured as cfg(base URL) says.
func serveProvider(t *testing.T, cfg func(base string) oidclogin.Config, sc auth.SessionConfig, extra ...auth.Option) *socketApp {
	t.Helper()
	var h atomic.Value
	answers := make(chan int, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/backchannel-logout") {
			h.Load().(http.Handler).ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.Load().(http.Handler).ServeHTTP(rec, r)
		select {
		case answers <- rec.status:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	mux := http.NewServeMux()
	a, err := auth.New(mux, append([]auth.Option{
		auth.WithLogger(slog.New(slog.DiscardHandler)),
		auth.WithSessions(sc),
		auth.WithLoginMethod(oidclogin.New(cfg(srv.URL))),
		auth.WithWebSocketRoutes("/ws", "/ws/admins"),
	}, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	// Sockets are rechecked often, for the refresh tests that wait for a
	// recheck to close one.
	sockets, err := ws.New(a, ws.Config{Logger: slog.New(slog.DiscardHandler), RecheckInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sockets.Shutdown(ctx)
	})
	echo := func(ctx context.Context, c *websocket.Conn, _ *auth.Identity) {
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil || c.Write(ctx, typ, msg) != nil {
				return
			}
		}
	}
	mux.Handle("GET /ws", sockets.Handler(echo))
	mux.Handle("GET /ws/admins", sockets.Handler(echo, auth.OneOf("admins")))
	mux.HandleFunc("/private", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, auth.FromContext(r.Context()).User)
	})
	mux.HandleFunc("/groups", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Join(auth.FromContext(r.Context()).Groups, ","))
	})
	mux.HandleFunc("GET /csrf", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, a.CSRFToken(r.Context()))
	})
	h.Store(a.Handler())
	return &socketApp{URL: srv.URL, Auth: a, backchannel: answers}
}

// statusRecorder keeps the status a handler writes.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// loggedIn reports whether b's session works at app.
func loggedIn(t *testing.T, b *browser, app string) bool {
	t.Helper()
	status, _, _ := b.get(app + "/private")
	return status == http.StatusOK
}

// dialSocket opens /ws at app with b's session cookie.
func dialSocket(t *testing.T, b *browser, app string) *websocket.Conn {
	t.Helper()
	return dialSocketAt(t, b, app, "/ws")
}

// dialSocketAt opens the echo socket at path with b's session cookie.
func dialSocketAt(t *testing.T, b *browser, app, path string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(app, "http")+path, &websocket.DialOptions{
		HTTPHeader: http.Header{"Cookie": {auth.DefaultSessionCookie + "=" + b.cookie(app, auth.DefaultSessionCookie)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	if err := c.Write(ctx, websocket.MessageText, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.Read(ctx); err != nil || string(msg) != "ping" {
		t.Fatalf("the socket does not echo: %q %v", msg, err)
	}
	return c
}

// closeStatus waits for the server to close c and returns its code.
func closeStatus(t *testing.T, c *websocket.Conn) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := c.Read(ctx)
	return websocket.CloseStatus(err)
}
