package callbacks_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/callbacks"
)

// TestStreamEndsWithItsLastFrame checks that nothing follows the frame
// that ends a stream, even from a callback that ignores its context and
// keeps emitting after its timeout, over both transports.
func TestStreamEndsWithItsLastFrame(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backendUnderTest) {
		app := newTestApp(t, be, appOptions{cfg: testConfig})
		t.Run("http", func(t *testing.T) {
			for range 20 {
				got := app.post("stubborn", `{}`, "")
				lines := strings.Split(strings.TrimSuffix(got.body, "\n"), "\n")
				for i, line := range lines {
					var f frame
					if err := json.Unmarshal([]byte(line), &f); err != nil {
						t.Fatalf("line %d %q: %v", i, line, err)
					}
					last := i == len(lines)-1
					switch {
					case last && f.code() != callbacks.CodeTimeout:
						t.Fatalf("%d: the last line is %s, want a timeout error", got.status, line)
					case !last && f.Data == nil:
						t.Fatalf("%d: line %d of %d is %s; only items may come before the end", got.status, i, len(lines), line)
					}
				}
			}
		})
		t.Run("ws", func(t *testing.T) {
			cl := app.dial(t, "")
			for range 20 {
				if f := cl.roundTrip("s", "stubborn", nil); f.code() != callbacks.CodeTimeout {
					t.Fatalf("stubborn: %s", f.raw)
				}
				cl.mustEcho() // nothing of the stream after its end
			}
		})
	})
}

// TestHTTPCallEndsWithSession revokes a session while an HTTP call of it
// runs: like a socket's calls, the call's context ends, and the answer
// says the session ended.
func TestHTTPCallEndsWithSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backendUnderTest) {
		app := newTestApp(t, be, appOptions{cfg: testConfig})
		for _, name := range []string{"hold", "wait"} {
			t.Run(name, func(t *testing.T) {
				cookie, sid := app.login("admin", "admin")
				tr := app.expect("http-" + name)
				answer := make(chan httpAnswer, 1)
				go func() { answer <- app.post(name, `{"key":"http-`+name+`"}`, cookie) }()
				wait(t, tr.started, name+" started")
				if err := app.a.Revoke(context.Background(), sid); err != nil {
					t.Fatal(err)
				}
				wait(t, tr.returned, name+" returned after its session ended")
				var got httpAnswer
				select {
				case got = <-answer:
				case <-time.After(waitFor):
					t.Fatal("no answer")
				}
				lines := strings.Split(strings.TrimSpace(got.body), "\n")
				last := lines[len(lines)-1]
				if !strings.HasPrefix(last, `{"error":{"code":"unauthenticated"`) {
					t.Fatalf("%d, last line %s", got.status, last)
				}
				if name == "wait" && got.status != 401 {
					t.Fatalf("unary call: %d %s", got.status, got.body)
				}
			})
		}
	})
}

// TestHTTPClientGoneCancels drops an HTTP call's connection while the
// call runs: on net/http and Gin its context ends at once and the callback
// returns. fasthttp does not tell a running handler that its client went
// away, so on Fiber the call runs on until its timeout ends it; the test
// holds Fiber to that documented bound.
// TestHTTPClientGoneCancels checks that an HTTP call whose client goes
// away is cancelled. A stream shows its items as they come (the client
// reads the first while the stream runs on) and is cancelled at its next
// write on every backend. A unary call is cancelled at once on net/http
// and Gin; fasthttp tells a Fiber handler nothing while it writes nothing,
// so there the call's timeout ends it.
func TestHTTPClientGoneCancels(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backendUnderTest) {
		cfg := testConfig
		wantCause := map[string]error{"wait": context.Canceled, "hold": context.Canceled}
		if be.name == "fiber" {
			cfg.Timeout = 300 * time.Millisecond
			wantCause["wait"] = context.DeadlineExceeded
		}
		app := newTestApp(t, be, appOptions{cfg: cfg})
		for _, name := range []string{"wait", "hold"} {
			t.Run(name, func(t *testing.T) {
				cookie, _ := app.login("admin", "admin")
				key := "gone-" + name
				tr := app.expect(key)
				ctx, cancel := context.WithCancel(context.Background())
				firstItem := make(chan struct{})
				done := make(chan error, 1)
				go func() {
					req, _ := http.NewRequestWithContext(ctx, "POST", app.base+"/_callbacks/"+name, strings.NewReader(`{"key":"`+key+`"}`))
					req.Header.Set("Cookie", auth.DefaultSessionCookie+"="+cookie)
					req.Header.Set("Content-Type", "application/json")
					resp, err := app.client.Do(req)
					if err == nil {
						line, rerr := bufio.NewReader(resp.Body).ReadString('\n')
						if rerr == nil && strings.HasPrefix(line, `{"data":0}`) {
							close(firstItem)
						}
						_, err = io.Copy(io.Discard, resp.Body) // the rest, until the cut
						resp.Body.Close()
					}
					done <- err
				}()
				wait(t, tr.started, name+" started")
				if name == "hold" {
					wait(t, firstItem, "the stream's first item, while it runs")
				}
				cancel()
				wait(t, tr.returned, name+" returned after its client went away")
				if !errors.Is(tr.cause, wantCause[name]) {
					t.Fatalf("%s ended with %v, want %v", name, tr.cause, wantCause[name])
				}
				if err := <-done; err == nil {
					t.Fatal("the request did not fail")
				}
			})
		}
	})
}
