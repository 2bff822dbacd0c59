package callbacks_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
)

// TestShutdownUnderLoad shuts the registry down while HTTP calls and new
// sockets keep coming: Shutdown returns, nothing races (run with -race)
// and every call gets an answer.
func TestShutdownUnderLoad(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backendUnderTest) { testShutdownUnderLoad(t, be) })
}

func testShutdownUnderLoad(t *testing.T, be backendUnderTest) {
	app := newTestApp(t, be, appOptions{cfg: testConfig})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for range 4 {
		wg.Add(1)
		go func() { // HTTP calls
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := app.client.Post(app.base+"/_callbacks/echo", "application/json", strings.NewReader(`1`))
				if err != nil {
					errs <- err.Error()
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 && resp.StatusCode != http.StatusServiceUnavailable {
					errs <- resp.Status
					return
				}
			}
		}()
		wg.Add(1)
		go func() { // sockets, each with one call
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), waitFor)
				c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(app.base, "http")+"/_callbacks/ws",
					&websocket.DialOptions{HTTPClient: app.client})
				if err == nil {
					if c.Write(ctx, websocket.MessageText, []byte(`{"id":"1","call":"echo","args":1}`)) == nil {
						_, _, _ = c.Read(ctx) // an answer, or the close of a shut-down registry
					}
					c.CloseNow()
				}
				cancel()
			}
		}()
	}
	for range 50 { // let the load run for a while
		if got := app.post("echo", `2`, ""); got.status != 200 {
			t.Fatalf("before Shutdown: %d %s", got.status, got.body)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := app.reg.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for range 50 {
		if got := app.post("echo", `3`, ""); got.status != http.StatusServiceUnavailable {
			t.Fatalf("after Shutdown: %d %s", got.status, got.body)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
