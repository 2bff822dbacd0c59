// Package fiberbackend connects authwire to Fiber v2. Importing it is
// enough for auth.New to recognise a *fiber.App:
//
//	import _ "github.com/authwire/authwire/backends/fiberbackend"
//
// It also gives Fiber's spelling of what authwire hands out: [Rule] turns
// a route requirement into a Fiber handler, [Handler] serves an
// http.Handler (WebSockets included, through fasthttp's hijack), and
// [Router] lets package ws and package callbacks mount their handlers on
// a Fiber router with one call.
package fiberbackend

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/backends/internal/adapter"
)

func init() { backends.Register(detect) }

// detect is the [backends.DetectFunc] of Fiber: a *fiber.App gets [New].
func detect(app any) (backends.Backend, error) {
	switch a := app.(type) {
	case *fiber.App:
		if a == nil {
			return nil, fmt.Errorf("%w: got a nil *fiber.App", backends.ErrUnknownApp)
		}
		return New(a), nil
	case *fiber.Group:
		return nil, fmt.Errorf("%w: got a *fiber.Group, which alone cannot be checked for routes registered before the guard; pass fiberbackend.NewGroup(app, prefix)", backends.ErrUnknownApp)
	}
	return nil, nil
}

// Backend adapts a *fiber.App ([New]), or the part of it under a path
// prefix ([NewGroup]).
//
// Install adds the guard with app.Use. Fiber runs its handler stack in
// registration order and the guard matches every path, so it runs before
// every route registered afterwards and before the 404 for unknown paths.
// A route, static-file handler or mounted app registered before Install
// would run first, unguarded: Install refuses them with an error wrapping
// [backends.ErrRoutesBeforeGuard]. Middleware registered earlier with app.Use
// (a logger, recover, CORS) is allowed and runs before the guard, as
// middleware registered first does in Fiber; it must call c.Next() to
// reach the guard and the application.
//
// Fiber routes on the path as received, percent-escapes included, unless
// the app's UnescapePath is set; ignores ASCII case unless CaseSensitive
// is set; and ignores trailing slashes unless StrictRouting is set. The
// exchange and [Backend.Routing] report exactly that, so public-route
// patterns match what Fiber's router matches.
//
// Fiber reuses its Ctx and the request's buffers once a handler returns.
// The identity and everything the guard keeps are copies; the exchange
// itself is only valid while the guard runs.
//
// An app mounted into another (parent.Mount) is routed by the parent's
// settings, which the guard cannot see: guard the parent app instead.
type Backend struct {
	app       *fiber.App
	prefix    string // "/": the whole app
	guard     backends.Guard
	exchanges sync.Pool // of *fiberExchange
}

// New returns a backend that guards every request app serves.
func New(app *fiber.App) *Backend {
	return &Backend{app: app, prefix: "/"}
}

// NewGroup returns a backend that guards the requests whose path
// starts with prefix (as Fiber's app.Use(prefix, ...) matches it: a plain
// prefix, folded for case unless CaseSensitive is set), whatever handler
// serves them, unknown paths included. Requests for other paths are not
// guarded. Register the routes under prefix, for example with
// app.Group(prefix), after Install.
func NewGroup(app *fiber.App, prefix string) *Backend {
	// Without its trailing slashes the prefix also covers the group's
	// root, "/api" as well as "/api/...", under StrictRouting too.
	prefix = "/" + strings.Trim(prefix, "/")
	return &Backend{app: app, prefix: prefix}
}

// Name returns "fiber".
func (*Backend) Name() string { return "fiber" }

// App returns the guarded application.
func (b *Backend) App() *fiber.App { return b.app }

// Routing reports the app's folding: case-insensitive unless
// CaseSensitive is set, trailing slashes ignored unless StrictRouting is
// set.
func (b *Backend) Routing() backends.Routing {
	if b.app == nil {
		return backends.Routing{}
	}
	cfg := b.app.Config()
	return backends.Routing{CaseInsensitive: !cfg.CaseSensitive, IgnoreTrailingSlash: !cfg.StrictRouting}
}

// Install adds g as the next handler of the stack. It fails if g or the
// app is nil, if a guard is already installed through this backend, or if
// the stack already serves requests the guard would not see first.
func (b *Backend) Install(g backends.Guard) error {
	switch {
	case g == nil:
		return errors.New("fiberbackend: nil guard")
	case b.app == nil:
		return errors.New("fiberbackend: nil *fiber.App")
	case b.guard != nil:
		return errors.New("fiberbackend: a guard is already installed on this fiber backend")
	}
	if early := fiberEarlyRoutes(b.app, b.prefix); len(early) > 0 {
		return fmt.Errorf("%w (fiber already has %s)", backends.ErrRoutesBeforeGuard, adapter.ListRoutes(early))
	}
	b.guard = g
	if b.prefix == "/" {
		b.app.Use(fiber.Handler(b.serve))
	} else {
		b.app.Use(b.prefix, fiber.Handler(b.serve))
	}
	return nil
}

// serve is the Fiber handler that runs the guard.
func (b *Backend) serve(c *fiber.Ctx) error {
	x, _ := b.exchanges.Get().(*fiberExchange)
	if x == nil {
		x = new(fiberExchange)
	}
	x.reset(c)
	pass := b.guard(x)
	x.reset(nil)
	b.exchanges.Put(x)
	if !pass {
		return nil
	}
	return c.Next()
}

// fiberEarlyRoutes lists what app's stack holds under prefix that could
// answer before a guard added now: any route registered for a method
// (app.Get, app.All, group routes), a mounted app, and static-file
// handlers. Middleware added with Use is allowed; it is recognised by
// appearing identically (same path, same handlers) in the stack of every
// request method, which app.Static (GET and HEAD only) and app.Mount (no
// handlers) do not.
//
// Fiber does not export whether a stack entry is middleware, so method
// routes are told apart by their handler slices: GetRoutes(true) lists the
// routes that are not middleware, and each entry of the stack shares its
// handler slice with its copy there.
func fiberEarlyRoutes(app *fiber.App, prefix string) []string {
	fold := !app.Config().CaseSensitive
	var early []string
	routes := make(map[*fiber.Handler]bool)
	for _, r := range app.GetRoutes(true) {
		if len(r.Handlers) > 0 {
			routes[&r.Handlers[0]] = true
		}
		if adapter.RouteOverlaps(r.Path, prefix, fold, false) {
			early = append(early, r.Method+" "+r.Path)
		}
	}
	type use struct {
		path  string
		first *fiber.Handler
		n     int
	}
	var ref []use // the middleware of the first method's stack
	seen := make(map[*fiber.Route]bool)
	for m, stack := range app.Stack() {
		var uses []use
		for _, r := range stack {
			if len(r.Handlers) > 0 && routes[&r.Handlers[0]] {
				continue // a method route, listed above
			}
			if !adapter.RouteOverlaps(r.Path, prefix, fold, true) {
				continue
			}
			switch {
			case len(r.Handlers) == 0:
				early = append(early, "an app mounted at "+r.Path)
				continue
			case seen[r]:
				// app.Static adds one entry to the GET and HEAD stacks;
				// Use adds a copy to each.
				early = append(early, "static files at "+r.Path)
				continue
			}
			seen[r] = true
			uses = append(uses, use{r.Path, &r.Handlers[0], len(r.Handlers)})
		}
		if m == 0 {
			ref = uses
			continue
		}
		if !slices.Equal(ref, uses) {
			early = append(early, "a handler for some methods only (static files?) under "+prefix)
			break
		}
	}
	// Use and Mount add an entry per method: name each finding once.
	var once []string
	for _, e := range early {
		if !slices.Contains(once, e) {
			once = append(once, e)
		}
	}
	return once
}
