// Command gin is the authwire demo on Gin: a dashboard behind a login form
// (or Basic auth), an admin-only page, a page per section (marketing, hr),
// public routes and a JSON API.
//
//	go run ./examples/gin      # http://127.0.0.1:8050, admin/admin or viewer/viewer123
//
// See examples/internal/demo for the environment variables.
package main

import (
	"context"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends/ginbackend"
	"github.com/authwire/authwire/examples/internal/demo"
)

func main() { demo.Main("gin demo", run) }

func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := demo.Load(getenv, stdout)
	if err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery())

	// auth.New before any route: the guard then covers every route and
	// every unknown path.
	a, err := auth.New(r, cfg.Options...)
	if err != nil {
		return err
	}

	live, err := demo.NewLive(a, cfg)
	if err != nil {
		return err
	}
	if err := live.Mount(ginbackend.Router(r)); err != nil {
		return err
	}
	// Gin routes HEAD only where asked to; net/http and Fiber answer it
	// for every GET route, and so does this demo.
	get := func(path string, h ...gin.HandlerFunc) {
		r.GET(path, h...)
		r.HEAD(path, h...)
	}
	get("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	get("/public/*rest", func(c *gin.Context) { c.String(http.StatusOK, "public page %s\n", c.Param("rest")) })
	get("/user/:id/public", func(c *gin.Context) { c.String(http.StatusOK, "public profile of user %s\n", c.Param("id")) })
	get("/user/:id/private", func(c *gin.Context) {
		c.String(http.StatusOK, "private page of user %s, seen by %s\n", c.Param("id"), auth.FromContext(c.Request.Context()).User)
	})
	page := func(c *gin.Context, body []byte) {
		for _, h := range cfg.PageHeaders() {
			c.Header(h[0], h[1])
		}
		c.Data(http.StatusOK, "text/html; charset=utf-8", body)
	}
	get("/", func(c *gin.Context) {
		ctx := c.Request.Context()
		page(c, demo.Dashboard(auth.FromContext(ctx), a.CSRFToken(ctx)))
	})
	// A page per section, for callers in that section only.
	for _, name := range demo.SectionNames() {
		get("/"+name, ginbackend.Rule(a.Rule(auth.InSection(name))), func(c *gin.Context) {
			ctx := c.Request.Context()
			page(c, demo.SectionPage(auth.FromContext(ctx), a.CSRFToken(ctx), name))
		})
	}
	get("/api/whoami", func(c *gin.Context) { c.JSON(http.StatusOK, demo.WhoAmI(auth.FromContext(c.Request.Context()))) })
	get("/admin", ginbackend.Rule(a.Rule(auth.OneOf("admin"))), func(c *gin.Context) {
		c.String(http.StatusOK, "admin area, welcome %s\n", auth.FromContext(c.Request.Context()).User)
	})

	ln, err := demo.Listen(cfg, stdout)
	if err != nil {
		return err
	}
	return demo.ServeHTTP(ctx, cfg, ln, r, live)
}
