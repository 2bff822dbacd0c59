// Command fiber is the authwire demo on Fiber v2: a dashboard behind a
// login form (or Basic auth), an admin-only page, a page per section
// (marketing, hr), public routes and a JSON API.
//
//	go run ./examples/fiber      # http://127.0.0.1:8050, admin/admin or viewer/viewer123
//
// See examples/internal/demo for the environment variables.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends/fiberbackend"
	"github.com/authwire/authwire/examples/internal/demo"
)

func main() { demo.Main("fiber demo", run) }

func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := demo.Load(getenv, stdout)
	if err != nil {
		return err
	}
	// A 16 KiB read buffer, as the other demos' servers, lets request
	// headers up to that size reach authwire, which answers an oversized
	// Authorization header with its own 431 (JSON, no-store). With Fiber's
	// default of 4 KiB, fasthttp answers before any handler, in plain
	// text, and closes the connection, which a client still sending may
	// see as a reset instead of the answer.
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ReadTimeout: 30 * time.Second, ReadBufferSize: demo.MaxHeaderBytes})

	// Over TLS every response carries Strict-Transport-Security (but see
	// demo.HSTSFor), the guard's challenges too: middleware added before
	// auth.New runs before the guard.
	app.Use(func(c *fiber.Ctx) error {
		if v := demo.HSTSFor(c.Context().IsTLS(), string(c.Request().Host())); v != "" {
			c.Set(fiber.HeaderStrictTransportSecurity, v)
		}
		return c.Next()
	})

	// auth.New before any route: the guard then covers every route and
	// every unknown path.
	a, err := auth.New(app, cfg.Options...)
	if err != nil {
		return err
	}

	live, err := demo.NewLive(a, cfg)
	if err != nil {
		return err
	}
	if err := live.Mount(fiberbackend.Router(app)); err != nil {
		return err
	}
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/public/*", func(c *fiber.Ctx) error { return c.SendString("public page " + c.Params("*") + "\n") })
	app.Get("/user/:id/public", func(c *fiber.Ctx) error {
		return c.SendString("public profile of user " + c.Params("id") + "\n")
	})
	app.Get("/user/:id/private", func(c *fiber.Ctx) error {
		return c.SendString("private page of user " + c.Params("id") + ", seen by " + auth.FromContext(c.UserContext()).User + "\n")
	})
	page := func(c *fiber.Ctx, body []byte) error {
		for _, h := range cfg.PageHeaders() {
			c.Set(h[0], h[1])
		}
		c.Type("html", "utf-8")
		return c.Send(body)
	}
	app.Get("/", func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		return page(c, demo.Dashboard(auth.FromContext(ctx), a.CSRFToken(ctx)))
	})
	// A page per section, for callers in that section only.
	for _, name := range demo.SectionNames() {
		app.Get("/"+name, fiberbackend.Rule(a.Rule(auth.InSection(name))), func(c *fiber.Ctx) error {
			ctx := c.UserContext()
			return page(c, demo.SectionPage(auth.FromContext(ctx), a.CSRFToken(ctx), name))
		})
	}
	app.Get("/api/whoami", func(c *fiber.Ctx) error { return c.JSON(demo.WhoAmI(auth.FromContext(c.UserContext()))) })
	app.Get("/admin", fiberbackend.Rule(a.Rule(auth.OneOf("admin"))), func(c *fiber.Ctx) error {
		return c.SendString("admin area, welcome " + auth.FromContext(c.UserContext()).User + "\n")
	})

	ln, err := demo.Listen(cfg, stdout)
	if err != nil {
		return err
	}
	if cfg.TLS != nil {
		// As Fiber's own ListenTLS does. fasthttp speaks HTTP/1.1 only,
		// and its hijack hands the WebSocket the *tls.Conn.
		ln = tls.NewListener(ln, cfg.TLS)
	}
	return demo.ServeUntil(ctx, func() error { return app.Listener(ln) }, func(ctx context.Context) error {
		return errors.Join(live.Shutdown(ctx), app.ShutdownWithContext(ctx), live.Close())
	})
}
