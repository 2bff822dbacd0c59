package callbacks_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/backends/fiberbackend"
	"github.com/authwire/authwire/backends/ginbackend"
	"github.com/authwire/authwire/callbacks"
	"github.com/authwire/authwire/internal/servetest"
	"github.com/authwire/authwire/ws"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// waitFor bounds every wait of these tests: a safety net against hangs,
// not a timing assertion.
const waitFor = 10 * time.Second

// testConfig is the registry configuration of the harness: small limits,
// so that the tests reach them.
var testConfig = callbacks.Config{
	MaxArgsBytes:           1024, // the socket read limit is 2*1024+4096
	MaxConcurrentPerSocket: 8,
}

// readLimit is the socket read limit the registry sets for testConfig.
const readLimit = 2*1024 + 4096

// app is what a backend builder returns: the guard, and how to mount
// handlers on the framework and serve it on a loopback listener.
type app struct {
	a *auth.Auth
	// router mounts handlers on the framework, as Registry.Mount does.
	router backends.Router
	// serve starts serving and returns the base URL; wrap, when not nil,
	// wraps the listener (net/http and Gin only).
	serve func(t testing.TB, wrap func(net.Listener) net.Listener) string
}

type backendUnderTest struct {
	name  string
	build func(opts ...auth.Option) (app, error)
}

var backendsUnderTest = []backendUnderTest{
	{"net/http", func(opts ...auth.Option) (app, error) {
		mux := http.NewServeMux()
		a, err := auth.New(mux, opts...)
		if err != nil {
			return app{}, err
		}
		return app{
			a:      a,
			router: mux,
			serve:  serveHandler(a.Handler()),
		}, nil
	}},
	{"gin", func(opts ...auth.Option) (app, error) {
		engine := gin.New()
		a, err := auth.New(engine, opts...)
		if err != nil {
			return app{}, err
		}
		return app{
			a:      a,
			router: ginbackend.Router(engine),
			serve:  serveHandler(a.Handler()),
		}, nil
	}},
	{"fiber", func(opts ...auth.Option) (app, error) {
		fa := fiber.New(fiber.Config{DisableStartupMessage: true})
		fa.Server().MaxIdleWorkerDuration = 50 * time.Millisecond
		a, err := auth.New(fa, opts...)
		if err != nil {
			return app{}, err
		}
		return app{
			a:      a,
			router: fiberbackend.Router(fa),
			serve:  serveFiber(fa),
		}, nil
	}},
}

// serveHandler serves h (net/http and Gin) until the test ends.
func serveHandler(h http.Handler) func(testing.TB, func(net.Listener) net.Listener) string {
	return func(t testing.TB, wrap func(net.Listener) net.Listener) string {
		srv := httptest.NewUnstartedServer(h)
		if wrap != nil {
			srv.Listener = wrap(srv.Listener)
		}
		srv.Start()
		t.Cleanup(srv.Close)
		return srv.URL
	}
}

// serveFiber serves a Fiber app until the test ends.
func serveFiber(fa *fiber.App) func(testing.TB, func(net.Listener) net.Listener) string {
	return func(t testing.TB, _ func(net.Listener) net.Listener) string { return servetest.Fiber(t, fa) }
}

// forEachBackend runs f as a parallel subtest per backend.
func forEachBackend(t *testing.T, f func(t *testing.T, be backendUnderTest)) {
	for _, be := range backendsUnderTest {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			f(t, be)
		})
	}
}

// tracked is one run of a tracked callback (hold, wait): closed when its
// body starts and when it returns.
type tracked struct {
	started, returned chan struct{}
	cause             error // context.Cause when it returned; read after returned
}

// testApp is a running app on one backend: the demo users, sessions, a
// ws.Server and a registry with the callbacks the tests call.
type testApp struct {
	t       testing.TB
	base    string
	a       *auth.Auth
	sockets *ws.Server
	reg     *callbacks.Registry
	client  *http.Client

	ran        atomic.Int32 // bodies of protected callbacks that ran
	handshakes atomic.Int32 // requests for /_callbacks/ws
	running    atomic.Int32 // "work" calls running now
	maxRunning atomic.Int32 // the most "work" calls seen running at once

	mu    sync.Mutex
	track map[string]*tracked
	conns map[net.Conn]bool // server-side connections, with appOptions.trackConns

	// deafGate holds "deaf" calls, which ignore their context, until
	// the test closes it.
	deafGate chan struct{}
}

type appOptions struct {
	cfg   callbacks.Config
	ws    ws.Config
	extra []auth.Option
	// trackConns records the server's connections, for dropConns
	// (net/http and Gin only).
	trackConns bool
	// routes, when set, mounts more routes before the app is served.
	routes func(t testing.TB, app *testApp, r backends.Router)
}

// trackingListener records the connections it accepts.
type trackingListener struct {
	net.Listener
	app *testApp
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.app.mu.Lock()
		l.app.conns[c] = true
		l.app.mu.Unlock()
	}
	return c, err
}

// dropConns closes every connection the server has accepted, without a
// word to the peer: a network failure, which a browser reports as 1006.
func (app *testApp) dropConns() int {
	app.mu.Lock()
	defer app.mu.Unlock()
	n := 0
	for c := range app.conns {
		if c.Close() == nil {
			n++
		}
		delete(app.conns, c)
	}
	return n
}

func newTestApp(t testing.TB, be backendUnderTest, o appOptions) *testApp {
	t.Helper()
	// A fresh random pair: KeysFromSecrets runs argon2id on every call.
	hashKey, blockKey := auth.GenerateKeyPair()
	keys := [][]byte{hashKey, blockKey}
	discard := slog.New(slog.DiscardHandler)
	opts := append([]auth.Option{
		auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123"}),
		auth.WithUserGroups(map[string][]string{"admin": {"admin"}, "viewer": {"viewer"}}),
		auth.WithSessions(auth.SessionConfig{Keys: keys, InsecureCookies: true}),
		auth.WithoutRegulation(),
		auth.WithLogger(discard),
		auth.WithPublicRoutes("/page"),
	}, o.extra...)
	built, err := be.build(opts...) // auth.New runs before any route exists
	if err != nil {
		t.Fatal(err)
	}
	app := &testApp{t: t, a: built.a, track: make(map[string]*tracked), conns: make(map[net.Conn]bool), deafGate: make(chan struct{})}
	wsCfg := o.ws
	if wsCfg.Logger == nil {
		wsCfg.Logger = discard
	}
	if app.sockets, err = ws.New(built.a, wsCfg); err != nil {
		t.Fatal(err)
	}
	cfg := o.cfg
	if cfg.Logger == nil {
		cfg.Logger = discard
	}
	if app.reg, err = callbacks.New(built.a, app.sockets, cfg); err != nil {
		t.Fatal(err)
	}
	app.register(t)
	built.router.Handle(app.reg.Prefix()+"/", countingHandler{app.reg.Handler().(backends.StreamingHandler), &app.handshakes})
	built.router.Handle("GET /api/sid", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, auth.FromContext(r.Context()).SessionID)
	}))
	built.router.Handle("GET /page", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, browserPage)
	}))
	if o.routes != nil {
		o.routes(t, app, built.router)
	}
	var wrap func(net.Listener) net.Listener
	if o.trackConns {
		wrap = func(l net.Listener) net.Listener { return &trackingListener{Listener: l, app: app} }
	}
	app.base = built.serve(t, wrap)
	app.client = &http.Client{Transport: &http.Transport{}}
	t.Cleanup(app.client.CloseIdleConnections)
	// Cleanups run last first: the ws server, then the registry, then
	// (registered by serve above) the HTTP server.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := app.reg.Shutdown(ctx); err != nil {
			t.Errorf("registry Shutdown: %v", err)
		}
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := app.sockets.Shutdown(ctx); err != nil {
			t.Errorf("ws Shutdown: %v", err)
		}
	})
	return app
}

// keyArgs are the args of the tracked callbacks.
type keyArgs struct {
	Key string `json:"key"`
}

// expect returns the tracking of the next run of a tracked callback
// called with key.
func (app *testApp) expect(key string) *tracked {
	app.mu.Lock()
	defer app.mu.Unlock()
	tr := &tracked{started: make(chan struct{}), returned: make(chan struct{})}
	app.track[key] = tr
	return tr
}

// begin is called by a tracked callback as it starts; the returned
// function, deferred, reports its return.
func (app *testApp) begin(ctx context.Context, key string) func() {
	app.mu.Lock()
	tr := app.track[key]
	delete(app.track, key)
	app.mu.Unlock()
	if tr == nil {
		return func() {}
	}
	close(tr.started)
	return func() {
		tr.cause = context.Cause(ctx)
		close(tr.returned)
	}
}

// countingHandler counts the requests for <prefix>/ws and passes every
// request on, keeping the handler's StreamingHandler answer (so that on
// Fiber unary calls take the path they take in production).
type countingHandler struct {
	backends.StreamingHandler
	handshakes *atomic.Int32
}

func (h countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/ws") {
		h.handshakes.Add(1)
	}
	h.StreamingHandler.ServeHTTP(w, r)
}

// register adds the callbacks of the tests.
func (app *testApp) register(t testing.TB) {
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	r := app.reg
	must(r.Public("echo", func(_ context.Context, args json.RawMessage) (any, error) { return args, nil }))
	must(r.Protected("whoami", func(ctx context.Context, _ json.RawMessage) (any, error) {
		app.ran.Add(1)
		id := auth.FromContext(ctx)
		return map[string]any{"user": id.User, "groups": id.Groups}, nil
	}))
	must(r.Protected("admin_stats", func(context.Context, json.RawMessage) (any, error) {
		app.ran.Add(1)
		return map[string]int{"users": 2}, nil
	}, auth.OneOf("admin")))
	must(r.ProtectedStream("ticks", callbacks.Stream(func(ctx context.Context, a struct{ Count int }, emit func(map[string]int) error) error {
		app.ran.Add(1)
		for i := range a.Count {
			if err := emit(map[string]int{"n": i}); err != nil {
				return err
			}
		}
		return nil
	})))
	// hold streams an item every 2 ms until its context ends.
	must(r.ProtectedStream("hold", callbacks.Stream(func(ctx context.Context, a keyArgs, emit func(int) error) error {
		defer app.begin(ctx, a.Key)()
		for i := 0; ; i++ {
			if err := emit(i); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(2 * time.Millisecond):
			}
		}
	})))
	// wait blocks until its context ends.
	must(r.Public("wait", callbacks.Unary(func(ctx context.Context, a keyArgs) (any, error) {
		defer app.begin(ctx, a.Key)()
		<-ctx.Done()
		return nil, ctx.Err()
	})))
	// work takes a moment and returns its args, counting how many run at once.
	must(r.Public("work", func(_ context.Context, args json.RawMessage) (any, error) {
		n := app.running.Add(1)
		defer app.running.Add(-1)
		for {
			m := app.maxRunning.Load()
			if n <= m || app.maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		return args, nil
	}))
	// stubborn ignores its context and keeps emitting for a while after
	// emit has failed, as a careless callback might.
	must(r.Register(callbacks.Callback{Name: "stubborn", Public: true, Timeout: 20 * time.Millisecond,
		Stream: func(ctx context.Context, _ json.RawMessage, emit func(any) error) error {
			failures := 0
			for i := 0; failures < 2000; i++ {
				if emit(i) != nil {
					failures++
				}
				if i%64 == 0 {
					time.Sleep(100 * time.Microsecond)
				}
			}
			return nil
		}}))
	// deaf ignores its context: it returns only when the test opens
	// deafGate, whatever its 30 ms timeout says.
	must(r.Register(callbacks.Callback{Name: "deaf", Public: true, Timeout: 30 * time.Millisecond,
		Func: callbacks.Unary(func(ctx context.Context, a keyArgs) (any, error) {
			defer app.begin(ctx, a.Key)()
			<-app.deafGate
			return "too late", nil
		})}))
	must(r.Public("panic", func(context.Context, json.RawMessage) (any, error) { panic("boom") }))
	must(r.Register(callbacks.Callback{Name: "slow", Public: true, Timeout: 50 * time.Millisecond,
		Func: func(ctx context.Context, _ json.RawMessage) (any, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}}))
	must(r.Register(callbacks.Callback{Name: "soft", Requires: []auth.Requirement{auth.OneOf("admin")},
		UnauthenticatedResult: "please log in", ForbiddenResult: "admins only",
		Func: func(context.Context, json.RawMessage) (any, error) {
			app.ran.Add(1)
			return "secret", nil
		}}))
}

// login authenticates with Basic, which starts a session, and returns the
// session cookie's value and the session ID.
func (app *testApp) login(user, pass string) (cookie, sid string) {
	app.t.Helper()
	return servetest.Login(app.t, app.client, app.base+"/api/sid", user, pass)
}

// logout ends the session of cookie with POST /logout, as a page does.
func (app *testApp) logout(cookie, sid string) {
	app.t.Helper()
	token := app.a.CSRFToken(auth.NewContext(context.Background(), &auth.Identity{SessionID: sid}))
	req, _ := http.NewRequest("POST", app.base+"/logout", nil)
	req.Header.Set("Cookie", auth.DefaultSessionCookie+"="+cookie)
	req.Header.Set("X-CSRF-Token", token)
	resp, err := app.client.Do(req)
	if err != nil {
		app.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		app.t.Fatalf("logout: %d", resp.StatusCode)
	}
}

// post calls a callback over HTTP; cookie, when set, is the session.
func (app *testApp) post(name, body, cookie string) httpAnswer {
	app.t.Helper()
	req, _ := http.NewRequest("POST", app.base+"/_callbacks/"+name, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		req.Header.Set("Cookie", auth.DefaultSessionCookie+"="+cookie)
	}
	resp, err := app.client.Do(req)
	if err != nil {
		app.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return httpAnswer{resp.StatusCode, string(b), resp.Header.Get("Content-Type")}
}
