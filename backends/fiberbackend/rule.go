package fiberbackend

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/authwire/authwire/backends"
)

// Rule returns a Fiber handler that runs g, typically what auth.Auth's
// Rule method returns, and calls c.Next() only if it passes; g answers
// 401 or 403 itself:
//
//	app.Get("/admin", fiberbackend.Rule(a.Rule(auth.OneOf("admin"))), h)
//
// A nil g refuses every request with 500, so a rule that was never built
// fails closed.
func Rule(g backends.Guard) fiber.Handler {
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
