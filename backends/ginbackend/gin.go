// Package ginbackend connects authwire to Gin. Importing it is enough for
// auth.New to recognise a *gin.Engine:
//
//	import _ "github.com/authwire/authwire/backends/ginbackend"
//
// It also gives Gin's spelling of what authwire hands out: [Rule] turns a
// route requirement into Gin middleware, and [Router] lets package ws and
// package callbacks mount their handlers on a Gin router with one call.
package ginbackend

import (
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/backends/internal/adapter"
)

func init() { backends.Register(detect) }

// detect is the [backends.DetectFunc] of Gin: a *gin.Engine gets [New];
// a *gin.RouterGroup alone is refused, because its engine is needed to
// check for routes registered before the guard.
func detect(app any) (backends.Backend, error) {
	switch a := app.(type) {
	case *gin.Engine:
		if a == nil {
			return nil, fmt.Errorf("%w: got a nil *gin.Engine", backends.ErrUnknownApp)
		}
		return New(a), nil
	case *gin.RouterGroup:
		return nil, fmt.Errorf("%w: got a *gin.RouterGroup, which alone cannot be checked for routes registered before the guard; pass ginbackend.NewGroup(engine, group)", backends.ErrUnknownApp)
	}
	return nil, nil
}

// Backend adapts a *gin.Engine ([New]) or one of its router groups
// ([NewGroup]).
//
// Install adds the guard with engine.Use, so it runs before every route
// registered afterwards and, because gin rebuilds its 404 and 405 chains
// on Use, before the answer for unknown paths and methods too. Routes that
// exist before Install would never see the guard: Install refuses them
// with an error wrapping [backends.ErrRoutesBeforeGuard].
//
// Gin answers some requests before any middleware runs: with
// RedirectTrailingSlash (on by default) "/admin/" is redirected to "/admin",
// and with RedirectFixedPath "/ADMIN" to "/admin". Such redirects tell the
// client that a route exists, never what it serves; the request that
// follows the redirect is guarded. A middleware that rewrites
// c.Request.URL before the guard runs makes the guard judge a path other
// than the one gin routed: register such middleware after auth.New.
type Backend struct {
	engine    *gin.Engine
	group     *gin.RouterGroup
	grouped   bool // made by NewGinGroup: guard group, not the engine
	guard     backends.Guard
	exchanges sync.Pool // of *ginExchange
}

// New returns a backend that guards every request engine serves.
func New(engine *gin.Engine) *Backend {
	return &Backend{engine: engine}
}

// NewGroup returns a backend that guards only the routes registered on
// group (or its subgroups) after Install; group must belong to engine,
// which is needed to check for routes registered too early. Requests for
// other paths, including unknown paths under the group's prefix, are not
// guarded: gin answers those with its own, unguarded 404. Prefer [New]
// unless part of the application must stay outside authwire.
func NewGroup(engine *gin.Engine, group *gin.RouterGroup) *Backend {
	return &Backend{engine: engine, group: group, grouped: true}
}

// Name returns "gin".
func (*Backend) Name() string { return "gin" }

// Routing reports exact, case-sensitive routing. Gin never serves a
// route for a folded path: its trailing-slash and fixed-path options
// answer with a redirect instead.
func (*Backend) Routing() backends.Routing { return backends.Routing{} }

// Engine returns the guarded engine.
func (b *Backend) Engine() *gin.Engine { return b.engine }

// ServeHTTP serves the request with the engine, so that auth.Auth's
// Handler method works for Gin too. Without an engine it answers 503.
func (b *Backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.engine == nil {
		http.Error(w, "authwire: no gin engine", http.StatusServiceUnavailable)
		return
	}
	b.engine.ServeHTTP(w, r)
}

// Install adds g as middleware. It fails if g, the engine or the group is
// nil, if a guard is already installed through this backend, or if routes
// exist that the guard would not cover.
func (b *Backend) Install(g backends.Guard) error {
	switch {
	case g == nil:
		return errors.New("ginbackend: nil guard")
	case b.engine == nil:
		return errors.New("ginbackend: nil *gin.Engine")
	case b.grouped && b.group == nil:
		return errors.New("ginbackend: nil *gin.RouterGroup")
	case b.guard != nil:
		return errors.New("ginbackend: a guard is already installed on this gin backend")
	}
	prefix := "/"
	if b.grouped {
		prefix = b.group.BasePath()
	}
	var early []string
	for _, r := range b.engine.Routes() {
		if adapter.RouteOverlaps(r.Path, prefix, false, false) {
			early = append(early, r.Method+" "+r.Path)
		}
	}
	if len(early) > 0 {
		return fmt.Errorf("%w (gin already has %s)", backends.ErrRoutesBeforeGuard, adapter.ListRoutes(early))
	}
	b.guard = g
	if b.grouped {
		b.group.Use(b.serve)
	} else {
		b.engine.Use(b.serve)
	}
	return nil
}

// serve is the gin middleware that runs the guard.
func (b *Backend) serve(c *gin.Context) {
	x, _ := b.exchanges.Get().(*ginExchange)
	if x == nil {
		x = new(ginExchange)
	}
	x.c, x.engine = c, b.engine
	pass := b.guard(x)
	x.c, x.engine = nil, nil
	b.exchanges.Put(x)
	if !pass {
		c.Abort()
	}
}
