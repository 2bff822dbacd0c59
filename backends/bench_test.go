package backends_test

import (
	"context"
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
// app and handler, for one authenticated GET. The "+context" variants add
// to the built-in what authwire does on top of it: putting the user into
// the request's context (c.Request.Context() on Gin, c.UserContext() on
// Fiber) so that code handed only a context.Context can read it.
// "authwire-session" is the same GET with a session cookie from a
// browser's login instead of Basic, and "authwire-public" the same
// handler on a public route, the floor a guarded request is measured
// against. Run them side by side:
//
//	go test ./backends -run '^$' -bench . -benchmem -count 6

var benchHeader = "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:admin"))

func benchUsers() []auth.Option {
	return []auth.Option{auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123"})}
}

// benchSessions adds cookie sessions (with a fixed key pair) to benchUsers.
func benchSessions() []auth.Option {
	hashKey, blockKey := auth.GenerateKeyPair()
	return append(benchUsers(),
		auth.WithSessions(auth.SessionConfig{Keys: [][]byte{hashKey, blockKey}, Revocations: auth.NewMemoryRevocations(nil)}))
}

// benchPublic makes / a public route.
func benchPublic() []auth.Option {
	return append(benchUsers(), auth.WithPublicRoutes("/{$}"))
}

// sessionCookie logs in as a browser does (Basic on a navigation) through
// h and returns the Cookie header that carries the session.
func sessionCookie(b *testing.B, h http.Handler) string {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", benchHeader)
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == auth.DefaultSessionCookie {
			return c.Name + "=" + c.Value
		}
	}
	b.Fatalf("login: %d, no session cookie", rec.Code)
	return ""
}

// benchServeHTTP drives h with one reused request and recorder, after
// checking that the request is answered 200 with body "ok". The request
// carries Basic credentials, or only the given header.
func benchServeHTTP(b *testing.B, h http.Handler, header ...string) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if len(header) == 2 {
		req.Header.Set(header[0], header[1])
	} else {
		req.Header.Set("Authorization", benchHeader)
	}
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

// benchUserKey is the context key of the "+context" variants.
type benchUserKey struct{}

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
	b.Run("authwire-session", func(b *testing.B) {
		e := gin.New()
		if _, err := auth.New(e, benchSessions()...); err != nil {
			b.Fatal(err)
		}
		e.GET("/", ginOK)
		benchServeHTTP(b, e, "Cookie", sessionCookie(b, e))
	})
	b.Run("authwire-public", func(b *testing.B) {
		e := gin.New()
		if _, err := auth.New(e, benchPublic()...); err != nil {
			b.Fatal(err)
		}
		e.GET("/", ginOK)
		benchServeHTTP(b, e, "Accept", "*/*")
	})
	b.Run("gin.BasicAuth", func(b *testing.B) {
		e := gin.New()
		e.Use(gin.BasicAuth(gin.Accounts{"admin": "admin", "viewer": "viewer123"}))
		e.GET("/", ginOK)
		benchServeHTTP(b, e)
	})
	b.Run("gin.BasicAuth+context", func(b *testing.B) {
		e := gin.New()
		e.Use(gin.BasicAuth(gin.Accounts{"admin": "admin", "viewer": "viewer123"}), func(c *gin.Context) {
			ctx := context.WithValue(c.Request.Context(), benchUserKey{}, c.GetString(gin.AuthUserKey))
			c.Request = c.Request.WithContext(ctx)
		})
		e.GET("/", ginOK)
		benchServeHTTP(b, e)
	})
}

// benchFiber drives app.Handler() directly with one in-memory request
// context, resetting what a fasthttp server resets between requests. The
// request carries Basic credentials, or only the given header.
func benchFiber(b *testing.B, app *fiber.App, header ...string) {
	h := app.Handler()
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(fasthttp.MethodGet)
	ctx.Request.SetRequestURI("/")
	if len(header) == 2 {
		ctx.Request.Header.Set(header[0], header[1])
	} else {
		ctx.Request.Header.Set("Authorization", benchHeader)
	}
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

// fiberSessionCookie is sessionCookie for a Fiber app.
func fiberSessionCookie(b *testing.B, app *fiber.App) string {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(fasthttp.MethodGet)
	ctx.Request.SetRequestURI("/")
	ctx.Request.Header.Set("Authorization", benchHeader)
	ctx.Request.Header.Set("Sec-Fetch-Mode", "navigate")
	app.Handler()(&ctx)
	var c fasthttp.Cookie
	c.SetKey(auth.DefaultSessionCookie)
	if !ctx.Response.Header.Cookie(&c) || len(c.Value()) == 0 {
		b.Fatalf("login: %d, no session cookie", ctx.Response.StatusCode())
	}
	return auth.DefaultSessionCookie + "=" + string(c.Value())
}

func BenchmarkFiber(b *testing.B) {
	b.Run("authwire", func(b *testing.B) {
		app := fiber.New()
		if _, err := auth.New(app, benchUsers()...); err != nil {
			b.Fatal(err)
		}
		app.Get("/", fiberOK)
		benchFiber(b, app)
	})
	b.Run("authwire-session", func(b *testing.B) {
		app := fiber.New()
		if _, err := auth.New(app, benchSessions()...); err != nil {
			b.Fatal(err)
		}
		app.Get("/", fiberOK)
		benchFiber(b, app, "Cookie", fiberSessionCookie(b, app))
	})
	b.Run("authwire-public", func(b *testing.B) {
		app := fiber.New()
		if _, err := auth.New(app, benchPublic()...); err != nil {
			b.Fatal(err)
		}
		app.Get("/", fiberOK)
		benchFiber(b, app, "Accept", "*/*")
	})
	b.Run("fiber-basicauth", func(b *testing.B) {
		app := fiber.New()
		app.Use(basicauth.New(basicauth.Config{Users: map[string]string{"admin": "admin", "viewer": "viewer123"}}))
		app.Get("/", fiberOK)
		benchFiber(b, app)
	})
	b.Run("fiber-basicauth+context", func(b *testing.B) {
		app := fiber.New()
		app.Use(basicauth.New(basicauth.Config{Users: map[string]string{"admin": "admin", "viewer": "viewer123"}}), func(c *fiber.Ctx) error {
			c.SetUserContext(context.WithValue(c.UserContext(), benchUserKey{}, c.Locals("username")))
			return c.Next()
		})
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
	b.Run("authwire-session", func(b *testing.B) {
		a, err := auth.New(newMux(), benchSessions()...)
		if err != nil {
			b.Fatal(err)
		}
		benchServeHTTP(b, a.Handler(), "Cookie", sessionCookie(b, a.Handler()))
	})
	b.Run("authwire-public", func(b *testing.B) {
		a, err := auth.New(newMux(), benchPublic()...)
		if err != nil {
			b.Fatal(err)
		}
		benchServeHTTP(b, a.Handler(), "Accept", "*/*")
	})
	b.Run("bare-mux", func(b *testing.B) {
		benchServeHTTP(b, newMux())
	})
}
