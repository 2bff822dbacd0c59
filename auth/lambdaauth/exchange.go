package lambdaauth

import (
	"context"
	"errors"
	"hash/maphash"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// backend is the backends.Backend an Authorizer installs authwire's guard
// on. It serves nothing: it only keeps the guard, which the Authorizer
// runs on each event.
type backend struct {
	guard backends.Guard
}

func (*backend) Name() string { return "lambda-authorizer" }

// Routing is exact, case-sensitive matching, as API Gateway routes.
func (*backend) Routing() backends.Routing { return backends.Routing{} }

func (b *backend) Install(g backends.Guard) error {
	if g == nil {
		return errors.New("lambdaauth: nil guard")
	}
	if b.guard != nil {
		return errors.New("lambdaauth: a guard is already installed")
	}
	b.guard = g
	return nil
}

// request is what an event says about the request it authorizes, in the
// terms of a backends.Exchange.
type request struct {
	method, path, query string
	host                string
	sourceIP            string
	// headers are keyed by lower-case name, each with its values.
	headers map[string][]string
	// cookies are the request's cookie-pairs (HTTP API events list them
	// apart from the headers).
	cookies []string
}

// exchange is the backends.Exchange of one event. The guard reads the
// request from it; what the guard writes is kept only as the status,
// since an authorizer's answer is a policy, not a response.
type exchange struct {
	ctx    context.Context
	req    *request
	remote string
	status int
}

func newExchange(ctx context.Context, req *request, seed maphash.Seed) *exchange {
	return &exchange{ctx: ctx, req: req, remote: clientAddr(req, seed)}
}

// clientAddr is the address the guard regulates the caller under: the
// source IP that API Gateway saw, as "ip:0". TOKEN events carry none, and
// the console's test calls carry a placeholder; then each Authorization
// header is taken as a client of its own, an address in fd00::/8 made from
// a keyed hash of the header (under a key of this process). Otherwise all
// such callers would be one "unknown" client, and a few wrong passwords
// from anyone would ban them all; per user they are still regulated.
func clientAddr(req *request, seed maphash.Seed) string {
	if a, err := netip.ParseAddr(req.sourceIP); err == nil && a.Zone() == "" {
		return net.JoinHostPort(a.Unmap().String(), "0")
	}
	var h maphash.Hash
	h.SetSeed(seed)
	for _, v := range req.headers["authorization"] {
		h.WriteString(v)
		h.WriteByte(0)
	}
	sum := h.Sum64()
	var b [16]byte
	b[0] = 0xfd
	for i := 1; i < 8; i++ { // the /64 the regulator keys IPv6 clients by
		b[i] = byte(sum >> (8 * (i - 1)))
	}
	return net.JoinHostPort(netip.AddrFrom16(b).String(), "0")
}

func (x *exchange) Context() context.Context { return x.ctx }
func (x *exchange) Method() string           { return x.req.method }
func (x *exchange) Path() string             { return x.req.path }
func (x *exchange) RawPath() string          { return "" }
func (x *exchange) Query() string            { return x.req.query }

// Body is always empty: API Gateway sends an authorizer no body.
func (x *exchange) Body(int) ([]byte, error) { return nil, nil }

func (x *exchange) Header(name string) string {
	if v := x.req.headers[strings.ToLower(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (x *exchange) HeaderCount(name string) int { return len(x.req.headers[strings.ToLower(name)]) }

func (x *exchange) Cookie(name string) string {
	for _, line := range slices.Concat(x.req.headers["cookie"], x.req.cookies) {
		cs, err := http.ParseCookie(line)
		if err != nil {
			continue
		}
		for _, c := range cs {
			if c.Name == name {
				return c.Value
			}
		}
	}
	return ""
}

func (x *exchange) RemoteAddr() string { return x.remote }
func (x *exchange) Host() string       { return x.req.host }

// TLS is true: API Gateway endpoints are served over HTTPS only.
func (x *exchange) TLS() bool { return true }

// The response side is dropped, but for the status: the authorizer
// answers with a policy or an error, never with headers or a body.
func (x *exchange) SetHeader(string, string) {}
func (x *exchange) AddHeader(string, string) {}
func (x *exchange) SetCookie(*http.Cookie)   {}

func (x *exchange) Write(status int, _ string, _ []byte) {
	if x.status == 0 {
		x.status = status
	}
}

// Attach keeps what the guard attaches in the exchange's context, where
// auth.FromContext finds the identity.
func (x *exchange) Attach(key any, _ string, value any) {
	if key != nil {
		x.ctx = context.WithValue(x.ctx, key, value)
	}
}

// identity is the caller the guard recognised, or nil.
func (x *exchange) identity() *auth.Identity { return auth.FromContext(x.ctx) }
