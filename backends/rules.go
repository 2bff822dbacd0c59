package backends

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
)

// Route-level rules: each function turns a [Guard], typically the one
// auth.Auth's Rule method returns, into middleware for one route in the
// framework's own idiom. The guard answers 401 or 403 itself; the route's
// handler runs only when it passes.
//
// A nil guard refuses every request with 500, so a rule that was never
// built fails closed.

// HTTPRule returns net/http middleware that runs g before next:
//
//	mux.Handle("GET /admin", backends.HTTPRule(a.Rule(auth.OneOf("admin")))(h))
func HTTPRule(g Guard) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if g == nil || next == nil {
				http.Error(w, "authwire: rule without guard or handler", http.StatusInternalServerError)
				return
			}
			x := &httpExchange{w: w, r: r}
			if g(x) {
				next.ServeHTTP(w, x.r)
			}
		})
	}
}

// GinRule returns gin middleware that runs g and aborts the chain unless
// it passes:
//
//	engine.GET("/admin", backends.GinRule(a.Rule(auth.OneOf("admin"))), h)
func GinRule(g Guard) gin.HandlerFunc {
	return func(c *gin.Context) {
		if g == nil {
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		if !g(&ginExchange{c: c}) {
			c.Abort()
		}
	}
}

// FiberRule returns a Fiber handler that runs g and calls c.Next() only
// if it passes:
//
//	app.Get("/admin", backends.FiberRule(a.Rule(auth.OneOf("admin"))), h)
func FiberRule(g Guard) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if g == nil {
			return c.SendStatus(http.StatusInternalServerError)
		}
		if !g(&fiberExchange{c: c}) {
			return nil
		}
		return c.Next()
	}
}
