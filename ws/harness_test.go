package ws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/backends/fiberbackend"
	"github.com/authwire/authwire/backends/ginbackend"
	"github.com/authwire/authwire/internal/servetest"
)

// waitFor bounds every wait of the tests; it is a safety net, not a
// timing assertion.
const waitFor = 10 * time.Second

// backend builds an app on one framework: it installs auth on a fresh app
// and returns its router, for Server.Mount and plain routes, and how to
// serve the app on a loopback listener until the test ends (giving its
// base URL).
type backend struct {
	name  string
	build func(opts ...auth.Option) (*auth.Auth, backends.Router, server, error)
}

type server func(t testing.TB) (baseURL string)

var backendsUnderTest = []backend{
	{"net/http", func(opts ...auth.Option) (*auth.Auth, backends.Router, server, error) {
		mux := http.NewServeMux()
		a, err := auth.New(mux, opts...)
		return a, mux, serveHandler(a), err
	}},
	{"gin", func(opts ...auth.Option) (*auth.Auth, backends.Router, server, error) {
		engine := gin.New()
		a, err := auth.New(engine, opts...)
		return a, ginbackend.Router(engine), serveHandler(a), err
	}},
	{"fiber", func(opts ...auth.Option) (*auth.Auth, backends.Router, server, error) {
		app := fiber.New(fiber.Config{DisableStartupMessage: true})
		app.Server().MaxIdleWorkerDuration = 50 * time.Millisecond
		a, err := auth.New(app, opts...)
		return a, fiberbackend.Router(app), serveFiber(app), err
	}},
}

// serveHandler serves the guarded net/http handler (net/http and Gin).
func serveHandler(a *auth.Auth) server {
	return func(t testing.TB) string {
		srv := httptest.NewServer(a.Handler())
		t.Cleanup(srv.Close)
		return srv.URL
	}
}

// serveFiber serves a Fiber app until the test ends.
func serveFiber(app *fiber.App) server {
	return func(t testing.TB) string { return servetest.Fiber(t, app) }
}

// forEachBackend runs f as a subtest per backend.
func forEachBackend(t *testing.T, f func(t *testing.T, be backend)) {
	for _, be := range backendsUnderTest {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			f(t, be)
		})
	}
}

// event is what a test handler reports.
type event struct {
	path  string
	id    *auth.Identity
	cause error // context.Cause when the handler returned; nil when it started
}

// testApp is a running app: auth with sessions and the demo users, a ws
// Server, and these routes: /ws/echo (authenticated echo), /ws/admin (echo
// for group admin), /ws/public (PublicHandler: greets, then echoes),
// /ws/panic (panics), /ws/quiet (reads until closed, reporting nothing: for
// benchmarks), GET /api/sid (the caller's session ID).
type testApp struct {
	t       testing.TB
	base    string
	a       *auth.Auth
	s       *Server
	clock   *fakeClock
	client  *http.Client
	started chan event
	ended   chan event
}

// newTestApp starts a testApp on be; extra are added to auth's options.
func newTestApp(t testing.TB, be backend, cfg Config, extra ...auth.Option) *testApp {
	t.Helper()
	return startTestApp(t, be, cfg, func(clk *fakeClock) []auth.Option {
		return append([]auth.Option{
			auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123"}),
			auth.WithUserGroups(map[string][]string{"admin": {"admin"}, "viewer": {"viewer"}}),
			auth.WithSessions(auth.SessionConfig{Keys: testKeys(), InsecureCookies: true}),
			auth.WithClock(clk.Now),
			auth.WithoutRegulation(),
			auth.WithPublicRoutes("/page"),
		}, extra...)
	})
}

// testKeys returns a fresh random pair of session keys (KeysFromSecrets
// would run argon2id on every call).
func testKeys() [][]byte {
	hashKey, blockKey := auth.GenerateKeyPair()
	return [][]byte{hashKey, blockKey}
}

// startTestApp starts a testApp on be with exactly the auth options that
// options gives for the test's clock, which must include auth.WithClock
// of it.
func startTestApp(t testing.TB, be backend, cfg Config, options func(clk *fakeClock) []auth.Option) *testApp {
	t.Helper()
	clk := newFakeClock()
	a, router, serve, err := be.build(options(clk)...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.clock = clock{now: clk.Now, afterFunc: clk.afterFunc}
	app := &testApp{
		t: t, a: a, s: s, clock: clk,
		started: make(chan event, 256),
		ended:   make(chan event, 256),
	}
	for _, err := range []error{
		s.Mount(router, "/ws/echo", app.echo("/ws/echo", false)),
		s.Mount(router, "/ws/admin", app.echo("/ws/admin", false), auth.OneOf("admin")),
		s.MountPublic(router, "/ws/public", app.echo("/ws/public", true)),
		s.Mount(router, "/ws/panic", func(context.Context, *websocket.Conn, *auth.Identity) { panic("boom") }),
		s.Mount(router, "/ws/quiet", readUntilClosed),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	router.Handle("GET /page", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, browserPage)
	}))
	router.Handle("GET /api/sid", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, auth.FromContext(r.Context()).SessionID)
	}))
	app.base = serve(t)
	app.client = &http.Client{Transport: &http.Transport{}}
	t.Cleanup(app.client.CloseIdleConnections)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return app
}

// echo is a handler that reports its start and end, and echoes messages.
// With greet, it first sends the caller's name, or "anonymous".
func (app *testApp) echo(path string, greet bool) Func {
	return func(ctx context.Context, c *websocket.Conn, id *auth.Identity) {
		app.started <- event{path: path, id: id}
		defer func() { app.ended <- event{path: path, id: id, cause: context.Cause(ctx)} }()
		if greet {
			name := "anonymous"
			if id != nil {
				name = id.User
			}
			if err := c.Write(ctx, websocket.MessageText, []byte(name)); err != nil {
				return
			}
		}
		for {
			typ, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			if err := c.Write(ctx, typ, b); err != nil {
				return
			}
		}
	}
}

// readUntilClosed is a handler that only reads, so that control frames
// are answered, until the socket closes.
func readUntilClosed(ctx context.Context, c *websocket.Conn, _ *auth.Identity) {
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return
		}
	}
}

// login authenticates with Basic, which starts a session, and returns the
// session cookie's value and the session ID.
func (app *testApp) login(user, pass string) (cookie, sid string) {
	app.t.Helper()
	return servetest.Login(app.t, app.client, app.base+"/api/sid", user, pass)
}

func cookieHeader(value string) http.Header {
	return http.Header{"Cookie": {auth.DefaultSessionCookie + "=" + value}}
}

// dial opens a socket on path with the given handshake headers.
func (app *testApp) dial(path string, h http.Header) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(app.base, "http")+path,
		&websocket.DialOptions{HTTPClient: app.client, HTTPHeader: h})
	if c != nil {
		app.t.Cleanup(func() { c.CloseNow() })
	}
	return c, resp, err
}

// mustDial dials and fails the test unless the socket opens.
func (app *testApp) mustDial(path string, h http.Header) *websocket.Conn {
	app.t.Helper()
	c, resp, err := app.dial(path, h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		app.t.Fatalf("dial %s: %v (HTTP %d)", path, err, status)
	}
	return c
}

// next waits for the next event on ch.
func (app *testApp) next(ch chan event, what string) event {
	app.t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(waitFor):
		app.t.Fatalf("no handler %s within %v", what, waitFor)
		return event{}
	}
}

// mustEcho checks that c echoes a message.
func mustEcho(t *testing.T, c *websocket.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte("ping?")); err != nil {
		t.Fatalf("write: %v", err)
	}
	_, b, err := c.Read(ctx)
	if err != nil || string(b) != "ping?" {
		t.Fatalf("echo: %q, %v", b, err)
	}
}

// mustRead reads one text message.
func mustRead(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

// expectClose checks that the client's next read fails with a close frame
// of the given code.
func expectClose(t *testing.T, c *websocket.Conn, code websocket.StatusCode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_, b, err := c.Read(ctx)
	if got := websocket.CloseStatus(err); got != code {
		t.Fatalf("want close %d, got %d (message %q, err %v)", code, got, b, err)
	}
}

// expectCause checks that a handler's context ended because the server
// sent a close with code.
func expectCause(t *testing.T, e event, code websocket.StatusCode) {
	t.Helper()
	var ce websocket.CloseError
	if !errors.As(e.cause, &ce) || ce.Code != code {
		t.Fatalf("handler %s ended with cause %v, want a close %d", e.path, e.cause, code)
	}
}

// status returns the HTTP status of a failed dial.
func status(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	return fmt.Sprint(resp.StatusCode)
}

// newPlainServer serves h on a loopback listener until the test ends.
func newPlainServer(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// discardLogger is for tests that provoke logged failures.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
