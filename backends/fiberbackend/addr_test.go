package fiberbackend_test

import (
	"net"
	"testing"

	"github.com/authwire/authwire/backends/fiberbackend"

	"github.com/authwire/authwire/backends"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// TestFiberRemoteAddr checks that the exchange formats the peer address
// exactly as net.TCPAddr.String does.
func TestFiberRemoteAddr(t *testing.T) {
	for _, addr := range []net.Addr{
		&net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 4242},
		&net.TCPAddr{IP: net.ParseIP("192.0.2.7").To4(), Port: 1},
		&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 443},
		&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 80, Zone: "eth0"},
		&net.TCPAddr{IP: nil, Port: 0},
		&net.UnixAddr{Name: "/tmp/sock", Net: "unix"},
	} {
		app := fiber.New()
		var got string
		if err := fiberbackend.New(app).Install(func(x backends.Exchange) bool { got = x.RemoteAddr(); return false }); err != nil {
			t.Fatal(err)
		}
		var ctx fasthttp.RequestCtx
		var req fasthttp.Request
		req.SetRequestURI("/")
		ctx.Init(&req, addr, nil)
		app.Handler()(&ctx)
		if want := addr.String(); got != want {
			t.Errorf("%#v: RemoteAddr = %q, want %q", addr, got, want)
		}
	}
}
