package auth

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/authwire/authwire/backends"
)

// trustedProxies is the set of CIDRs whose forwarding headers are
// believed. The zero value trusts nobody, so every client is its TCP peer.
//
// Prefixes are kept unmapped: an IPv4 or IPv4-mapped entry matches IPv4
// clients (compared after unmapping), an IPv6 entry matches IPv6 clients.
type trustedProxies struct {
	prefixes []netip.Prefix
}

// parseTrustedProxies parses proxy addresses and CIDRs such as
// "10.0.0.0/8", "192.168.1.10" (one host), "::1" or "fd00::/8". Host bits
// set in a CIDR are ignored ("10.1.2.3/8" means 10.0.0.0/8). It rejects,
// naming the entry, anything unparseable, addresses with a zone, and
// prefixes of length zero ("0.0.0.0/0", "::/0"): trusting every address
// would let any client choose the address it is regulated under. Errors
// wrap ErrInvalidConfig.
func parseTrustedProxies(cidrs []string) (trustedProxies, error) {
	var t trustedProxies
	for _, raw := range cidrs {
		p, problem := parseTrustedProxy(strings.TrimSpace(raw))
		if problem != "" {
			return trustedProxies{}, fmt.Errorf("%w: trusted proxy %q: %s", ErrInvalidConfig, raw, problem)
		}
		t.prefixes = append(t.prefixes, p)
	}
	return t, nil
}

// parseTrustedProxy parses one entry of parseTrustedProxies. It returns
// what is wrong with the entry, or "" if nothing is.
func parseTrustedProxy(s string) (netip.Prefix, string) {
	if s == "" {
		return netip.Prefix{}, "empty entry"
	}
	if strings.Contains(s, "%") {
		return netip.Prefix{}, "zones are not allowed"
	}
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, "not an IP address or CIDR"
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, "not an IP address or CIDR"
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	if p.Bits() == 0 {
		return netip.Prefix{}, "a /0 prefix would trust every address; list the proxies' addresses instead"
	}
	return p.Masked(), ""
}

// trusts reports whether a is a trusted proxy. IPv4-mapped addresses are
// unmapped and zones dropped before comparing; the zero address is never
// trusted.
func (t trustedProxies) trusts(a netip.Addr) bool {
	a = normalAddr(a)
	if !a.IsValid() {
		return false
	}
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Forwarding headers read by clientAddr.
const (
	headerXForwardedFor = "X-Forwarded-For"
	headerXRealIP       = "X-Real-IP"
)

// clientAddr returns the address of the client behind x, unmapped and
// without a zone.
//
// It is the TCP peer unless the peer is a trusted proxy. Then
// X-Forwarded-For is walked from right to left, skipping trusted hops, and
// the first untrusted address is the client; if every hop is trusted, the
// leftmost is. Entries are addresses, optionally bracketed ("[::1]") and
// with a port ("192.0.2.1:4711", "[2001:db8::1]:4711"). A malformed or
// empty entry stops the walk and the last good hop (possibly the peer) is
// the client: what lies left of garbage is never believed.
//
// [backends.Exchange] shows only the first X-Forwarded-For line, and a
// proxy that appends its own line (HAProxy's "option forwardfor" does)
// leaves the client's forged line first. So when the header occurs more
// than once, it is not read at all and the peer is the client; configure
// such proxies to send the chain on one line (nginx's
// $proxy_add_x_forwarded_for, Traefik and Caddy do).
//
// When X-Forwarded-For is absent or empty and the peer is trusted, a
// single well-formed X-Real-IP is the client; otherwise the peer is.
//
// A RemoteAddr that cannot be parsed (a Unix socket, say) gives the zero
// address, which callers treat as one shared "unknown" client.
func (t trustedProxies) clientAddr(x backends.Exchange) netip.Addr {
	peer := parseHostAddr(x.RemoteAddr())
	if !peer.IsValid() || !t.trusts(peer) {
		return peer
	}
	switch n := x.HeaderCount(headerXForwardedFor); {
	case n > 1:
		return peer
	case n == 1:
		if xff := x.Header(headerXForwardedFor); trimOWS(xff) != "" {
			return t.walkForwardedFor(xff, peer)
		}
	}
	if x.HeaderCount(headerXRealIP) == 1 {
		if a := parseHostAddr(trimOWS(x.Header(headerXRealIP))); a.IsValid() {
			return a
		}
	}
	return peer
}

// walkForwardedFor walks the comma-separated list xff from right to left,
// as described on clientAddr; peer is the trusted hop that sent it.
func (t trustedProxies) walkForwardedFor(xff string, peer netip.Addr) netip.Addr {
	last := peer
	for rest := xff; ; {
		i := strings.LastIndexByte(rest, ',')
		a := parseHostAddr(trimOWS(rest[i+1:]))
		if !a.IsValid() || !t.trusts(a) {
			if a.IsValid() {
				return a
			}
			return last
		}
		last = a
		if i < 0 {
			return last
		}
		rest = rest[:i]
	}
}

// parseHostAddr parses "host:port", "[host]:port", "[host]" or a bare
// address, where host is an IP address (possibly with a zone), and returns
// it normalised by normalAddr, or the zero address if s is none of these.
func parseHostAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return normalAddr(ap.Addr())
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return normalAddr(a)
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil && a.Is6() {
			return normalAddr(a)
		}
	}
	return netip.Addr{}
}

// normalAddr unmaps IPv4-mapped IPv6 addresses and drops zones, so that
// one host has one form.
func normalAddr(a netip.Addr) netip.Addr {
	return a.Unmap().WithZone("")
}

// ClientNetwork returns the network of the client that sent r, as brute-force
// regulation charges it: the TCP peer, or, when the peer is a proxy listed
// in [WithTrustedProxies], the client it names in X-Forwarded-For or
// X-Real-IP. An IPv6 client is its /64, since one host usually holds the
// whole prefix; an IPv4 client is its single address. A peer that is not
// an IP address (a Unix socket) gives the zero Prefix, one shared
// "unknown" client. Package ws caps anonymous sockets by it.
func (a *Auth) ClientNetwork(r *http.Request) netip.Prefix {
	addr := normalAddr(a.proxies.clientAddr(backends.HTTPExchange(nil, r)))
	bits := 32
	switch {
	case !addr.IsValid():
		return netip.Prefix{}
	case addr.Is6():
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}
