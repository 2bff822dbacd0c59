package fiberbackend_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authwire/authwire/backends/fiberbackend"
	"github.com/authwire/authwire/backends/internal/adaptertest"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/backends/backendtest"
	"github.com/gofiber/fiber/v2"
)

// fiberPath writes a suite pattern in Fiber's syntax: ":id" and "*".
func fiberPath(r backendtest.Route) string {
	return r.PathWith(func(name string, rest bool) string {
		if rest {
			return "*"
		}
		return ":" + name
	})
}

// fiberHarness serves a *fiber.App made with cfg, guarded by auth.New.
func fiberHarness(name string, cfg fiber.Config, expect map[string]int) backendtest.Harness {
	return backendtest.Harness{
		Name:   name,
		Expect: expect,
		Start: func(t *testing.T, s *backendtest.Setup) string {
			cfg.DisableStartupMessage = true
			cfg.ReadTimeout = 5 * time.Second
			cfg.IdleTimeout = time.Second
			app := fiber.New(cfg)
			a := s.Install(app)
			for _, r := range s.Routes() {
				var chain []fiber.Handler
				if len(r.Rule) > 0 {
					chain = append(chain, fiberbackend.Rule(a.Rule(r.Rule...)))
				}
				chain = append(chain, func(c *fiber.Ctx) error {
					c.Set("Content-Type", "text/plain; charset=utf-8")
					return c.Send(r.Echo(c.Path(), c.UserContext(), c.Locals(auth.LocalsKey)))
				})
				if r.Method == "" {
					app.All(fiberPath(r), chain...)
				} else {
					app.Add(r.Method, fiberPath(r), chain...)
					if r.Method == http.MethodGet {
						app.Add(http.MethodHead, fiberPath(r), chain...)
					}
				}
			}
			return serveFiber(t, app)
		},
	}
}

// serveFiber serves app on a loopback listener until the test ends.
func serveFiber(t *testing.T, app *fiber.App) string {
	t.Helper()
	// fasthttp's idle-worker cleaner sleeps this long between rounds and
	// notices the shutdown only when it wakes (10s by default).
	app.Server().MaxIdleWorkerDuration = 50 * time.Millisecond
	ln, base := backendtest.Listen(t)
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	t.Cleanup(func() {
		if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Errorf("fiber shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("fiber listener: %v", err)
		}
	})
	return base
}

// fiberRawRouting lists the cases Fiber routes on the path as received
// (no UnescapePath) or without the fragment, and how it answers them.
var fiberRawRouting = map[string]int{
	"escaped public": http.StatusUnauthorized, // "/%70ublic/x" is no public route
	"fragment":       http.StatusOK,           // fasthttp drops "#/../admin"
}

func TestFiberConformance(t *testing.T) {
	backendtest.Run(t, fiberHarness("fiber", fiber.Config{}, fiberRawRouting))
}

func TestFiberConformanceStrict(t *testing.T) {
	backendtest.Run(t, fiberHarness("fiber strict", fiber.Config{CaseSensitive: true, StrictRouting: true}, fiberRawRouting))
}

func TestFiberConformanceUnescapePath(t *testing.T) {
	backendtest.Run(t, fiberHarness("fiber UnescapePath", fiber.Config{UnescapePath: true}, map[string]int{"fragment": http.StatusOK}))
}

// fiberDo serves one request through app.Test.
func fiberNop(c *fiber.Ctx) error { return c.SendString("early") }

func TestFiberRefusesRoutesRegisteredBeforeInstall(t *testing.T) {
	for name, setup := range map[string]func(app *fiber.App){
		"GET route":    func(app *fiber.App) { app.Get("/early", fiberNop) },
		"All":          func(app *fiber.App) { app.All("/all", fiberNop) },
		"group route":  func(app *fiber.App) { app.Group("/api").Post("/x", fiberNop) },
		"static files": func(app *fiber.App) { app.Static("/assets", t.TempDir()) },
		"static at the root after middleware": func(app *fiber.App) {
			app.Use(func(c *fiber.Ctx) error { return c.Next() })
			app.Static("/", t.TempDir())
		},
		"mounted app": func(app *fiber.App) {
			sub := fiber.New()
			sub.Get("/x", fiberNop)
			app.Mount("/sub", sub)
		},
		"route after middleware": func(app *fiber.App) {
			app.Use(func(c *fiber.Ctx) error { return c.Next() })
			app.Get("/x", fiberNop)
		},
	} {
		t.Run(name, func(t *testing.T) {
			app := fiber.New()
			setup(app)
			before := len(app.Stack()[0])
			a, err := auth.New(app, adaptertest.Users()...)
			if !errors.Is(err, backends.ErrRoutesBeforeGuard) || !errors.Is(err, auth.ErrInvalidConfig) || a != nil {
				t.Fatalf("New = %v, %v; want an error wrapping ErrRoutesBeforeGuard and auth.ErrInvalidConfig", a, err)
			}
			if after := len(app.Stack()[0]); after != before {
				t.Fatalf("a failed Install changed the stack: %d entries, then %d", before, after)
			}
		})
	}
}

func TestFiberAllowsMiddlewareBeforeInstall(t *testing.T) {
	app := fiber.New()
	var seen []int
	app.Use(func(c *fiber.Ctx) error {
		err := c.Next()
		seen = append(seen, c.Response().StatusCode())
		return err
	})
	app.Use("/api", func(c *fiber.Ctx) error { return c.Next() })
	a, err := auth.New(app, adaptertest.Users()...)
	if err != nil {
		t.Fatal(err)
	}
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString("home") })
	if st, _ := adaptertest.FiberDo(t, app, "GET", "/", "", ""); st != 401 {
		t.Fatalf("anonymous: %d", st)
	}
	if st, body := adaptertest.FiberDo(t, app, "GET", "/", "admin", "admin"); st != 200 || body != "home" {
		t.Fatalf("admin: %d %q", st, body)
	}
	if want := []int{401, 200}; !slices.Equal(seen, want) {
		t.Fatalf("the earlier middleware saw %v, want %v", seen, want)
	}
	_ = a
}

// TestFiberKeepsAnEarlierUserContext checks that a user context set by
// middleware that runs before the guard keeps its values: the identity is
// added to it, not swapped in for it (the fixed users' prebuilt contexts
// only replace context.Background()).
func TestFiberKeepsAnEarlierUserContext(t *testing.T) {
	type traceKey struct{}
	for _, early := range []bool{false, true} {
		app := fiber.New()
		if early {
			app.Use(func(c *fiber.Ctx) error {
				c.SetUserContext(context.WithValue(c.UserContext(), traceKey{}, "trace-1"))
				return c.Next()
			})
		}
		if _, err := auth.New(app, adaptertest.Users()...); err != nil {
			t.Fatal(err)
		}
		app.Get("/", func(c *fiber.Ctx) error {
			ctx := c.UserContext()
			trace, _ := ctx.Value(traceKey{}).(string)
			return c.SendString(auth.FromContext(ctx).User + " " + trace)
		})
		want := "admin "
		if early {
			want += "trace-1"
		}
		for range 2 {
			if st, body := adaptertest.FiberDo(t, app, "GET", "/", "admin", "admin"); st != 200 || body != want {
				t.Fatalf("early middleware %v: %d %q, want %q", early, st, body, want)
			}
		}
	}
}

func TestFiberInstallErrors(t *testing.T) {
	g := func(backends.Exchange) bool { return true }
	if err := fiberbackend.New(nil).Install(g); err == nil {
		t.Fatal("nil app accepted")
	}
	if got := fiberbackend.New(nil).Routing(); got != (backends.Routing{}) {
		t.Fatalf("nil app Routing = %+v", got)
	}
	b := fiberbackend.New(fiber.New())
	if err := b.Install(nil); err == nil {
		t.Fatal("nil guard accepted")
	}
	if err := b.Install(g); err != nil {
		t.Fatal(err)
	}
	if err := b.Install(g); err == nil {
		t.Fatal("second guard accepted")
	}
}

func TestFiberRouting(t *testing.T) {
	for _, tc := range []struct {
		cfg  fiber.Config
		want backends.Routing
	}{
		{fiber.Config{}, backends.Routing{CaseInsensitive: true, IgnoreTrailingSlash: true}},
		{fiber.Config{CaseSensitive: true}, backends.Routing{IgnoreTrailingSlash: true}},
		{fiber.Config{StrictRouting: true}, backends.Routing{CaseInsensitive: true}},
		{fiber.Config{CaseSensitive: true, StrictRouting: true}, backends.Routing{}},
	} {
		if got := fiberbackend.New(fiber.New(tc.cfg)).Routing(); got != tc.want {
			t.Errorf("%+v: Routing = %+v, want %+v", tc.cfg, got, tc.want)
		}
	}
}

func TestFiberGroup(t *testing.T) {
	app := fiber.New()
	app.Get("/health", func(c *fiber.Ctx) error { return c.SendString("ok") }) // outside: allowed
	a, err := auth.New(fiberbackend.NewGroup(app, "/api"), adaptertest.Users()...)
	if err != nil {
		t.Fatal(err)
	}
	api := app.Group("/api")
	api.Get("/me", func(c *fiber.Ctx) error {
		id := auth.FromContext(c.UserContext())
		if id == nil || c.Locals(auth.LocalsKey) != any(id) {
			return c.Status(500).SendString("identity missing")
		}
		return c.SendString(id.User)
	})
	api.Get("/admin", fiberbackend.Rule(a.Rule(auth.OneOf("admin"))), func(c *fiber.Ctx) error { return c.SendString("admin area") })
	app.Get("/api2/open", func(c *fiber.Ctx) error { return c.SendString("open") })
	for _, tc := range []struct {
		target, user, pass string
		status             int
		body               string
	}{
		{"/health", "", "", 200, "ok"},
		{"/api/me", "", "", 401, ""},
		{"/API/me", "", "", 401, ""},
		{"/api/me", "viewer", "viewer123", 200, "viewer"},
		{"/api/admin", "viewer", "viewer123", 403, ""},
		{"/api/admin", "admin", "admin", 200, "admin area"},
		{"/api/nowhere", "", "", 401, ""},
		{"/api2/open", "", "", 401, ""}, // Fiber's Use matches a plain prefix
	} {
		st, body := adaptertest.FiberDo(t, app, "GET", tc.target, tc.user, tc.pass)
		if st != tc.status || !strings.Contains(body, tc.body) {
			t.Errorf("GET %s as %q: %d %q, want %d %q", tc.target, tc.user, st, body, tc.status, tc.body)
		}
	}
}

func TestFiberGroupRefusesOverlappingRoutes(t *testing.T) {
	for name, path := range map[string]string{
		"inside":         "/api/x",
		"other case":     "/API/x",
		"group root":     "/api",
		"wildcard above": "/:section/x",
		"catch-all":      "/*",
	} {
		t.Run(name, func(t *testing.T) {
			app := fiber.New()
			app.Get(path, fiberNop)
			_, err := auth.New(fiberbackend.NewGroup(app, "/api"), adaptertest.Users()...)
			if !errors.Is(err, backends.ErrRoutesBeforeGuard) {
				t.Fatalf("route %s before the /api guard: %v", path, err)
			}
		})
	}
}

// TestFiberIdentitySurvivesCtxReuse serves many concurrent requests from
// users whose names differ in length over kept-alive connections, keeps
// every identity a handler saw, and checks each one afterwards: Fiber
// reuses its Ctx and request buffers, so an identity that aliased them
// would show another request's bytes by then.
func TestFiberIdentitySurvivesCtxReuse(t *testing.T) {
	users := map[string]string{"al": "pw-al", "bartholomew": "pw-bartholomew", "cy": "pw-cy", "dorothea-maria": "pw-dorothea"}
	app := fiber.New(fiber.Config{DisableStartupMessage: true, IdleTimeout: time.Second})
	if _, err := auth.New(app, auth.WithUsers(users)); err != nil {
		t.Fatal(err)
	}
	type seen struct {
		want string
		id   *auth.Identity
	}
	var mu sync.Mutex
	var all []seen
	app.Get("/", func(c *fiber.Ctx) error {
		id := auth.FromContext(c.UserContext())
		if id == nil || c.Locals(auth.LocalsKey) != any(id) || auth.FromContext(c.Context()) != id {
			return c.Status(500).SendString("identity missing")
		}
		mu.Lock()
		all = append(all, seen{strings.Clone(c.Get("X-Want")), id})
		mu.Unlock()
		return c.SendString(id.User)
	})
	base := serveFiber(t, app)
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr}
	names := slices.Sorted(maps.Keys(users))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Go(func() {
			for i := range 40 {
				u := names[(w+i)%len(names)]
				req, _ := http.NewRequest("GET", base+"/", nil)
				req.SetBasicAuth(u, users[u])
				req.Header.Set("X-Want", u)
				res, err := cl.Do(req)
				if err != nil {
					errs <- err
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || string(b) != u {
					errs <- fmt.Errorf("as %s: %d %q", u, res.StatusCode, b)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(all) != 16*40 {
		t.Fatalf("handlers saw %d requests, want %d", len(all), 16*40)
	}
	for _, s := range all {
		if s.id.User != s.want {
			t.Fatalf("an identity kept after its request reads %q, want %q", s.id.User, s.want)
		}
	}
}

func TestFiberExchangeHeadersAndCookies(t *testing.T) {
	app := fiber.New()
	var got struct {
		header, cookie, host, remote, raw string
		count                             int
		tls                               bool
	}
	guard := func(x backends.Exchange) bool {
		got.header, got.cookie, got.host = x.Header("X-Test"), x.Cookie("sid"), x.Host()
		got.remote, got.raw, got.count, got.tls = x.RemoteAddr(), x.RawPath(), x.HeaderCount("X-Multi"), x.TLS()
		x.SetCookie(&http.Cookie{Name: "sid", Value: "new", Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode, MaxAge: 60})
		x.SetCookie(nil)
		x.SetCookie(&http.Cookie{Name: "bad name", Value: "x"})
		x.AddHeader("Vary", "Authorization")
		x.AddHeader("Vary", "Cookie")
		x.Attach([]int{1}, "", "an incomparable key must not panic")
		x.Write(http.StatusTeapot, "application/json", []byte(`{"ok":true}`))
		return false
	}
	if err := fiberbackend.New(app).Install(guard); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://example.test/a%2Fb", nil)
	req.Header.Set("X-Test", "v")
	req.Header.Add("X-Multi", "1")
	req.Header.Add("X-Multi", "2")
	req.AddCookie(&http.Cookie{Name: "sid", Value: "old"})
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusTeapot || string(body) != `{"ok":true}` || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("answer %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if got.header != "v" || got.cookie != "old" || got.host != "example.test" || got.count != 2 || got.tls || got.raw != "/a%2Fb" || got.remote == "" {
		t.Fatalf("read %+v", got)
	}
	c := res.Header.Values("Set-Cookie")
	if len(c) != 1 || !strings.Contains(c[0], "sid=new") || !strings.Contains(c[0], "HttpOnly") || !strings.Contains(c[0], "Secure") || !strings.Contains(c[0], "SameSite=Lax") || !strings.Contains(c[0], "Max-Age=60") {
		t.Fatalf("Set-Cookie = %q", c)
	}
	if v := res.Header.Values("Vary"); len(v) != 2 {
		t.Fatalf("Vary = %q, want both values", v)
	}
}
