package backends_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/basicauth"
	"github.com/valyala/fasthttp"
)

// The benchmarks compare authwire's guard, with Basic credentials from a
// plaintext map, against each framework's own Basic middleware on the same
// app and handler, for one authenticated GET. Run them side by side:
//
//	go test ./backends -run '^$' -bench . -benchmem -count 6

var benchHeader = "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:admin"))

func benchUsers() []auth.Option {
	return []auth.Option{auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123"})}
}

// benchServeHTTP drives h with one reused request and recorder, after
// checking that the request is answered 200 with body "ok".
func benchServeHTTP(b *testing.B, h http.Handler) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", benchHeader)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.String() != "ok" {
		b.Fatalf("warm-up: %d %q", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec.Body.Reset()
		h.ServeHTTP(rec, req)
	}
}

func ginOK(c *gin.Context) { c.String(http.StatusOK, "ok") }

func BenchmarkGin(b *testing.B) {
	b.Run("authwire", func(b *testing.B) {
		e := gin.New()
		if _, err := auth.New(e, benchUsers()...); err != nil {
			b.Fatal(err)
		}
		e.GET("/", ginOK)
		benchServeHTTP(b, e)
	})
	b.Run("gin.BasicAuth", func(b *testing.B) {
		e := gin.New()
		e.Use(gin.BasicAuth(gin.Accounts{"admin": "admin", "viewer": "viewer123"}))
		e.GET("/", ginOK)
		benchServeHTTP(b, e)
	})
}

// benchFiber drives app.Handler() directly with one in-memory request
// context, resetting what a fasthttp server resets between requests.
func benchFiber(b *testing.B, app *fiber.App) {
	h := app.Handler()
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(fasthttp.MethodGet)
	ctx.Request.SetRequestURI("/")
	ctx.Request.Header.Set("Authorization", benchHeader)
	h(&ctx)
	if ctx.Response.StatusCode() != http.StatusOK || string(ctx.Response.Body()) != "ok" {
		b.Fatalf("warm-up: %d %q", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		ctx.ResetUserValues()
		h(&ctx)
	}
}

func fiberOK(c *fiber.Ctx) error { return c.SendString("ok") }

func BenchmarkFiber(b *testing.B) {
	b.Run("authwire", func(b *testing.B) {
		app := fiber.New()
		if _, err := auth.New(app, benchUsers()...); err != nil {
			b.Fatal(err)
		}
		app.Get("/", fiberOK)
		benchFiber(b, app)
	})
	b.Run("fiber-basicauth", func(b *testing.B) {
		app := fiber.New()
		app.Use(basicauth.New(basicauth.Config{Users: map[string]string{"admin": "admin", "viewer": "viewer123"}}))
		app.Get("/", fiberOK)
		benchFiber(b, app)
	})
}

func BenchmarkHTTP(b *testing.B) {
	newMux := func() *http.ServeMux {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
		return mux
	}
	b.Run("authwire", func(b *testing.B) {
		a, err := auth.New(newMux(), benchUsers()...)
		if err != nil {
			b.Fatal(err)
		}
		benchServeHTTP(b, a.Handler())
	})
	b.Run("bare-mux", func(b *testing.B) {
		benchServeHTTP(b, newMux())
	})
}
