package main

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/authwire/authwire/backends"
)

// Backend connects authwire to Router: the fourth adapter, written
// outside package backends against its public interface only. It is what
// the author of an adapter for another framework writes.
type Backend struct {
	router *Router
}

// NewBackend returns the backend of r.
func NewBackend(r *Router) *Backend { return &Backend{router: r} }

// Name returns "custom-router".
func (*Backend) Name() string { return "custom-router" }

// Routing reports Router's relaxed matching, so that public-route
// patterns fold exactly as the router does: "/PUBLIC/x/" reaches the
// route "/public/*rest", so the pattern "/public/<path:rest>" covers it.
func (*Backend) Routing() backends.Routing {
	return backends.Routing{CaseInsensitive: true, IgnoreTrailingSlash: true}
}

// Install makes g run before routing. Router consults its guard on every
// request, so routes registered before Install are covered too.
func (b *Backend) Install(g backends.Guard) error {
	switch {
	case g == nil:
		return errors.New("custom-router: nil guard")
	case b.router == nil:
		return errors.New("custom-router: nil router")
	case b.router.guard != nil:
		return errors.New("custom-router: a guard is already installed")
	}
	b.router.guard = func(c *Ctx) bool { return g(&exchange{c: c}) }
	return nil
}

// ServeHTTP serves the router, so that auth.Auth's Handler works.
func (b *Backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.router.ServeHTTP(w, r)
}

// Rule turns a route-level guard (auth.Auth.Rule) into a Router handler.
func Rule(g backends.Guard) Handler {
	return func(c *Ctx) {
		if g == nil {
			http.Error(c.W, "rule without guard", http.StatusInternalServerError)
			c.Abort()
			return
		}
		if !g(&exchange{c: c}) {
			c.Abort()
		}
	}
}

// exchange is the backends.Exchange of one Router request. Router routes
// on the decoded URL path, so Path is r.URL.Path.
type exchange struct {
	c *Ctx
}

func (x *exchange) Context() context.Context { return x.c.R.Context() }
func (x *exchange) Method() string           { return x.c.R.Method }
func (x *exchange) Path() string             { return x.c.R.URL.Path }
func (x *exchange) RawPath() string          { return x.c.R.URL.RawPath }
func (x *exchange) Query() string            { return x.c.R.URL.RawQuery }

// Body reads at most limit bytes, one more to tell a body over the limit.
func (x *exchange) Body(limit int) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(x.c.R.Body, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, backends.ErrBodyTooLarge
	}
	return b, nil
}
func (x *exchange) Header(name string) string {
	return x.c.R.Header.Get(name)
}
func (x *exchange) HeaderCount(name string) int { return len(x.c.R.Header.Values(name)) }
func (x *exchange) Cookie(name string) string {
	if c, err := x.c.R.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}
func (x *exchange) RemoteAddr() string           { return x.c.R.RemoteAddr }
func (x *exchange) Host() string                 { return x.c.R.Host }
func (x *exchange) TLS() bool                    { return x.c.R.TLS != nil }
func (x *exchange) SetHeader(name, value string) { x.c.W.Header().Set(name, value) }
func (x *exchange) AddHeader(name, value string) { x.c.W.Header().Add(name, value) }
func (x *exchange) SetCookie(c *http.Cookie) {
	if c != nil {
		http.SetCookie(x.c.W, c)
	}
}

func (x *exchange) Write(status int, contentType string, body []byte) {
	h := x.c.W.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	x.c.W.WriteHeader(status)
	if x.c.R.Method != http.MethodHead {
		_, _ = x.c.W.Write(body)
	}
}

// Attach puts value in the request context and in the Ctx store. The Ctx
// keeps the new request, so the handlers that follow see it.
func (x *exchange) Attach(key any, name string, value any) {
	x.c.R = x.c.R.WithContext(context.WithValue(x.c.R.Context(), key, value))
	if name != "" {
		x.c.Set(name, value)
	}
}
