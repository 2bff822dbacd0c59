// Package servetest serves test applications on real loopback listeners,
// for the tests of ws, callbacks and the examples: a Fiber app is served
// through app.Listener and shut down (and its listener error checked)
// when the test ends.
package servetest

import (
	"context"
	"net"
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
