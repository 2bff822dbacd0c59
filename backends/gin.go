package backends

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// Gin adapts a *gin.Engine ([NewGin]) or one of its router groups
// ([NewGinGroup]).
//
// Install adds the guard with engine.Use, so it runs before every route
// registered afterwards and, because gin rebuilds its 404 and 405 chains
// on Use, before the answer for unknown paths and methods too. Routes that
// exist before Install would never see the guard: Install refuses them
// with an error wrapping [ErrRoutesBeforeGuard].
//
// Gin answers some requests before any middleware runs: with
// RedirectTrailingSlash (on by default) "/admin/" is redirected to "/admin",
// and with RedirectFixedPath "/ADMIN" to "/admin". Such redirects tell the
// client that a route exists, never what it serves; the request that
// follows the redirect is guarded. A middleware that rewrites
// c.Request.URL before the guard runs makes the guard judge a path other
// than the one gin routed: register such middleware after auth.New.
type Gin struct {
	engine    *gin.Engine
	group     *gin.RouterGroup
	grouped   bool // made by NewGinGroup: guard group, not the engine
	guard     Guard
	exchanges sync.Pool // of *ginExchange
}

// NewGin returns a backend that guards every request engine serves.
func NewGin(engine *gin.Engine) *Gin {
	return &Gin{engine: engine}
}

// NewGinGroup returns a backend that guards only the routes registered on
// group (or its subgroups) after Install; group must belong to engine,
// which is needed to check for routes registered too early. Requests for
// other paths, including unknown paths under the group's prefix, are not
// guarded: gin answers those with its own, unguarded 404. Prefer [NewGin]
// unless part of the application must stay outside authwire.
func NewGinGroup(engine *gin.Engine, group *gin.RouterGroup) *Gin {
	return &Gin{engine: engine, group: group, grouped: true}
}

// Name returns "gin".
func (*Gin) Name() string { return "gin" }

// Routing reports exact, case-sensitive routing. Gin never serves a
// route for a folded path: its trailing-slash and fixed-path options
// answer with a redirect instead.
func (*Gin) Routing() Routing { return Routing{} }

// Engine returns the guarded engine.
func (b *Gin) Engine() *gin.Engine { return b.engine }

// ServeHTTP serves the request with the engine, so that auth.Auth's
// Handler method works for Gin too. Without an engine it answers 503.
func (b *Gin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.engine == nil {
		http.Error(w, "authwire: no gin engine", http.StatusServiceUnavailable)
		return
	}
	b.engine.ServeHTTP(w, r)
}

// Install adds g as middleware. It fails if g, the engine or the group is
// nil, if a guard is already installed through this backend, or if routes
// exist that the guard would not cover.
func (b *Gin) Install(g Guard) error {
	switch {
	case g == nil:
		return errors.New("backends: nil guard")
	case b.engine == nil:
		return errors.New("backends: nil *gin.Engine")
	case b.grouped && b.group == nil:
		return errors.New("backends: nil *gin.RouterGroup")
	case b.guard != nil:
		return errors.New("backends: a guard is already installed on this gin backend")
	}
	prefix := "/"
	if b.grouped {
		prefix = b.group.BasePath()
	}
	var early []string
	for _, r := range b.engine.Routes() {
		if routeOverlaps(r.Path, prefix, false, false) {
			early = append(early, r.Method+" "+r.Path)
		}
	}
	if len(early) > 0 {
		return fmt.Errorf("%w (gin already has %s)", ErrRoutesBeforeGuard, listRoutes(early))
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
func (b *Gin) serve(c *gin.Context) {
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

// routeOverlaps reports whether a route registered at path could serve a
// request whose path starts with prefix, judged conservatively: the
// route's literal start (up to its first ':', '*' or '+' wildcard) lies
// under prefix, or prefix lies under it and the route matches longer paths
// (it has a wildcard, or matchesBelow says it serves a whole subtree, as a
// Fiber middleware does). With foldCase, ASCII case is ignored.
func routeOverlaps(path, prefix string, foldCase, matchesBelow bool) bool {
	if prefix == "" || prefix == "/" {
		return true
	}
	lit, wide := path, matchesBelow
	if i := strings.IndexAny(path, ":*+"); i >= 0 {
		lit, wide = path[:i], true
	}
	if foldCase {
		lit, prefix = strings.ToLower(lit), strings.ToLower(prefix)
	}
	return strings.HasPrefix(lit, prefix) || wide && strings.HasPrefix(prefix, lit)
}

// listRoutes names up to three routes for an error message.
func listRoutes(rs []string) string {
	const max = 3
	if len(rs) <= max {
		return strings.Join(rs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(rs[:max], ", "), len(rs)-max)
}
