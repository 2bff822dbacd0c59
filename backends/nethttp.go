package backends

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/authwire/authwire/backends/internal/adapter"
)

// HTTP adapts any net/http handler, typically an *http.ServeMux.
//
// A handler value cannot be changed in place, so the guard does not reach
// the original handler: serve the HTTP value itself (or what auth.Auth's
// Handler method returns). Every request passes the guard first, whatever
// its path, so unknown paths are guarded too.
type HTTP struct {
	next      http.Handler
	guard     Guard
	exchanges sync.Pool // of *httpExchange
}

// NewHTTP returns a backend that guards next.
func NewHTTP(next http.Handler) *HTTP {
	return &HTTP{next: next}
}

// Name returns "net/http".
func (*HTTP) Name() string { return "net/http" }

// Routing reports exact, case-sensitive routing, as http.ServeMux does.
func (*HTTP) Routing() Routing { return Routing{} }

// Install sets the guard. It fails if a guard is already installed.
func (b *HTTP) Install(g Guard) error {
	if g == nil {
		return errors.New("backends: nil guard")
	}
	if b.next == nil {
		return errors.New("backends: nil net/http handler")
	}
	if b.guard != nil {
		return errors.New("backends: a guard is already installed on this net/http handler")
	}
	b.guard = g
	return nil
}

// ServeHTTP runs the guard and, if it lets the request through, the
// wrapped handler with the guard's attachments in the request context.
// Before a guard is installed it refuses every request with 503, so that a
// half-configured server fails closed.
func (b *HTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.guard == nil {
		http.Error(w, "authwire: no guard installed", http.StatusServiceUnavailable)
		return
	}
	x, _ := b.exchanges.Get().(*httpExchange)
	if x == nil {
		x = new(httpExchange)
	}
	x.w, x.r = w, r
	pass := b.guard(x)
	r = x.r
	*x = httpExchange{}
	b.exchanges.Put(x)
	if pass {
		b.next.ServeHTTP(w, r)
	}
}

// httpExchange is the Exchange of one net/http request.
type httpExchange struct {
	w http.ResponseWriter
	r *http.Request
}

func (x *httpExchange) Context() context.Context { return x.r.Context() }
func (x *httpExchange) Method() string           { return x.r.Method }
func (x *httpExchange) Path() string             { return x.r.URL.Path }
func (x *httpExchange) RawPath() string          { return x.r.URL.RawPath }
func (x *httpExchange) Header(name string) string {
	return adapter.FirstValue(adapter.HeaderValues(x.r.Header, name))
}
func (x *httpExchange) HeaderCount(name string) int {
	return len(adapter.HeaderValues(x.r.Header, name))
}
func (x *httpExchange) Cookie(name string) string {
	return adapter.CookieValue(x.r.Header["Cookie"], name)
}
func (x *httpExchange) PeekCookie(name string) string {
	return adapter.PeekCookieValue(x.r.Header["Cookie"], name)
}
func (x *httpExchange) RemoteAddr() string           { return x.r.RemoteAddr }
func (x *httpExchange) Host() string                 { return x.r.Host }
func (x *httpExchange) TLS() bool                    { return x.r.TLS != nil }
func (x *httpExchange) SetHeader(name, value string) { x.w.Header().Set(name, value) }
func (x *httpExchange) AddHeader(name, value string) { x.w.Header().Add(name, value) }
func (x *httpExchange) SetCookie(c *http.Cookie) {
	if c != nil {
		http.SetCookie(x.w, c)
	}
}

func (x *httpExchange) Write(status int, contentType string, body []byte) {
	h := x.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	x.w.WriteHeader(status)
	if x.r.Method != http.MethodHead {
		_, _ = x.w.Write(body)
	}
}

func (x *httpExchange) Attach(key any, _ string, value any) {
	x.r = adapter.WithValue(x.r, key, value)
}

// HTTPExchange returns the Exchange of a net/http request, for code that
// answers on authwire's behalf from inside a net/http handler (route-level
// requirements, for example).
func HTTPExchange(w http.ResponseWriter, r *http.Request) Exchange {
	return &httpExchange{w: w, r: r}
}

func (x *httpExchange) Query() string { return x.r.URL.RawQuery }

func (x *httpExchange) Body(limit int) ([]byte, error) { return adapter.ReadBody(x.r, limit) }
