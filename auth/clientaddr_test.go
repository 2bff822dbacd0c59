package auth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/authwire/authwire/backends"
)

// caExchange is a backends.Exchange with only a peer and request headers.
type caExchange struct {
	remote string
	h      http.Header
}

var _ backends.Exchange = caExchange{}

func (x caExchange) Context() context.Context    { return context.Background() }
func (x caExchange) Method() string              { return http.MethodGet }
func (x caExchange) Path() string                { return "/" }
func (x caExchange) RawPath() string             { return "" }
func (x caExchange) Query() string               { return "" }
func (x caExchange) Body(int) ([]byte, error)    { return nil, nil }
func (x caExchange) Header(name string) string   { return x.h.Get(name) }
func (x caExchange) HeaderCount(name string) int { return len(x.h.Values(name)) }
func (x caExchange) Cookie(string) string        { return "" }
func (x caExchange) RemoteAddr() string          { return x.remote }
func (x caExchange) Host() string                { return "example.test" }
func (x caExchange) TLS() bool                   { return false }
func (x caExchange) SetHeader(string, string)    {}
func (x caExchange) AddHeader(string, string)    {}
func (x caExchange) SetCookie(*http.Cookie)      {}
func (x caExchange) Write(int, string, []byte)   {}
func (x caExchange) Attach(any, string, any)     {}

func mustTrust(t testing.TB, cidrs ...string) trustedProxies {
	t.Helper()
	tp, err := parseTrustedProxies(cidrs)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

var caTrusted = []string{"10.0.0.0/8", "192.168.1.10", "::1", "fd00::/8"}

func TestClientAddr(t *testing.T) {
	tp := mustTrust(t, caTrusted...)
	for _, tc := range []struct {
		name   string
		remote string
		xff    []string
		realIP []string
		want   string // "" for the zero address
	}{
		{"untrusted peer", "203.0.113.7:5000", nil, nil, "203.0.113.7"},
		{"untrusted peer spoofs XFF", "203.0.113.7:5000", []string{"10.0.0.1, 198.51.100.1"}, nil, "203.0.113.7"},
		{"untrusted peer spoofs X-Real-IP", "203.0.113.7:5000", nil, []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted peer, one hop", "10.0.0.1:443", []string{"198.51.100.1"}, nil, "198.51.100.1"},
		{"trusted peer, forged left part", "10.0.0.1:443", []string{"6.6.6.6, 198.51.100.1"}, nil, "198.51.100.1"},
		{"chain of trusted hops", "10.0.0.1:443", []string{"1.1.1.1, 198.51.100.1, 192.168.1.10, 10.2.3.4"}, nil, "198.51.100.1"},
		{"all hops trusted", "10.0.0.1:443", []string{"10.9.9.9, 192.168.1.10,10.2.3.4"}, nil, "10.9.9.9"},
		{"no spaces, tabs", "10.0.0.1:443", []string{"\t198.51.100.1\t,10.2.3.4 "}, nil, "198.51.100.1"},
		{"garbage left of client", "10.0.0.1:443", []string{"bogus, 198.51.100.1"}, nil, "198.51.100.1"},
		{"garbage right of trusted hop", "10.0.0.1:443", []string{"198.51.100.1, 10.2.3.4, unknown"}, nil, "10.0.0.1"},
		{"garbage after trusted hop", "10.0.0.1:443", []string{"198.51.100.1, bogus, 10.2.3.4"}, nil, "10.2.3.4"},
		{"empty entry", "10.0.0.1:443", []string{"198.51.100.1,,10.2.3.4"}, nil, "10.2.3.4"},
		{"trailing comma", "10.0.0.1:443", []string{"198.51.100.1,"}, nil, "10.0.0.1"},
		{"entries with ports", "10.0.0.1:443", []string{"[2001:db8::7]:4711, 10.2.3.4:80"}, nil, "2001:db8::7"},
		{"bracketed v6 entry", "10.0.0.1:443", []string{"[2001:db8::7]"}, nil, "2001:db8::7"},
		{"bracketed v4 is garbage", "10.0.0.1:443", []string{"[198.51.100.1]"}, nil, "10.0.0.1"},
		{"v4-mapped entry", "10.0.0.1:443", []string{"::ffff:198.51.100.1, ::ffff:10.2.3.4"}, nil, "198.51.100.1"},
		{"zone stripped in entry", "10.0.0.1:443", []string{"fe80::1%eth0"}, nil, "fe80::1"},
		{"several XFF lines are not read", "10.0.0.1:443", []string{"6.6.6.6", "198.51.100.1"}, nil, "10.0.0.1"},
		{"empty XFF falls to X-Real-IP", "10.0.0.1:443", []string{" "}, []string{"198.51.100.1"}, "198.51.100.1"},
		{"X-Real-IP from trusted peer", "10.0.0.1:443", nil, []string{" 198.51.100.1 "}, "198.51.100.1"},
		{"X-Real-IP v6 with port", "10.0.0.1:443", nil, []string{"[2001:db8::9]:1"}, "2001:db8::9"},
		{"X-Real-IP ignored when XFF present", "10.0.0.1:443", []string{"198.51.100.1"}, []string{"198.51.100.2"}, "198.51.100.1"},
		{"X-Real-IP garbage", "10.0.0.1:443", nil, []string{"bogus"}, "10.0.0.1"},
		{"X-Real-IP twice", "10.0.0.1:443", nil, []string{"198.51.100.1", "198.51.100.2"}, "10.0.0.1"},
		{"trusted peer, no headers", "10.0.0.1:443", nil, nil, "10.0.0.1"},
		{"IPv6 peer with brackets and port", "[2001:db8::1]:8443", nil, nil, "2001:db8::1"},
		{"IPv6 trusted peer", "[::1]:8443", []string{"2001:db8::5"}, nil, "2001:db8::5"},
		{"IPv6 ULA trusted peer", "[fd12::3]:80", []string{"198.51.100.1, fd00::1"}, nil, "198.51.100.1"},
		{"IPv6 peer with zone", "[fe80::1%eth0]:80", nil, nil, "fe80::1"},
		{"v4-mapped peer is unmapped and trusted", "[::ffff:10.0.0.1]:443", []string{"198.51.100.1"}, nil, "198.51.100.1"},
		{"v4-mapped untrusted peer", "[::ffff:203.0.113.7]:443", nil, nil, "203.0.113.7"},
		{"peer without port", "203.0.113.7", nil, nil, "203.0.113.7"},
		{"bare IPv6 peer", "2001:db8::1", nil, nil, "2001:db8::1"},
		{"unix socket peer", "@", []string{"198.51.100.1"}, nil, ""},
		{"empty peer", "", nil, nil, ""},
		{"peer with bad port", "203.0.113.7:http", nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.xff {
				h.Add("X-Forwarded-For", v)
			}
			for _, v := range tc.realIP {
				h.Add("X-Real-IP", v)
			}
			got := tp.clientAddr(caExchange{remote: tc.remote, h: h})
			var want netip.Addr
			if tc.want != "" {
				want = netip.MustParseAddr(tc.want)
			}
			if got != want {
				t.Fatalf("clientAddr = %v, want %v", got, want)
			}
		})
	}
}

func TestClientAddrNoTrustedProxies(t *testing.T) {
	var tp trustedProxies
	h := http.Header{"X-Forwarded-For": {"198.51.100.1"}, "X-Real-Ip": {"198.51.100.2"}}
	if got := tp.clientAddr(caExchange{remote: "127.0.0.1:1", h: h}); got != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("clientAddr = %v, want the peer", got)
	}
}

func TestTrustedProxiesParse(t *testing.T) {
	tp := mustTrust(t, " 10.1.2.3/8 ", "192.168.1.10", "::1", "fd00::/8", "::ffff:172.16.0.0/108")
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"10.255.0.1", true},
		{"11.0.0.1", false},
		{"192.168.1.10", true},
		{"192.168.1.11", false},
		{"::1", true},
		{"::2", false},
		{"fd99::1", true},
		{"fe80::1", false},
		{"::ffff:10.0.0.1", true},
		{"172.16.5.5", true},
		{"172.32.0.1", false},
		{"::1%lo", true},
	} {
		if got := tp.trusts(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("trusts(%s) = %v, want %v", tc.addr, got, tc.want)
		}
	}
	if tp.trusts(netip.Addr{}) {
		t.Error("the zero address is trusted")
	}
	if empty := mustTrust(t); empty.trusts(netip.MustParseAddr("127.0.0.1")) {
		t.Error("an empty list trusts someone")
	}
}

func TestTrustedProxiesParseErrors(t *testing.T) {
	for _, bad := range []string{
		"", " ", "10.0.0.0/33", "not-an-ip", "10.0.0.1:80", "[::1]", "fe80::1%eth0",
		"0.0.0.0/0", "::/0", "::ffff:0.0.0.0/96", "1.2.3.4/0", "10.0.0.0/8/8",
	} {
		_, err := parseTrustedProxies([]string{"10.0.0.0/8", bad})
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("parseTrustedProxies(%q) = %v, want ErrInvalidConfig", bad, err)
			continue
		}
		if !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("error %q does not name the entry %q", err, bad)
		}
	}
	_, err := parseTrustedProxies([]string{"0.0.0.0/0"})
	if err == nil || !strings.Contains(err.Error(), "every address") {
		t.Errorf("/0 error does not explain itself: %v", err)
	}
}

// caHeaderAddrs returns every address that an entry of the comma-separated
// values could name, normalised, parsed independently of clientAddr.
func caHeaderAddrs(values ...string) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	for _, v := range values {
		for e := range strings.SplitSeq(v, ",") {
			e = strings.Trim(e, " \t")
			host := e
			if h, _, err := net.SplitHostPort(e); err == nil {
				host = h
			}
			host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
			if a, err := netip.ParseAddr(host); err == nil {
				out[a.Unmap().WithZone("")] = true
			}
		}
	}
	return out
}

func FuzzClientAddr(f *testing.F) {
	f.Add("10.0.0.1:443", "198.51.100.1, 10.2.3.4", "", false)
	f.Add("10.0.0.1:443", "bogus, [2001:db8::7]:4711", "", true)
	f.Add("[::ffff:10.0.0.1]:1", "", "198.51.100.1", false)
	f.Add("[fe80::1%eth0]:80", "fe80::2%en0,::1", "x", false)
	f.Add("203.0.113.7:5000", "10.0.0.1", "10.0.0.2", false)
	f.Add("[::1]:1", ",,,", "[::2]", false)
	f.Add("[::ffff:10.0.0.0]", "", "::\v", false)
	tp := mustTrust(f, caTrusted...)
	f.Fuzz(func(t *testing.T, remote, xff, realIP string, twoLines bool) {
		h := http.Header{}
		if xff != "" {
			h.Add("X-Forwarded-For", xff)
			if twoLines {
				h.Add("X-Forwarded-For", "198.51.100.99")
			}
		}
		if realIP != "" {
			h.Add("X-Real-IP", realIP)
		}
		got := tp.clientAddr(caExchange{remote: remote, h: h})
		if got.Zone() != "" || got.Is4In6() {
			t.Fatalf("result %v is not normalised", got)
		}
		peer := parseHostAddr(remote)
		if got == peer {
			return
		}
		if !peer.IsValid() || !tp.trusts(peer) {
			t.Fatalf("peer %q is not trusted, yet the result is %v", remote, got)
		}
		if !caHeaderAddrs(xff, realIP)[got] {
			t.Fatalf("result %v appears neither as the peer %q nor in the headers %q / %q", got, remote, xff, realIP)
		}
		if twoLines && xff != "" {
			t.Fatalf("result %v is not the peer though XFF came on two lines", got)
		}
	})
}
