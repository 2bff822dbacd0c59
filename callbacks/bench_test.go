package callbacks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/callbacks"
)

// benchArgs are the args of every benchmarked call.
const benchArgs = `{"n":1,"s":"hello","list":[1,2,3]}`

// benchFrame is the call frame the socket benchmarks send.
var benchFrame = []byte(`{"id":"1","call":"echo","args":` + benchArgs + `}`)

// rawEchoServer is the baseline: a coder/websocket server with no auth
// and no registry, that decodes each message as the registry does and
// encodes the same answer, on the goroutine that read it.
func rawEchoServer(tb testing.TB) string {
	return echoServer(tb, func(ctx context.Context, c *websocket.Conn, data []byte) error {
		return c.Write(ctx, websocket.MessageText, echoAnswer(data))
	})
}

// echoServer serves sockets that hand each message they read to answer.
func echoServer(tb testing.TB, answer func(ctx context.Context, c *websocket.Conn, data []byte) error) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			if err := answer(ctx, c, data); err != nil {
				return
			}
		}
	}))
	tb.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// echoAnswer decodes a call frame as the registry does and encodes the
// answer it would send.
func echoAnswer(data []byte) []byte {
	var in struct {
		ID     string          `json:"id"`
		Call   string          `json:"call"`
		Args   json.RawMessage `json:"args"`
		Cancel bool            `json:"cancel"`
	}
	if err := json.Unmarshal(data, &in); err != nil {
		return []byte(`{"error":{"code":"bad_request"}}`)
	}
	out, _ := json.Marshal(struct {
		ID     string `json:"id,omitempty"`
		Result any    `json:"result"`
	}{in.ID, in.Args})
	return out
}

// BenchmarkEchoCosts measures, on raw coder/websocket echo servers, what
// two common ways of serving a message add to a round trip: handing it to
// another goroutine (a fresh one per message, or one long-lived worker),
// and a runtime timer per write (context.WithTimeout). They are why the
// registry runs a quick call on the reading goroutine and keeps one
// watchdog instead of timers (see socketSession).
func BenchmarkEchoCosts(b *testing.B) {
	work := make(chan func())
	b.Cleanup(func() { close(work) })
	go func() {
		for f := range work {
			f()
		}
	}()
	for _, bc := range []struct {
		name   string
		answer func(ctx context.Context, c *websocket.Conn, data []byte) error
	}{
		{"inline", func(ctx context.Context, c *websocket.Conn, data []byte) error {
			return c.Write(ctx, websocket.MessageText, echoAnswer(data))
		}},
		{"goroutine-per-message", func(ctx context.Context, c *websocket.Conn, data []byte) error {
			go c.Write(ctx, websocket.MessageText, echoAnswer(data))
			return nil
		}},
		{"worker-goroutine", func(ctx context.Context, c *websocket.Conn, data []byte) error {
			work <- func() { c.Write(ctx, websocket.MessageText, echoAnswer(data)) }
			return nil
		}},
		{"timer-per-write", func(ctx context.Context, c *websocket.Conn, data []byte) error {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			return c.Write(wctx, websocket.MessageText, echoAnswer(data))
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := dialBench(b, echoServer(b, bc.answer), nil)
			for range 100 {
				roundTrip(b, c)
			}
			b.ReportAllocs()
			for b.Loop() {
				roundTrip(b, c)
			}
		})
	}
}

// dialBench opens a socket for a benchmark.
func dialBench(tb testing.TB, url string, h http.Header) *websocket.Conn {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close(websocket.StatusNormalClosure, "") })
	return c
}

// roundTrip sends benchFrame and reads the answer.
func roundTrip(tb testing.TB, c *websocket.Conn) {
	ctx := context.Background()
	if err := c.Write(ctx, websocket.MessageText, benchFrame); err != nil {
		tb.Fatal(err)
	}
	_, b, err := c.Read(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.HasSuffix(b, []byte(`"result":`+benchArgs+`}`)) {
		tb.Fatalf("answer %s", b)
	}
}

// benchSockets returns a logged-in callbacks socket of the net/http app
// and a socket of the raw echo server.
func benchSockets(b *testing.B) (cb, raw *websocket.Conn) {
	app := newTestApp(b, backendsUnderTest[0], appOptions{})
	cookie, _ := app.login("admin", "admin")
	cb = dialBench(b, "ws"+strings.TrimPrefix(app.base, "http")+"/_callbacks/ws",
		http.Header{"Cookie": {auth.DefaultSessionCookie + "=" + cookie}})
	raw = dialBench(b, rawEchoServer(b), nil)
	for range 100 { // warm up both
		roundTrip(b, cb)
		roundTrip(b, raw)
	}
	return cb, raw
}

// BenchmarkUnaryRoundTrip measures unary calls over one socket, one at a
// time: through the registry (authenticated socket, per-call goroutine,
// limits, timeout) and through the raw echo server.
func BenchmarkUnaryRoundTrip(b *testing.B) {
	cb, raw := benchSockets(b)
	for _, bc := range []struct {
		name string
		c    *websocket.Conn
	}{{"callbacks", cb}, {"raw", raw}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				roundTrip(b, bc.c)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "roundtrips/s")
		})
	}
}

// BenchmarkUnaryRoundTripRatio alternates the two round trips in one
// loop, so that both see the same machine, and reports their rates and
// the ratio callbacks/raw (goal: at least 0.7).
func BenchmarkUnaryRoundTripRatio(b *testing.B) {
	cb, raw := benchSockets(b)
	var tcb, traw time.Duration
	for b.Loop() {
		t0 := time.Now()
		roundTrip(b, cb)
		t1 := time.Now()
		roundTrip(b, raw)
		tcb += t1.Sub(t0)
		traw += time.Since(t1)
	}
	cbRate := float64(b.N) / tcb.Seconds()
	rawRate := float64(b.N) / traw.Seconds()
	b.ReportMetric(cbRate, "callbacks-rt/s")
	b.ReportMetric(rawRate, "raw-rt/s")
	b.ReportMetric(cbRate/rawRate, "ratio")
}

// BenchmarkStream measures the items one stream delivers to one client.
func BenchmarkStream(b *testing.B) {
	app := newTestApp(b, backendsUnderTest[0], appOptions{cfg: callbacks.Config{Timeout: time.Hour}})
	cookie, _ := app.login("admin", "admin")
	c := dialBench(b, "ws"+strings.TrimPrefix(app.base, "http")+"/_callbacks/ws",
		http.Header{"Cookie": {auth.DefaultSessionCookie + "=" + cookie}})
	b.ReportAllocs()
	ctx := context.Background()
	start := time.Now()
	b.ResetTimer()
	frame := fmt.Appendf(nil, `{"id":"s","call":"ticks","args":{"Count":%d}}`, b.N)
	if err := c.Write(ctx, websocket.MessageText, frame); err != nil {
		b.Fatal(err)
	}
	for i := 0; ; i++ {
		_, m, err := c.Read(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if bytes.Contains(m, []byte(`"done":true`)) {
			if i != b.N {
				b.Fatalf("%d items, want %d", i, b.N)
			}
			break
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "items/s")
}

// discardWriter is a ResponseWriter that keeps nothing but the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) reset() {
	clear(w.h)
	w.status = 200
}

// bareJSONEcho is the baseline of the HTTP benchmarks: a handler with no
// auth and no registry doing the JSON work of the echo callback.
func bareJSONEcho(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	var args json.RawMessage
	if err != nil || json.Unmarshal(body, &args) != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	out, _ := json.Marshal(struct {
		Result any `json:"result"`
	}{args})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(out, '\n'))
}

// BenchmarkHTTPCall measures POST /_callbacks/echo in memory through the
// guarded net/http handler (anonymous, and with a session cookie) against
// a bare handler doing the same JSON work.
func BenchmarkHTTPCall(b *testing.B) {
	app := newTestApp(b, backendsUnderTest[0], appOptions{})
	cookie, _ := app.login("admin", "admin")
	guarded := app.a.Handler()
	bare := http.HandlerFunc(bareJSONEcho)
	for _, bc := range []struct {
		name   string
		h      http.Handler
		cookie string
	}{
		{"guarded/anonymous", guarded, ""},
		{"guarded/session", guarded, cookie},
		{"bare", bare, ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			body := bytes.NewReader(nil)
			req := httptest.NewRequest("POST", "/_callbacks/echo", body)
			req.Header.Set("Content-Type", "application/json")
			if bc.cookie != "" {
				req.Header.Set("Cookie", auth.DefaultSessionCookie+"="+bc.cookie)
			}
			w := &discardWriter{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				body.Reset([]byte(benchArgs))
				req.Body = io.NopCloser(body)
				w.reset()
				bc.h.ServeHTTP(w, req)
				if w.status != 200 {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}

// BenchmarkHTTPCallLoopback measures POST /_callbacks/echo over a real
// loopback connection (keep-alive), through the guard, on net/http and on
// Fiber (through fiberbackend.Handler, where a unary call runs on
// Fiber's goroutine), against a bare net/http handler doing the same JSON.
func BenchmarkHTTPCallLoopback(b *testing.B) {
	bare := httptest.NewServer(http.HandlerFunc(bareJSONEcho))
	b.Cleanup(bare.Close)
	targets := []struct{ name, url string }{{"bare", bare.URL}}
	for _, be := range backendsUnderTest {
		if be.name == "net/http" || be.name == "fiber" {
			app := newTestApp(b, be, appOptions{})
			targets = append(targets, struct{ name, url string }{strings.ReplaceAll(be.name, "/", ""), app.base + "/_callbacks/echo"})
		}
	}
	c := &http.Client{}
	for _, tc := range targets {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := c.Post(tc.url, "application/json", strings.NewReader(benchArgs))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
		})
	}
}
