package ginbackend

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/backends/internal/adapter"
)

// ginExchange is the backends.Exchange of one gin request.
type ginExchange struct {
	c      *gin.Context
	engine *gin.Engine // for the routing settings; nil routes like gin's defaults

	// name and boxed cache the last Attach name as an interface value:
	// converting a string to the key type of c.Set allocates, and the
	// name is the same on every request. They survive pooling.
	name  string
	boxed any
}

// Exchange returns the [backends.Exchange] of a gin request, for code
// that answers on authwire's behalf from inside a gin handler. Its Path is the path gin
// routes with its default settings (the decoded URL path); an engine with
// UseRawPath, UseEscapedPath or RemoveExtraSlash routes differently, which
// only the guard installed by [Backend] accounts for.
func Exchange(c *gin.Context) backends.Exchange {
	return &ginExchange{c: c}
}

func (x *ginExchange) Context() context.Context { return x.c.Request.Context() }
func (x *ginExchange) Method() string           { return x.c.Request.Method }
func (x *ginExchange) Path() string             { return ginRoutedPath(x.engine, x.c.Request) }
func (x *ginExchange) RawPath() string          { return x.c.Request.URL.RawPath }
func (x *ginExchange) Header(name string) string {
	return adapter.FirstValue(adapter.HeaderValues(x.c.Request.Header, name))
}
func (x *ginExchange) HeaderCount(name string) int {
	return len(adapter.HeaderValues(x.c.Request.Header, name))
}
func (x *ginExchange) Cookie(name string) string {
	return adapter.CookieValue(x.c.Request.Header["Cookie"], name)
}
func (x *ginExchange) PeekCookie(name string) string {
	return adapter.PeekCookieValue(x.c.Request.Header["Cookie"], name)
}
func (x *ginExchange) RemoteAddr() string           { return x.c.Request.RemoteAddr }
func (x *ginExchange) Host() string                 { return x.c.Request.Host }
func (x *ginExchange) TLS() bool                    { return x.c.Request.TLS != nil }
func (x *ginExchange) SetHeader(name, value string) { x.c.Writer.Header().Set(name, value) }
func (x *ginExchange) AddHeader(name, value string) { x.c.Writer.Header().Add(name, value) }
func (x *ginExchange) SetCookie(c *http.Cookie) {
	if c != nil {
		http.SetCookie(x.c.Writer, c)
	}
}

// Write answers and aborts the gin chain, so no later handler runs. A
// HEAD request gets the status and headers without the body.
func (x *ginExchange) Write(status int, contentType string, body []byte) {
	h := x.c.Writer.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	x.c.AbortWithStatus(status)
	if x.c.Request.Method != http.MethodHead {
		_, _ = x.c.Writer.Write(body)
	}
}

// Attach replaces c.Request with a copy whose context carries value under
// key, so auth.FromContext(c.Request.Context()) finds it, and stores value
// with c.Set(name, value) for c.Get.
func (x *ginExchange) Attach(key any, name string, value any) {
	x.c.Request = adapter.WithValue(x.c.Request, key, value)
	if name == "" {
		return
	}
	if x.boxed == nil || x.name != name {
		x.name, x.boxed = name, name
	}
	x.c.Set(x.boxed, value)
}

func (x *ginExchange) Query() string { return x.c.Request.URL.RawQuery }

func (x *ginExchange) Body(limit int) ([]byte, error) { return adapter.ReadBody(x.c.Request, limit) }
