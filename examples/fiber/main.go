// Command fiber is the authwire demo on Fiber v2: a dashboard behind a
// login form (or Basic auth), an admin-only page, public routes and a JSON
// API.
//
//	go run ./examples/fiber      # http://127.0.0.1:8050, admin/admin or viewer/viewer123
//
// See examples/internal/demo for the environment variables.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/examples/internal/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fiber demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := demo.Load(getenv, stdout)
	if err != nil {
		return err
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ReadTimeout: 30 * time.Second})

	// auth.New before any route: the guard then covers every route and
	// every unknown path.
	a, err := auth.New(app, cfg.Options...)
	if err != nil {
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
	app.Get("/", func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		c.Type("html", "utf-8")
		return c.Send(demo.Dashboard(auth.FromContext(ctx), a.CSRFToken(ctx)))
	})
	app.Get("/api/whoami", func(c *fiber.Ctx) error { return c.JSON(demo.WhoAmI(auth.FromContext(c.UserContext()))) })
	app.Get("/admin", backends.FiberRule(a.Rule(auth.OneOf("admin"))), func(c *fiber.Ctx) error {
		return c.SendString("admin area, welcome " + auth.FromContext(c.UserContext()).User + "\n")
	})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := app.ShutdownWithContext(shutdown); err != nil {
		return err
	}
	return <-errc
}
