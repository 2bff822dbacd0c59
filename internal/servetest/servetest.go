// Package servetest serves test applications on real loopback listeners,
// for the tests of ws, callbacks, the Redis store and the examples: a
// Fiber app is served through app.Listener and shut down (and its
// listener error checked) when the test ends, and a real redis-server
// runs for a test that needs one.
package servetest

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Fiber serves app on 127.0.0.1 until t ends and returns its base URL.
// At the end it shuts the app down (within 10 s) and reports any error
// of the shutdown or of the listener.
func Fiber(t testing.TB, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.ShutdownWithContext(ctx); err != nil {
			t.Errorf("fiber shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("fiber listener: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// BasicHeader is the Authorization header value for user and pass.
func BasicHeader(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// Login sends GET url with Basic credentials through c as a browser's
// navigation does (with Fetch Metadata), which starts a session, and
// returns the value of the authwire_session cookie and the
// response body. It fails t unless the answer is 200 with a cookie and a
// body.
func Login(t testing.TB, c *http.Client, url, user, pass string) (cookie, body string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", BasicHeader(user, pass))
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, k := range resp.Cookies() {
		if k.Name == "authwire_session" && k.Value != "" {
			cookie = k.Value
		}
	}
	if resp.StatusCode != 200 || cookie == "" || len(b) == 0 {
		t.Fatalf("login %s: %d, cookie %q, body %q", user, resp.StatusCode, cookie, b)
	}
	return cookie, string(b)
}

// FreeAddr returns a loopback address whose port nothing listens on, for
// a program that must be told its address before it starts.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
