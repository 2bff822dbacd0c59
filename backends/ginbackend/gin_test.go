package ginbackend_test

import (
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/authwire/authwire/backends/ginbackend"
	"github.com/authwire/authwire/backends/internal/adaptertest"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/backends/backendtest"
	"github.com/gin-gonic/gin"
)

// ginHarness serves a *gin.Engine, set up by configure, guarded by
// auth.New.
func ginHarness(name string, configure func(*gin.Engine), expect map[string]int) backendtest.Harness {
	return backendtest.Harness{
		Name:   name,
		Expect: expect,
		Start: func(t *testing.T, s *backendtest.Setup) string {
			engine := gin.New()
			configure(engine)
			a := s.Install(engine)
			for _, r := range s.Routes() {
				chain := []gin.HandlerFunc{}
				if len(r.Rule) > 0 {
					chain = append(chain, ginbackend.Rule(a.Rule(r.Rule...)))
				}
				chain = append(chain, func(c *gin.Context) {
					v, _ := c.Get(auth.LocalsKey)
					c.Data(http.StatusOK, "text/plain; charset=utf-8", r.Echo(c.Request.URL.Path, c.Request.Context(), v))
				})
				if r.Method == "" {
					engine.Any(r.ColonPath(), chain...)
					continue
				}
				engine.Handle(r.Method, r.ColonPath(), chain...)
				if r.Method == http.MethodGet {
					engine.Handle(http.MethodHead, r.ColonPath(), chain...)
				}
			}
			return backendtest.ServeHandler(t, a.Handler())
		},
	}
}

// ginRedirects lists the cases gin answers itself, before any middleware,
// with a redirect to the path without the trailing slash
// (RedirectTrailingSlash, on by default).
var ginRedirects = map[string]int{
	"user public trailing slash": http.StatusMovedPermanently,
	"admin trailing slash":       http.StatusMovedPermanently,
}

func TestGinConformance(t *testing.T) {
	backendtest.Run(t, ginHarness("gin", func(*gin.Engine) {}, ginRedirects))
}

func TestGinConformanceRemoveExtraSlash(t *testing.T) {
	// Gin cleans the path before routing: "/public/./x" and "//public/x"
	// reach the public handler, and the guard judges the cleaned path.
	expect := map[string]int{
		"dot segment":                      http.StatusOK,
		"double slash public":              http.StatusOK,
		"inner double slash":               http.StatusOK,
		"user public two trailing slashes": http.StatusMovedPermanently,
	}
	maps.Copy(expect, ginRedirects)
	backendtest.Run(t, ginHarness("gin RemoveExtraSlash", func(e *gin.Engine) { e.RemoveExtraSlash = true }, expect))
}

func TestGinConformanceUseRawPath(t *testing.T) {
	// Gin routes the escaped path: "/%70ublic/x" is no public route.
	expect := map[string]int{"escaped public": http.StatusUnauthorized}
	maps.Copy(expect, ginRedirects)
	backendtest.Run(t, ginHarness("gin UseRawPath", func(e *gin.Engine) {
		e.UseRawPath = true
		e.UnescapePathValues = false
	}, expect))
}

func TestGinConformanceRedirectFixedPath(t *testing.T) {
	// Gin answers these itself with a redirect to the cleaned,
	// case-corrected path, before any middleware runs.
	expect := map[string]int{
		"double slash":                     http.StatusMovedPermanently,
		"double slash public":              http.StatusMovedPermanently,
		"upper-case public":                http.StatusMovedPermanently,
		"mixed-case user public":           http.StatusMovedPermanently,
		"upper-case admin":                 http.StatusMovedPermanently,
		"user public two trailing slashes": http.StatusMovedPermanently,
		"user dot-dot":                     http.StatusMovedPermanently,
		"semicolon dot-dot":                http.StatusMovedPermanently,
	}
	maps.Copy(expect, ginRedirects)
	backendtest.Run(t, ginHarness("gin RedirectFixedPath", func(e *gin.Engine) { e.RedirectFixedPath = true }, expect))
}

func TestGinConformanceNoRedirects(t *testing.T) {
	backendtest.Run(t, ginHarness("gin without redirects", func(e *gin.Engine) {
		e.RedirectTrailingSlash = false
		e.HandleMethodNotAllowed = true
	}, nil))
}

// ginDo serves one request with engine and returns the recorder.
func TestGinRefusesRoutesRegisteredBeforeInstall(t *testing.T) {
	for name, setup := range map[string]func(e *gin.Engine){
		"GET route":     func(e *gin.Engine) { e.GET("/early", func(*gin.Context) {}) },
		"group route":   func(e *gin.Engine) { e.Group("/api").POST("/x", func(*gin.Context) {}) },
		"static files":  func(e *gin.Engine) { e.Static("/assets", t.TempDir()) },
		"many routes":   func(e *gin.Engine) { e.GET("/a", nop); e.GET("/b", nop); e.GET("/c", nop); e.GET("/d", nop) },
		"Any":           func(e *gin.Engine) { e.Any("/any", nop) },
		"HEAD only":     func(e *gin.Engine) { e.HEAD("/h", nop) },
		"NoRoute+route": func(e *gin.Engine) { e.NoRoute(nop); e.GET("/x", nop) },
	} {
		t.Run(name, func(t *testing.T) {
			e := gin.New()
			setup(e)
			a, err := auth.New(e, adaptertest.Users()...)
			if !errors.Is(err, backends.ErrRoutesBeforeGuard) || !errors.Is(err, auth.ErrInvalidConfig) || a != nil {
				t.Fatalf("New = %v, %v; want an error wrapping ErrRoutesBeforeGuard and auth.ErrInvalidConfig", a, err)
			}
			if !strings.Contains(err.Error(), "register routes after auth.New") {
				t.Fatalf("error %q does not say what to do", err)
			}
			if n := len(e.Handlers); n != 0 {
				t.Fatalf("a failed Install left %d middleware on the engine", n)
			}
		})
	}
}

func nop(*gin.Context) {}

func TestGinAllowsMiddlewareAndNoRouteBeforeInstall(t *testing.T) {
	e := gin.New()
	var seen []int
	e.Use(func(c *gin.Context) { c.Next(); seen = append(seen, c.Writer.Status()) })
	e.NoRoute(func(c *gin.Context) { c.String(http.StatusTeapot, "custom 404") })
	a, err := auth.New(e, adaptertest.Users()...)
	if err != nil {
		t.Fatal(err)
	}
	e.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "home") })
	if rec := adaptertest.Do(a.Handler(), "GET", "/nowhere", "", ""); rec.Code != http.StatusUnauthorized {
		t.Fatalf("unknown path anonymous: %d, want 401 (the NoRoute handler ran unguarded?)", rec.Code)
	}
	if rec := adaptertest.Do(a.Handler(), "GET", "/nowhere", "admin", "admin"); rec.Code != http.StatusTeapot {
		t.Fatalf("unknown path admin: %d %q, want the custom 404", rec.Code, rec.Body)
	}
	if rec := adaptertest.Do(a.Handler(), "GET", "/", "", ""); rec.Code != http.StatusUnauthorized {
		t.Fatalf("root anonymous: %d", rec.Code)
	}
	if want := []int{401, 418, 401}; !slices.Equal(seen, want) {
		t.Fatalf("the earlier middleware saw %v, want %v: it must run around the guard", seen, want)
	}
}

func TestGinNoRouteAfterInstallIsGuarded(t *testing.T) {
	e := gin.New()
	a, err := auth.New(e, adaptertest.Users()...)
	if err != nil {
		t.Fatal(err)
	}
	e.NoRoute(func(c *gin.Context) { c.String(http.StatusOK, "secret fallback") })
	if rec := adaptertest.Do(e, "GET", "/anything", "", ""); rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "secret") {
		t.Fatalf("NoRoute after New: %d %q", rec.Code, rec.Body)
	}
	_ = a
}

func TestGinInstallErrors(t *testing.T) {
	g := func(backends.Exchange) bool { return true }
	if err := ginbackend.New(nil).Install(g); err == nil {
		t.Fatal("nil engine accepted")
	}
	if err := ginbackend.NewGroup(gin.New(), nil).Install(g); err == nil {
		t.Fatal("nil group accepted")
	}
	b := ginbackend.New(gin.New())
	if err := b.Install(nil); err == nil {
		t.Fatal("nil guard accepted")
	}
	if err := b.Install(g); err != nil {
		t.Fatal(err)
	}
	if err := b.Install(g); err == nil {
		t.Fatal("second guard accepted")
	}
	rec := httptest.NewRecorder()
	ginbackend.New(nil).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("nil engine served %d", rec.Code)
	}
	if got := b.Routing(); got != (backends.Routing{}) {
		t.Fatalf("Routing = %+v, want exact", got)
	}
}

func TestGinGroup(t *testing.T) {
	e := gin.New()
	e.GET("/health", func(c *gin.Context) { c.String(http.StatusOK, "ok") }) // outside the group: allowed
	api := e.Group("/api")
	a, err := auth.New(ginbackend.NewGroup(e, api), adaptertest.Users()...)
	if err != nil {
		t.Fatal(err)
	}
	api.GET("/me", func(c *gin.Context) {
		id := auth.FromContext(c.Request.Context())
		v, _ := c.Get(auth.LocalsKey)
		if id == nil || v != any(id) || auth.FromContext(c) != id {
			c.String(http.StatusInternalServerError, "identity missing")
			return
		}
		c.String(http.StatusOK, id.User)
	})
	api.GET("/admin", ginbackend.Rule(a.Rule(auth.OneOf("admin"))), func(c *gin.Context) { c.String(http.StatusOK, "admin area") })
	for _, tc := range []struct {
		target, user, pass string
		status             int
		body               string
	}{
		{"/health", "", "", 200, "ok"},
		{"/api/me", "", "", 401, ""},
		{"/api/me", "viewer", "viewer123", 200, "viewer"},
		{"/api/admin", "viewer", "viewer123", 403, ""},
		{"/api/admin", "admin", "admin", 200, "admin area"},
		{"/api/nowhere", "", "", 404, ""}, // documented: gin's 404 is not the group's
	} {
		rec := adaptertest.Do(a.Handler(), "GET", tc.target, tc.user, tc.pass)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("GET %s as %q: %d %q, want %d %q", tc.target, tc.user, rec.Code, rec.Body, tc.status, tc.body)
		}
	}
}

func TestGinGroupRefusesOverlappingRoutes(t *testing.T) {
	for name, path := range map[string]string{
		"inside":         "/api/x",
		"group root":     "/api",
		"wildcard above": "/:section/x",
		"catch-all":      "/*all",
	} {
		t.Run(name, func(t *testing.T) {
			e := gin.New()
			e.GET(path, nop)
			_, err := auth.New(ginbackend.NewGroup(e, e.Group("/api")), adaptertest.Users()...)
			if !errors.Is(err, backends.ErrRoutesBeforeGuard) {
				t.Fatalf("route %s before the /api group's guard: %v", path, err)
			}
		})
	}
}

// TestGinRoutedPath checks the path the exchange reports against the one
// gin routes: a catch-all route's parameter is exactly the routed path.
func TestGinRoutedPath(t *testing.T) {
	targets := []string{
		"/a/b", "/a//b", "//a", "/a/./b", "/a/../b", "/../a", "/a/b/..", "/a/b/.", "/a/b/",
		"/%61/b", "/a%2fb", "/a/%2e%2e/b", "/a;b/../c", "/a/b/../../../c", "/.", "/..",
		"/a/" + strings.Repeat("x/../", 60) + "y", "/%2e%2e//x/", "/a%20b",
	}
	for _, cfg := range []struct {
		name string
		set  func(*gin.Engine)
	}{
		{"default", func(*gin.Engine) {}},
		{"RemoveExtraSlash", func(e *gin.Engine) { e.RemoveExtraSlash = true }},
		{"UseRawPath", func(e *gin.Engine) { e.UseRawPath = true }},
		{"UseEscapedPath", func(e *gin.Engine) { e.UseEscapedPath = true }},
		{"UseRawPath+RemoveExtraSlash", func(e *gin.Engine) { e.UseRawPath, e.RemoveExtraSlash = true, true }},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			e := gin.New()
			cfg.set(e)
			e.UnescapePathValues = false
			var seen string
			if err := ginbackend.New(e).Install(func(x backends.Exchange) bool { seen = x.Path(); return true }); err != nil {
				t.Fatal(err)
			}
			e.Any("/*all", func(c *gin.Context) { c.String(http.StatusOK, "%s", c.Param("all")) })
			for _, target := range targets {
				seen = ""
				rec := adaptertest.Do(e, "GET", target, "", "")
				if rec.Code != http.StatusOK {
					t.Errorf("%s: status %d", target, rec.Code)
					continue
				}
				if seen != rec.Body.String() {
					t.Errorf("%s: the guard judged %q, gin routed %q", target, seen, rec.Body)
				}
			}
		})
	}
}
