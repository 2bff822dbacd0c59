package backends_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authwire/authwire/backends/internal/adaptertest"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/backends/fiberbackend"
	"github.com/authwire/authwire/backends/ginbackend"
	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
)

// ruleStatuses serves GET /r, guarded by reqs, on each framework with the
// suite's users and returns the statuses: net/http (a.Require), gin and
// fiber (their Rule around a.Rule).
func ruleStatuses(t *testing.T, reqs []auth.Requirement, user, pass string) [3]int {
	t.Helper()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ran")) })
	var got [3]int

	mux := http.NewServeMux()
	a, err := auth.New(mux, adaptertest.Users()...)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("GET /r", a.Require(reqs...)(ok))
	got[0] = adaptertest.Do(a.Handler(), "GET", "/r", user, pass).Code

	e := gin.New()
	if a, err = auth.New(e, adaptertest.Users()...); err != nil {
		t.Fatal(err)
	}
	e.GET("/r", ginbackend.Rule(a.Rule(reqs...)), gin.WrapH(ok))
	got[1] = adaptertest.Do(e, "GET", "/r", user, pass).Code

	app := fiber.New()
	if a, err = auth.New(app, adaptertest.Users()...); err != nil {
		t.Fatal(err)
	}
	app.Get("/r", fiberbackend.Rule(a.Rule(reqs...)), func(c *fiber.Ctx) error { return c.SendString("ran") })
	got[2], _ = adaptertest.FiberDo(t, app, "GET", "/r", user, pass)
	return got
}

func TestRules(t *testing.T) {
	admin := []auth.Requirement{auth.OneOf("admin")}
	broken := []auth.Requirement{auth.OneOf("admin"), nil}
	for _, tc := range []struct {
		name       string
		reqs       []auth.Requirement
		user, pass string
		want       int
	}{
		{"admin passes", admin, "admin", "admin", 200},
		{"viewer forbidden", admin, "viewer", "viewer123", 403},
		{"anonymous", admin, "", "", 401},
		{"nil requirement fails closed", broken, "admin", "admin", 500},
	} {
		for i, got := range ruleStatuses(t, tc.reqs, tc.user, tc.pass) {
			if got != tc.want {
				t.Errorf("%s on %s: %d, want %d", tc.name, [...]string{"net/http", "gin", "fiber"}[i], got, tc.want)
			}
		}
	}
}

// TestNilRuleFailsClosed checks that a rule built from a nil guard, and
// net/http middleware around a nil handler, refuse with 500.
func TestNilRuleFailsClosed(t *testing.T) {
	mux := http.NewServeMux()
	a, err := auth.New(mux, adaptertest.Users()...)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("GET /r", a.Require(auth.OneOf("admin"))(nil))
	if got := adaptertest.Do(a.Handler(), "GET", "/r", "admin", "admin").Code; got != http.StatusInternalServerError {
		t.Errorf("net/http, nil handler: %d", got)
	}
	e := gin.New()
	e.GET("/r", ginbackend.Rule(nil), func(c *gin.Context) { c.String(200, "ran") })
	if got := adaptertest.Do(e, "GET", "/r", "", "").Code; got != http.StatusInternalServerError {
		t.Errorf("gin, nil guard: %d", got)
	}
	app := fiber.New()
	app.Get("/r", fiberbackend.Rule(nil), func(c *fiber.Ctx) error { return c.SendString("ran") })
	if got, _ := adaptertest.FiberDo(t, app, "GET", "/r", "", ""); got != http.StatusInternalServerError {
		t.Errorf("fiber, nil guard: %d", got)
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
	if rec := adaptertest.Do(b, "GET", "/", "", ""); rec.Code != 200 {
		t.Fatalf("net/http: %d", rec.Code)
	}
	e := gin.New()
	if err := ginbackend.New(e).Install(guard); err != nil {
		t.Fatal(err)
	}
	e.GET("/", gin.WrapH(ok))
	if rec := adaptertest.Do(e, "GET", "/", "", ""); rec.Code != 200 {
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
	e.GET("/x", func(c *gin.Context) { check(ginbackend.Exchange(c)) })
	req := httptest.NewRequest("GET", "/x?q=2", nil)
	req.Header.Set("X-Test", "1")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusTeapot || rec.Body.String() != "short and stout" || rec.Header().Get("X-Answer") != "yes" {
		t.Errorf("gin: %d %q %v", rec.Code, rec.Body, rec.Header())
	}

	app := fiber.New()
	app.Get("/x", func(c *fiber.Ctx) error { check(fiberbackend.Exchange(c)); return nil })
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
