package backends_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
)

// ruleStatus serves GET /r, guarded by rule, on each framework with the
// suite's users and returns the statuses: net/http, gin, fiber.
func ruleStatuses(t *testing.T, rule func(a *auth.Auth) backends.Guard, user, pass string) [3]int {
	t.Helper()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ran")) })
	var got [3]int

	mux := http.NewServeMux()
	a, err := auth.New(mux, testUsers...)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("GET /r", backends.HTTPRule(rule(a))(ok))
	got[0] = ginDo(a.Handler(), "GET", "/r", user, pass).Code

	e := gin.New()
	if a, err = auth.New(e, testUsers...); err != nil {
		t.Fatal(err)
	}
	e.GET("/r", backends.GinRule(rule(a)), gin.WrapH(ok))
	got[1] = ginDo(e, "GET", "/r", user, pass).Code

	app := fiber.New()
	if a, err = auth.New(app, testUsers...); err != nil {
		t.Fatal(err)
	}
	app.Get("/r", backends.FiberRule(rule(a)), func(c *fiber.Ctx) error { return c.SendString("ran") })
	got[2], _ = fiberDo(t, app, "GET", "/r", user, pass)
	return got
}

func TestRules(t *testing.T) {
	admin := func(a *auth.Auth) backends.Guard { return a.Rule(auth.OneOf("admin")) }
	broken := func(*auth.Auth) backends.Guard { return nil }
	for _, tc := range []struct {
		name       string
		rule       func(*auth.Auth) backends.Guard
		user, pass string
		want       int
	}{
		{"admin passes", admin, "admin", "admin", 200},
		{"viewer forbidden", admin, "viewer", "viewer123", 403},
		{"anonymous", admin, "", "", 401},
		{"nil rule fails closed", broken, "admin", "admin", 500},
	} {
		for i, got := range ruleStatuses(t, tc.rule, tc.user, tc.pass) {
			if got != tc.want {
				t.Errorf("%s on %s: %d, want %d", tc.name, [...]string{"net/http", "gin", "fiber"}[i], got, tc.want)
			}
		}
	}
}

func TestHTTPRuleNilHandler(t *testing.T) {
	h := backends.HTTPRule(func(backends.Exchange) bool { return true })(nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("nil handler: %d", rec.Code)
	}
}

// TestAttachIncomparableKey checks that a key context.WithValue would
// panic on attaches nothing instead, on every adapter.
func TestAttachIncomparableKey(t *testing.T) {
	guard := func(x backends.Exchange) bool {
		x.Attach([]byte("k"), "", "v")
		x.Attach(nil, "", "v")
		return true
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ran")) })
	b := backends.NewHTTP(ok)
	if err := b.Install(guard); err != nil {
		t.Fatal(err)
	}
	if rec := ginDo(b, "GET", "/", "", ""); rec.Code != 200 {
		t.Fatalf("net/http: %d", rec.Code)
	}
	e := gin.New()
	if err := backends.NewGin(e).Install(guard); err != nil {
		t.Fatal(err)
	}
	e.GET("/", gin.WrapH(ok))
	if rec := ginDo(e, "GET", "/", "", ""); rec.Code != 200 {
		t.Fatalf("gin: %d", rec.Code)
	}
}

// TestFrameworkExchanges checks GinExchange and FiberExchange, with which
// handler code answers on authwire's behalf: they read the request the
// handler has and write through the framework.
func TestFrameworkExchanges(t *testing.T) {
	check := func(x backends.Exchange) {
		if x.Method() != "GET" || x.Path() != "/x" || x.Header("X-Test") != "1" || x.Query() != "q=2" {
			t.Errorf("exchange sees %s %s ?%s X-Test=%q", x.Method(), x.Path(), x.Query(), x.Header("X-Test"))
		}
		x.SetHeader("X-Answer", "yes")
		x.Write(http.StatusTeapot, "text/plain; charset=utf-8", []byte("short and stout"))
	}

	e := gin.New()
	e.GET("/x", func(c *gin.Context) { check(backends.GinExchange(c)) })
	req := httptest.NewRequest("GET", "/x?q=2", nil)
	req.Header.Set("X-Test", "1")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusTeapot || rec.Body.String() != "short and stout" || rec.Header().Get("X-Answer") != "yes" {
		t.Errorf("gin: %d %q %v", rec.Code, rec.Body, rec.Header())
	}

	app := fiber.New()
	app.Get("/x", func(c *fiber.Ctx) error { check(backends.FiberExchange(c)); return nil })
	freq := httptest.NewRequest("GET", "/x?q=2", nil)
	freq.Header.Set("X-Test", "1")
	res, err := app.Test(freq)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusTeapot || string(body) != "short and stout" || res.Header.Get("X-Answer") != "yes" {
		t.Errorf("fiber: %d %q %v", res.StatusCode, body, res.Header)
	}
}
