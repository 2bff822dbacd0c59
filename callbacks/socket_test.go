package callbacks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/callbacks"
	"github.com/authwire/authwire/ws"
)

// TestTransportsOnBackends runs both transports, HTTP and WebSocket, on
// net/http, Gin and Fiber: the same app, the same answers.
func TestTransportsOnBackends(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backendUnderTest) {
		app := newTestApp(t, be, appOptions{cfg: testConfig})
		adminCookie, _ := app.login("admin", "admin")
		viewerCookie, _ := app.login("viewer", "viewer123")

		t.Run("http", func(t *testing.T) { testHTTP(t, app, adminCookie, viewerCookie) })
		t.Run("ws/auth", func(t *testing.T) { testSocketAuth(t, app, adminCookie, viewerCookie) })
		t.Run("ws/stream", func(t *testing.T) { testSocketStream(t, app, adminCookie) })
		t.Run("ws/cancel", func(t *testing.T) { testSocketCancel(t, app, adminCookie) })
		t.Run("ws/hand-off", func(t *testing.T) { testSocketHandOff(t, app) })
		t.Run("ws/deaf callback", func(t *testing.T) { testSocketDeafCallback(t, app) })
		t.Run("ws/disconnect", func(t *testing.T) { testSocketDisconnect(t, app, adminCookie) })
		t.Run("ws/revoke", func(t *testing.T) { testSocketSessionEnd(t, app, false) })
		t.Run("ws/logout", func(t *testing.T) { testSocketSessionEnd(t, app, true) })
		t.Run("ws/panic", func(t *testing.T) { testSocketPanic(t, app) })
		t.Run("ws/bad frames", func(t *testing.T) { testSocketBadFrames(t, app, adminCookie) })
		t.Run("ws/too large", func(t *testing.T) { testSocketTooLarge(t, app) })
		t.Run("ws/concurrency", func(t *testing.T) { testSocketConcurrency(t, app) })
		t.Run("ws/timeout", func(t *testing.T) { testSocketTimeout(t, app) })
		t.Run("ws/fallback", func(t *testing.T) { testSocketFallback(t, app, adminCookie, viewerCookie) })
		t.Run("ws/id reuse", func(t *testing.T) { testSocketIDReuse(t, app) })
		t.Run("ws/at the limit", func(t *testing.T) { testSocketAtLimit(t, app) })
	})
}

func testHTTP(t *testing.T, app *testApp, admin, viewer string) {
	tests := []struct {
		name, callback, body, cookie string
		status                       int
		want                         string // the body contains it
		denied                       bool   // the body must not run
	}{
		{"public from anonymous", "echo", `{"x":[1,2]}`, "", 200, `{"result":{"x":[1,2]}}`, false},
		{"protected from anonymous", "whoami", `{}`, "", 401, `"code":"unauthenticated"`, true},
		{"wrong group", "admin_stats", `{}`, viewer, 403, `"code":"forbidden"`, true},
		{"right group", "admin_stats", `{}`, admin, 200, `{"result":{"users":2}}`, false},
		{"session identity", "whoami", `{}`, viewer, 200, `"user":"viewer"`, false},
		{"fallback for anonymous", "soft", `{}`, "", 200, `{"result":"please log in"}`, true},
		{"fallback for the wrong group", "soft", `{}`, viewer, 200, `{"result":"admins only"}`, true},
		{"panic", "panic", `{}`, "", 500, `"code":"internal"`, false},
		{"after a panic", "echo", `1`, "", 200, `{"result":1}`, false},
		{"timeout", "slow", `{}`, "", 504, `"code":"timeout"`, false},
		{"too large", "echo", `"` + strings.Repeat("a", 2000) + `"`, "", 413, `"code":"too_large"`, false},
		{"invalid JSON", "echo", `{"x":`, "", 400, `"code":"bad_request"`, false},
		{"unknown", "nope", `{}`, "", 404, `"code":"not_found"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := app.ran.Load()
			got := app.post(tt.callback, tt.body, tt.cookie)
			if got.status != tt.status || !strings.Contains(got.body, tt.want) {
				t.Fatalf("%d %s, want %d containing %s", got.status, got.body, tt.status, tt.want)
			}
			if tt.denied && app.ran.Load() != before {
				t.Fatal("the body of a denied callback ran")
			}
		})
	}
	t.Run("stream", func(t *testing.T) {
		got := app.post("ticks", `{"Count":20}`, admin)
		var want strings.Builder
		for i := range 20 {
			fmt.Fprintf(&want, "{\"data\":{\"n\":%d}}\n", i)
		}
		want.WriteString("{\"done\":true}\n")
		if got.status != 200 || got.ctype != "application/x-ndjson" || got.body != want.String() {
			t.Fatalf("%d %s %q", got.status, got.ctype, got.body)
		}
	})
}

func testSocketAuth(t *testing.T, app *testApp, admin, viewer string) {
	anon := app.dial(t, "")
	if f := anon.roundTrip("1", "echo", map[string]string{"hello": "world"}); string(f.Result) != `{"hello":"world"}` {
		t.Fatalf("public from anonymous: %s", f.raw)
	}
	for _, name := range []string{"whoami", "admin_stats", "ticks"} {
		before := app.ran.Load()
		f := anon.roundTrip("2", name, map[string]int{"Count": 3})
		if f.code() != callbacks.CodeUnauthenticated || f.Result != nil {
			t.Fatalf("%s from anonymous: %s", name, f.raw)
		}
		if app.ran.Load() != before {
			t.Fatalf("the body of %s ran for an anonymous caller", name)
		}
	}
	anon.mustEcho() // the socket stays open

	v := app.dial(t, viewer)
	before := app.ran.Load()
	if f := v.roundTrip("3", "admin_stats", nil); f.code() != callbacks.CodeForbidden {
		t.Fatalf("wrong group: %s", f.raw)
	}
	if app.ran.Load() != before {
		t.Fatal("the body of admin_stats ran for the wrong group")
	}
	if f := v.roundTrip("4", "whoami", nil); !strings.Contains(string(f.Result), `"user":"viewer"`) {
		t.Fatalf("whoami as viewer: %s", f.raw)
	}

	ad := app.dial(t, admin)
	if f := ad.roundTrip("5", "admin_stats", nil); string(f.Result) != `{"users":2}` {
		t.Fatalf("right group: %s", f.raw)
	}
	if f := ad.roundTrip("6", "nope", nil); f.code() != callbacks.CodeNotFound {
		t.Fatalf("unknown callback: %s", f.raw)
	}
}

func testSocketStream(t *testing.T, app *testApp, admin string) {
	cl := app.dial(t, admin)
	const n = 200
	cl.call("s", "ticks", map[string]int{"Count": n})
	for i := range n {
		f := cl.next()
		if f.id() != "s" || string(f.Data) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("item %d: %s", i, f.raw)
		}
	}
	if f := cl.next(); f.id() != "s" || !f.Done || f.Data != nil || f.Error != nil {
		t.Fatalf("after %d items: %s, want done", n, f.raw)
	}
	// An empty stream is done at once.
	if f := cl.roundTrip("e", "ticks", map[string]int{"Count": 0}); !f.Done {
		t.Fatalf("empty stream: %s", f.raw)
	}
}

func testSocketCancel(t *testing.T, app *testApp, admin string) {
	cl := app.dial(t, admin)
	tr := app.expect("cancel-me")
	cl.call("7", "hold", keyArgs{"cancel-me"})
	wait(t, tr.started, "hold started")
	if f := cl.next(); f.id() != "7" || f.Data == nil {
		t.Fatalf("first item: %s", f.raw)
	}
	if f := cl.cancel("7"); !strings.HasPrefix(f.raw, `{"id":"7","error":{"code":"cancelled"`) {
		t.Fatalf("after cancel: %s", f.raw)
	}
	wait(t, tr.returned, "the cancelled callback returned")
	if !errors.Is(tr.cause, context.Canceled) {
		t.Errorf("cancelled callback's context cause: %v", tr.cause)
	}
	// Cancelling a call that is not running is ignored; the socket works.
	cl.send(map[string]any{"id": "nothing", "cancel": true})
	cl.mustEcho()
}

// testSocketHandOff checks that a call run by the socket's reading
// goroutine (it arrived while nothing else ran) does not stop the socket
// from being read: a later call is answered, and a cancel frame seen,
// while the first is still running.
func testSocketHandOff(t *testing.T, app *testApp) {
	cl := app.dial(t, "")
	tr := app.expect("hand-off")
	cl.call("long", "wait", keyArgs{"hand-off"})
	wait(t, tr.started, "the long call started")
	cl.mustEcho()
	select {
	case <-tr.returned:
		t.Fatal("the long call returned before it was cancelled")
	default:
	}
	cl.cancel("long")
	wait(t, tr.returned, "the cancelled call returned")
	cl.mustEcho()
}

// testSocketDeafCallback checks that a callback that ignores its context
// is answered "timeout" when its timeout passes, not when it returns, and
// that the socket goes on meanwhile.
func testSocketDeafCallback(t *testing.T, app *testApp) {
	cl := app.dial(t, "")
	tr := app.expect("deaf")
	cl.call("d", "deaf", keyArgs{"deaf"})
	if f := cl.final("d"); f.code() != callbacks.CodeTimeout {
		t.Fatalf("deaf call: %s", f.raw)
	}
	cl.mustEcho()
	close(app.deafGate) // only now may the callback return
	wait(t, tr.returned, "the deaf callback returned")
	cl.mustEcho()
}

func testSocketDisconnect(t *testing.T, app *testApp, admin string) {
	for _, how := range []string{"close", "drop"} {
		t.Run(how, func(t *testing.T) {
			cl := app.dial(t, admin)
			var runs []*tracked
			for i, name := range []string{"hold", "hold", "wait", "wait"} {
				key := fmt.Sprintf("%s-%s-%d", how, name, i)
				tr := app.expect(key)
				runs = append(runs, tr)
				cl.call(fmt.Sprint(i), name, keyArgs{key})
				wait(t, tr.started, key+" started")
			}
			if how == "close" {
				cl.c.Close(websocket.StatusNormalClosure, "bye")
			} else {
				cl.c.CloseNow()
			}
			for i, tr := range runs {
				wait(t, tr.returned, fmt.Sprintf("call %d returned after the client went away", i))
			}
		})
	}
}

func testSocketSessionEnd(t *testing.T, app *testApp, logout bool) {
	cookie, sid := app.login("admin", "admin")
	cl := app.dial(t, cookie)
	other := app.dial(t, "") // an anonymous socket is not affected
	key := fmt.Sprintf("session-end-%v", logout)
	tr := app.expect(key)
	cl.call("s", "hold", keyArgs{key})
	wait(t, tr.started, "hold started")
	cl.next()
	if logout {
		app.logout(cookie, sid)
	} else if err := app.a.Revoke(context.Background(), sid); err != nil {
		t.Fatal(err)
	}
	cl.expectClose(ws.StatusUnauthenticated)
	wait(t, tr.returned, "the stream returned after its session ended")
	t.Logf("the stream's context ended with %v", tr.cause)
	other.mustEcho()

	// The ended session's cookie now opens an anonymous socket.
	again := app.dial(t, cookie)
	if f := again.roundTrip("w", "whoami", nil); f.code() != callbacks.CodeUnauthenticated {
		t.Fatalf("whoami with an ended session: %s", f.raw)
	}
}

func testSocketPanic(t *testing.T, app *testApp) {
	cl := app.dial(t, "")
	for i := range 3 {
		id := fmt.Sprint("p", i)
		if f := cl.roundTrip(id, "panic", nil); f.code() != callbacks.CodeInternal || strings.Contains(f.raw, "boom") {
			t.Fatalf("panic: %s", f.raw)
		}
		cl.mustEcho()
	}
}

func testSocketBadFrames(t *testing.T, app *testApp, admin string) {
	cl := app.dial(t, admin)
	for _, tc := range []struct {
		name string
		typ  websocket.MessageType
		msg  string
	}{
		{"invalid JSON", websocket.MessageText, `{"id":"1","call":`},
		{"not an object", websocket.MessageText, `[1,2]`},
		{"null", websocket.MessageText, `null`},
		{"no id", websocket.MessageText, `{"call":"echo","args":1}`},
		{"empty id", websocket.MessageText, `{"id":"","call":"echo","args":1}`},
		{"id too long", websocket.MessageText, `{"id":"` + strings.Repeat("x", 65) + `","call":"echo"}`},
		{"binary", websocket.MessageBinary, `{"id":"1","call":"echo","args":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl.sendRaw(tc.typ, []byte(tc.msg))
			f := cl.next()
			if f.ID != nil || f.code() != callbacks.CodeBadRequest || !strings.HasPrefix(f.raw, `{"error":{"code":"bad_request"`) {
				t.Fatalf("answer %s, want a bad_request frame without id", f.raw)
			}
			cl.mustEcho()
		})
	}
	t.Run("duplicate id", func(t *testing.T) {
		tr := app.expect("dup")
		cl.call("d", "hold", keyArgs{"dup"})
		wait(t, tr.started, "hold started")
		cl.call("d", "echo", 1)
		for {
			f := cl.next()
			if f.id() != "d" {
				t.Fatalf("got %s", f.raw)
			}
			if f.Data != nil {
				continue
			}
			if f.code() != callbacks.CodeBadRequest {
				t.Fatalf("a second call with a running id: %s", f.raw)
			}
			break
		}
		cl.cancel("d")
		wait(t, tr.returned, "hold returned")
		cl.mustEcho()
	})
}

func testSocketTooLarge(t *testing.T, app *testApp) {
	cl := app.dial(t, "")
	big := strings.Repeat("a", 3000) // more than MaxArgsBytes, less than the read limit
	if f := cl.roundTrip("big", "echo", big); f.code() != callbacks.CodeTooLarge {
		t.Fatalf("oversized args: %s", f.raw)
	}
	cl.mustEcho()
	// Exactly at the limit passes.
	edge := strings.Repeat("b", testConfig.MaxArgsBytes-2)
	if f := cl.roundTrip("edge", "echo", edge); string(f.Result) != `"`+edge+`"` {
		t.Fatalf("args at the limit: %.80s", f.raw)
	}

	// A frame over the socket's read limit closes it with 1009.
	over := app.dial(t, "")
	over.call("huge", "echo", strings.Repeat("c", readLimit+1))
	over.expectClose(websocket.StatusMessageTooBig)
}

func testSocketConcurrency(t *testing.T, app *testApp) {
	const n = 1000
	cl := app.dial(t, "")
	app.maxRunning.Store(0)
	sent := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		for i := range n {
			b, _ := json.Marshal(map[string]any{"id": fmt.Sprint("c", i), "call": "work", "args": map[string]int{"i": i}})
			if err := cl.c.Write(ctx, websocket.MessageText, b); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	seen := make(map[string]bool, n)
	for range n {
		f := cl.next()
		id := f.id()
		var i int
		if _, err := fmt.Sscanf(id, "c%d", &i); err != nil || seen[id] {
			t.Fatalf("unexpected or repeated answer %s", f.raw)
		}
		seen[id] = true
		if string(f.Result) != fmt.Sprintf(`{"i":%d}`, i) {
			t.Fatalf("call %s answered %s", id, f.raw)
		}
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("%d answers, want %d", len(seen), n)
	}
	m := app.maxRunning.Load()
	t.Logf("at most %d calls ran at once (MaxConcurrentPerSocket %d)", m, testConfig.MaxConcurrentPerSocket)
	if m > int32(testConfig.MaxConcurrentPerSocket) || m < 2 {
		t.Fatalf("%d calls ran at once, want 2..%d", m, testConfig.MaxConcurrentPerSocket)
	}
	cl.mustEcho()
}

func testSocketTimeout(t *testing.T, app *testApp) {
	cl := app.dial(t, "")
	if f := cl.roundTrip("t", "slow", nil); f.code() != callbacks.CodeTimeout || !strings.HasPrefix(f.raw, `{"id":"t","error":{"code":"timeout"`) {
		t.Fatalf("timeout: %s", f.raw)
	}
	cl.mustEcho()
}

func testSocketFallback(t *testing.T, app *testApp, admin, viewer string) {
	for _, tc := range []struct {
		who, cookie, want string
		runs              bool
	}{
		{"anonymous", "", `"please log in"`, false},
		{"viewer", viewer, `"admins only"`, false},
		{"admin", admin, `"secret"`, true},
	} {
		t.Run(tc.who, func(t *testing.T) {
			cl := app.dial(t, tc.cookie)
			before := app.ran.Load()
			f := cl.roundTrip("f", "soft", nil)
			if string(f.Result) != tc.want || f.Error != nil {
				t.Fatalf("soft as %s: %s, want result %s", tc.who, f.raw, tc.want)
			}
			if ran := app.ran.Load() != before; ran != tc.runs {
				t.Fatalf("the body ran: %v, want %v", ran, tc.runs)
			}
		})
	}
}

// testSocketIDReuse calls again with the id of a call as soon as its
// answer arrives: the id is free by then.
func testSocketIDReuse(t *testing.T, app *testApp) {
	cl := app.dial(t, "")
	for i := range 300 {
		f := cl.roundTrip("same", "echo", i)
		if string(f.Result) != fmt.Sprint(i) {
			t.Fatalf("call %d with a reused id: %s", i, f.raw)
		}
	}
}

// testSocketAtLimit fills the socket's call slots with calls that never
// end on their own, plus one that waits for a slot: a cancel frame, pings
// and a disconnect must still get through.
func testSocketAtLimit(t *testing.T, app *testApp) {
	limit := testConfig.MaxConcurrentPerSocket
	cl := app.dial(t, "")
	fill := func(prefix string, n int) []*tracked {
		var runs []*tracked
		for i := range n {
			key := fmt.Sprintf("limit-%s-%d", prefix, i)
			tr := app.expect(key)
			runs = append(runs, tr)
			cl.call(key, "wait", keyArgs{key})
			wait(t, tr.started, key+" started")
		}
		return runs
	}
	runs := fill("a", limit)
	cl.call("queued", "echo", "queued") // waits for a slot
	cl.send(map[string]any{"id": "limit-a-0", "cancel": true})
	if f := cl.next(); f.id() != "limit-a-0" || f.code() != callbacks.CodeCancelled {
		t.Fatalf("cancel at the limit: %s", f.raw)
	}
	wait(t, runs[0].returned, "the cancelled call returned")
	if f := cl.next(); f.id() != "queued" || string(f.Result) != `"queued"` {
		t.Fatalf("the queued call, once a slot was free: %s", f.raw)
	}
	runs = append(runs[1:], fill("b", 1)...)
	cl.call("queued-2", "wait", keyArgs{"never-starts"})
	cl.c.CloseNow()
	for i, tr := range runs {
		wait(t, tr.returned, fmt.Sprintf("call %d returned after a disconnect at the limit", i))
	}
}

// TestRegistryShutdownWithOpenSocket shuts the registry down while a
// socket has calls running: they are cancelled and have returned when
// Shutdown returns, and new calls are refused.
func TestRegistryShutdownWithOpenSocket(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backendUnderTest) {
		app := newTestApp(t, be, appOptions{cfg: testConfig})
		cookie, _ := app.login("admin", "admin")
		cl := app.dial(t, cookie)
		var runs []*tracked
		for i, name := range []string{"hold", "wait", "hold"} {
			key := fmt.Sprint("shutdown-", i)
			tr := app.expect(key)
			runs = append(runs, tr)
			cl.call(fmt.Sprint(i), name, keyArgs{key})
			wait(t, tr.started, key+" started")
		}
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := app.reg.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		for i, tr := range runs {
			select {
			case <-tr.returned:
			default:
				t.Fatalf("call %d still running after Shutdown returned", i)
			}
		}
		// The socket is closed with 1001 (going away), as ws.Server.Shutdown
		// closes sockets: the client may reconnect later.
		cl.expectClose(websocket.StatusGoingAway)
		if got := app.post("echo", `1`, ""); got.status != 503 || !strings.Contains(got.body, `"code":"unavailable"`) {
			t.Fatalf("a call after Shutdown: %d %s", got.status, got.body)
		}
	})
}

// TestPingsAtTheLimit keeps a socket at its call limit, with a call
// waiting for a slot, across many of the ws server's pings: the socket is
// still read, so the pongs are seen and it is not dropped as a dead peer.
func TestPingsAtTheLimit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backendUnderTest) {
		app := newTestApp(t, be, appOptions{cfg: testConfig,
			ws: ws.Config{PingInterval: 20 * time.Millisecond, WriteTimeout: 200 * time.Millisecond}})
		cl := app.dial(t, "")
		frames := make(chan frame, 64)
		readErr := make(chan error, 1)
		go func() { // the client reads all along, to answer pings
			for {
				f, err := cl.read()
				if err != nil {
					readErr <- err
					close(frames)
					return
				}
				frames <- f
			}
		}()
		next := func() frame {
			t.Helper()
			select {
			case f, ok := <-frames:
				if !ok {
					t.Fatalf("the socket ended: %v", <-readErr)
				}
				return f
			case <-time.After(waitFor):
				t.Fatal("no frame")
			}
			return frame{}
		}
		var runs []*tracked
		for i := range testConfig.MaxConcurrentPerSocket {
			key := fmt.Sprint("ping-", i)
			tr := app.expect(key)
			runs = append(runs, tr)
			cl.call(key, "wait", keyArgs{key})
			wait(t, tr.started, key+" started")
		}
		cl.call("queued", "echo", 1)
		time.Sleep(500 * time.Millisecond) // 25 ping intervals, 2.5 ping timeouts
		cl.send(map[string]any{"id": "ping-0", "cancel": true})
		if f := next(); f.id() != "ping-0" || f.code() != callbacks.CodeCancelled {
			t.Fatalf("cancel: %s", f.raw)
		}
		if f := next(); f.id() != "queued" || string(f.Result) != "1" {
			t.Fatalf("queued: %s", f.raw)
		}
		cl.c.CloseNow()
		for _, tr := range runs {
			wait(t, tr.returned, "call returned")
		}
	})
}
