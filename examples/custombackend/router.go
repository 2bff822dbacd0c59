package main

import (
	"net/http"
	"strings"
)

// Router is a tiny HTTP router, standing in for any framework authwire
// has no adapter for. Its routing is deliberately relaxed: it matches
// paths ignoring ASCII case and one trailing slash, on the percent-decoded
// path. Patterns are literal segments, ":name" for one segment and
// "*name" for the rest of the path (last). A GET route answers HEAD too.
type Router struct {
	routes []route
	guard  func(*Ctx) bool // runs before routing; nil refuses everything
}

// Handler handles a request. Handlers of one route run in order until one
// calls Ctx.Abort.
type Handler func(c *Ctx)

type route struct {
	method   string // "" for every method
	segs     []string
	handlers []Handler
}

// Ctx is one request: its writer and request, the route's parameters and
// a per-request store (this framework's idiom for passing values from
// middleware to handlers).
type Ctx struct {
	W       http.ResponseWriter
	R       *http.Request
	params  map[string]string
	values  map[string]any
	aborted bool
}

// Param returns the value of a route parameter.
func (c *Ctx) Param(name string) string { return c.params[name] }

// Set stores a value for the handlers that follow.
func (c *Ctx) Set(name string, v any) {
	if c.values == nil {
		c.values = make(map[string]any)
	}
	c.values[name] = v
}

// Get returns a value stored with Set.
func (c *Ctx) Get(name string) (any, bool) {
	v, ok := c.values[name]
	return v, ok
}

// Abort stops the route's remaining handlers.
func (c *Ctx) Abort() { c.aborted = true }

// Handle registers handlers for method ("" for every method) and pattern.
func (rt *Router) Handle(method, pattern string, handlers ...Handler) {
	rt.routes = append(rt.routes, route{method: method, segs: split(pattern), handlers: handlers})
}

// ServeHTTP runs the guard, then the first matching route, or answers 404.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &Ctx{W: w, R: r}
	if rt.guard == nil {
		http.Error(w, "no guard installed", http.StatusServiceUnavailable)
		return
	}
	if !rt.guard(c) {
		return
	}
	for _, ro := range rt.routes {
		if ro.method != "" && ro.method != r.Method && !(ro.method == http.MethodGet && r.Method == http.MethodHead) {
			continue
		}
		if params, ok := ro.match(c.R.URL.Path); ok {
			c.params = params
			for _, h := range ro.handlers {
				if h(c); c.aborted {
					break
				}
			}
			return
		}
	}
	http.NotFound(w, c.R)
}

// split cuts a path into segments after dropping the leading slash and
// one trailing slash.
func split(p string) []string {
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// match matches the decoded path p, ignoring ASCII case and one trailing
// slash.
func (ro route) match(p string) (map[string]string, bool) {
	segs := split(p)
	params := make(map[string]string)
	for i, s := range ro.segs {
		if strings.HasPrefix(s, "*") {
			rest := strings.Join(segs[min(i, len(segs)):], "/")
			if rest == "" {
				return nil, false
			}
			params[s[1:]] = rest
			return params, true
		}
		if i >= len(segs) || segs[i] == "" {
			return nil, false
		}
		switch {
		case strings.HasPrefix(s, ":"):
			params[s[1:]] = segs[i]
		case !asciiEqualFold(s, segs[i]):
			return nil, false
		}
	}
	return params, len(segs) == len(ro.segs)
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
