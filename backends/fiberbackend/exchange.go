package fiberbackend

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"unsafe"

	"github.com/gofiber/fiber/v2"

	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/backends/internal/adapter"
)

// fiberExchange is the backends.Exchange of one Fiber request.
//
// Method, Path and RawPath return strings that alias the Ctx's buffers
// (Fiber's own zero-copy strings); Header, Cookie and Host copy, so their
// values stay valid after Fiber reuses the Ctx for another request. The
// one exception is the Authorization header: it holds credentials, which
// nothing may keep, so it is not copied (see [backends.Exchange]).
type fiberExchange struct {
	c *fiber.Ctx

	// peeked, first and count remember the last header looked up, so
	// that Header and HeaderCount for the same name (the Basic parser
	// asks both) scan the request headers once. Cleared with c.
	peeked string
	first  []byte
	count  int

	// name and boxed cache the last Attach name as an interface value:
	// converting a string to the key type of c.Locals allocates, and the
	// name is the same on every request. They survive pooling.
	name  string
	boxed any
}

// Exchange returns the [backends.Exchange] of a Fiber request, for code
// that answers on authwire's behalf from inside a Fiber handler.
func Exchange(c *fiber.Ctx) backends.Exchange {
	return &fiberExchange{c: c}
}

func (x *fiberExchange) Context() context.Context { return x.c.UserContext() }
func (x *fiberExchange) Method() string           { return x.c.Method() }

// Path is the path Fiber routes: as received, or decoded when the app's
// UnescapePath is set (c.Path()). Case and trailing-slash folding are
// left to the core, which learns them from Routing.
func (x *fiberExchange) Path() string { return x.c.Path() }

// RawPath is the path as received when it holds an escape, else "".
func (x *fiberExchange) RawPath() string {
	p := x.c.Context().URI().PathOriginal()
	if bytes.IndexByte(p, '%') < 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(p), len(p))
}

func (x *fiberExchange) Header(name string) string {
	v, _ := x.peek(name)
	if name == "Authorization" || len(name) == len("Authorization") && strings.EqualFold(name, "Authorization") {
		return unsafe.String(unsafe.SliceData(v), len(v))
	}
	return string(v)
}
func (x *fiberExchange) HeaderCount(name string) int {
	_, n := x.peek(name)
	return n
}

// peek returns the first value of the named request header, which
// aliases fasthttp's buffers, and how many times the header occurs.
func (x *fiberExchange) peek(name string) ([]byte, int) {
	if name == "" || name != x.peeked {
		vs := x.c.Context().Request.Header.PeekAll(name)
		x.peeked, x.first, x.count = name, nil, len(vs)
		if len(vs) > 0 {
			x.first = vs[0]
		}
	}
	return x.first, x.count
}

// reset points x at c, or at nothing, and forgets the last header.
func (x *fiberExchange) reset(c *fiber.Ctx) {
	x.c, x.peeked, x.first, x.count = c, "", nil, 0
}

// Cookie returns the first cookie named name whose value net/http would
// read, copied: fasthttp keeps values with any bytes, and its own Cookie
// returns the first of the name even when net/http would skip it for a
// later one.
func (x *fiberExchange) Cookie(name string) string {
	return strings.Clone(x.firstCookie(name, true))
}

// PeekCookie is the first cookie named name, unchecked and not copied.
func (x *fiberExchange) PeekCookie(name string) string {
	return x.firstCookie(name, false)
}

// firstCookie returns the value of the first cookie named name, read as
// net/http reads it from what fasthttp parsed (white space trimmed, one
// pair of double quotes removed), skipping, when check is set, values
// with bytes a cookie value may not hold. It aliases fasthttp's buffers.
func (x *fiberExchange) firstCookie(name string, check bool) string {
	var found string
	done := false
	x.c.Context().Request.Header.VisitAllCookie(func(k, v []byte) {
		if done {
			return
		}
		key, value := adapter.TrimParsedCookie(unsafe.String(unsafe.SliceData(k), len(k)), unsafe.String(unsafe.SliceData(v), len(v)))
		if key == name && (!check || adapter.ValidCookieValue(value)) {
			found, done = value, true
		}
	})
	return found
}

// RemoteAddr is the peer's address as net.Addr.String formats it, built
// with one allocation instead of net.TCPAddr.String's two.
func (x *fiberExchange) RemoteAddr() string {
	a := x.c.Context().RemoteAddr()
	ta, ok := a.(*net.TCPAddr)
	if !ok || ta.Zone != "" {
		return a.String()
	}
	ap := ta.AddrPort()
	if !ap.Addr().IsValid() {
		return a.String()
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
}
func (x *fiberExchange) Host() string { return string(x.c.Context().Request.Host()) }
func (x *fiberExchange) TLS() bool    { return x.c.Context().IsTLS() }
func (x *fiberExchange) SetHeader(name, value string) {
	x.c.Context().Response.Header.Set(name, value)
}
func (x *fiberExchange) AddHeader(name, value string) {
	x.c.Context().Response.Header.Add(name, value)
}

// SetCookie adds c as a Set-Cookie header, serialised by net/http. A nil
// or invalid cookie (one http.Cookie.String renders as "") is dropped.
func (x *fiberExchange) SetCookie(c *http.Cookie) {
	if c == nil {
		return
	}
	if v := c.String(); v != "" {
		x.c.Context().Response.Header.Add("Set-Cookie", v)
	}
}

// Write sets the status, headers and body. The Fiber chain ends because
// the guard's handler returns without calling c.Next(). A HEAD request
// gets no body.
func (x *fiberExchange) Write(status int, contentType string, body []byte) {
	r := &x.c.Context().Response
	r.SetStatusCode(status)
	r.Header.SetContentType(contentType)
	r.Header.Set("X-Content-Type-Options", "nosniff")
	if x.c.Context().IsHead() {
		r.ResetBody()
		return
	}
	r.SetBody(body)
}

// Attach stores value in the user context (c.UserContext(), where
// auth.FromContext finds it) under key, and in c.Locals under name. A key
// context.WithValue would refuse (nil or not comparable) attaches nothing
// to the context.
func (x *fiberExchange) Attach(key any, name string, value any) {
	if adapter.Attachable(key) {
		x.c.SetUserContext(context.WithValue(x.c.UserContext(), key, value))
	}
	if name == "" {
		return
	}
	if x.boxed == nil || x.name != name {
		x.name, x.boxed = name, name
	}
	x.c.Locals(x.boxed, value)
}

// ReplaceContext makes ctx the user context (c.SetUserContext).
func (x *fiberExchange) ReplaceContext(ctx context.Context) { x.c.SetUserContext(ctx) }

func (x *fiberExchange) Query() string {
	return string(x.c.Context().URI().QueryString())
}

// Body returns a copy of the body fasthttp has already read (within the
// app's BodyLimit), refusing one over limit.
func (x *fiberExchange) Body(limit int) ([]byte, error) {
	b := x.c.Body()
	if len(b) > limit {
		return nil, fmt.Errorf("%w: limit %d", backends.ErrBodyTooLarge, limit)
	}
	return append([]byte(nil), b...), nil
}
