package fiberbackend_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authwire/authwire/backends/fiberbackend"

	"github.com/coder/websocket"
	"github.com/gofiber/fiber/v2"
)

// wsServer is a Fiber app on a loopback listener whose FiberWebSocket
// handlers are counted, so that cleanup can wait for every one to return.
type wsServer struct {
	app      *fiber.App
	addr     string
	client   *http.Client
	handlers sync.WaitGroup
}

// newWSServer serves the routes that routes adds, wrapping handlers with
// s.ws, until the test ends; then it shuts the app down and waits for the
// listener and every handler.
func newWSServer(t *testing.T, routes func(s *wsServer)) *wsServer {
	t.Helper()
	tr := &http.Transport{}
	s := &wsServer{app: fiber.New(fiber.Config{DisableStartupMessage: true}), client: &http.Client{Transport: tr}}
	s.app.Server().MaxIdleWorkerDuration = 50 * time.Millisecond
	routes(s)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- s.app.Listener(ln) }()
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), safetyNet)
		defer cancel()
		if err := s.app.ShutdownWithContext(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("listener: %v", err)
		}
		waited := make(chan struct{})
		go func() { s.handlers.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(safetyNet):
			t.Error("a socket handler did not return")
		}
	})
	return s
}

// ws wraps h with FiberWebSocket, counting h's runs.
func (s *wsServer) ws(h http.HandlerFunc) fiber.Handler {
	f := fiberbackend.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer s.handlers.Done()
		h(w, r)
	}))
	return func(c *fiber.Ctx) error {
		s.handlers.Add(1)
		return f(c)
	}
}

func (s *wsServer) dial(t *testing.T, path string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safetyNet)
	defer cancel()
	return websocket.Dial(ctx, "ws://"+s.addr+path, &websocket.DialOptions{HTTPClient: s.client, HTTPHeader: hdr})
}

func (s *wsServer) mustDial(t *testing.T, path string, hdr http.Header) *websocket.Conn {
	t.Helper()
	c, _, err := s.dial(t, path, hdr)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// echo accepts and echoes messages until the socket fails.
func echo(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	for {
		typ, p, err := c.Read(r.Context())
		if err != nil || c.Write(r.Context(), typ, p) != nil {
			return
		}
	}
}

// safetyNet bounds every wait of these tests so that a broken shim fails
// instead of hanging; it is far above anything a working one needs and is
// not a measure of speed.
const safetyNet = 20 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), safetyNet)
	t.Cleanup(cancel)
	return ctx
}

// roundTrip sends msg on c and expects it back.
func roundTrip(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	ctx := testCtx(t)
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("write %q: %v", msg, err)
	}
	_, p, err := c.Read(ctx)
	if err != nil || string(p) != msg {
		t.Fatalf("read = %q, %v; want %q", p, err, msg)
	}
}

func TestHandlerEcho(t *testing.T) {
	s := newWSServer(t, func(s *wsServer) { s.app.Get("/echo", s.ws(echo)) })
	c := s.mustDial(t, "/echo", nil)
	for i := range 100 {
		roundTrip(t, c, fmt.Sprintf("message %d", i))
	}
	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatalf("close: %v", err)
	}
}

type ctxKey struct{}

func TestHandlerContext(t *testing.T) {
	fiberReturned := make(chan struct{})
	ctxs := make(chan context.Context, 1)
	s := newWSServer(t, func(s *wsServer) {
		s.app.Use(func(c *fiber.Ctx) error {
			// A context that ends with Fiber's request, as a
			// per-request middleware may set: the socket outlives it.
			ctx, cancel := context.WithCancel(c.UserContext())
			defer cancel()
			c.SetUserContext(context.WithValue(ctx, ctxKey{}, "alice"))
			return c.Next()
		})
		h := s.ws(func(w http.ResponseWriter, r *http.Request) {
			ctxs <- r.Context()
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer c.CloseNow()
			<-fiberReturned // already closed: the callback outlives Fiber's handler
			user, _ := r.Context().Value(ctxKey{}).(string)
			_ = c.Write(r.Context(), websocket.MessageText, fmt.Appendf(nil, "%s %v", user, r.Context().Err()))
			_, _, _ = c.Read(r.Context())
		})
		s.app.Get("/ctx", func(c *fiber.Ctx) error {
			defer close(fiberReturned)
			return h(c)
		})
	})
	c := s.mustDial(t, "/ctx", nil)
	_, p, err := c.Read(testCtx(t))
	if err != nil || string(p) != "alice <nil>" {
		t.Fatalf("handler saw %q, %v; want the value and a live context", p, err)
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
	select {
	case <-(<-ctxs).Done():
	case <-time.After(safetyNet):
		t.Fatal("the request context is not done after the handler returned")
	}
}

func TestHandlerRequestCopy(t *testing.T) {
	type seen struct{ method, uri, path, query, proto, host, remote, upgrade string }
	look := func(r *http.Request) seen {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		return seen{r.Method, r.RequestURI, r.URL.Path, r.URL.RawQuery, r.Proto, r.Host, host, r.Header.Get("Upgrade")}
	}
	got := make(chan seen, 2)
	multi := make(chan []string, 2)
	s := newWSServer(t, func(s *wsServer) {
		s.app.Get("/plain", func(c *fiber.Ctx) error { return c.SendString(strings.Repeat("x", 512)) })
		s.app.Get("/copy/:id", s.ws(func(w http.ResponseWriter, r *http.Request) {
			got <- look(r)
			multi <- r.Header.Values("X-Multi")
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer c.CloseNow()
			_, _, _ = c.Read(r.Context()) // the test makes Fiber reuse its Ctx meanwhile
			got <- look(r)
			multi <- r.Header.Values("X-Multi")
		}))
	})
	c := s.mustDial(t, "/copy/7?a=1&b=two", http.Header{"X-Multi": {"one", "two"}})
	for range 20 { // Fiber reuses the Ctx and buffers of the handshake
		resp, err := s.client.Get("http://" + s.addr + "/plain?zzzzzzzzzzzzzzzzz=1")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	_ = c.Write(testCtx(t), websocket.MessageText, []byte("done"))
	want := seen{"GET", "/copy/7?a=1&b=two", "/copy/7", "a=1&b=two", "HTTP/1.1", s.addr, "127.0.0.1", "websocket"}
	for _, when := range []string{"at the handshake", "after Fiber reused the Ctx"} {
		if g := <-got; g != want {
			t.Errorf("%s: request = %+v, want %+v", when, g, want)
		}
		if m := <-multi; !slices.Equal(m, []string{"one", "two"}) {
			t.Errorf("%s: X-Multi = %q, want both values", when, m)
		}
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
}

func TestHandlerCrossOrigin(t *testing.T) {
	s := newWSServer(t, func(s *wsServer) { s.app.Get("/echo", s.ws(echo)) })
	_, resp, err := s.dial(t, "/echo", http.Header{"Origin": {"http://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin dial: resp %v, err %v; want 403", resp, err)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "evil.example") {
		t.Errorf("403 body = %q, want coder/websocket's reason", body)
	}
	roundTrip(t, s.mustDial(t, "/echo", nil), "still serving")
}

func TestHandlerNotHandshake(t *testing.T) {
	s := newWSServer(t, func(s *wsServer) { s.app.Get("/echo", s.ws(echo)) })
	for range 2 { // the keep-alive connection stays usable
		resp, err := s.client.Get("http://" + s.addr + "/echo")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUpgradeRequired || resp.Header.Get("Upgrade") != "websocket" ||
			!strings.Contains(string(body), "WebSocket protocol violation") {
			t.Fatalf("plain GET: %d %v %q; want coder/websocket's 426", resp.StatusCode, resp.Header, body)
		}
	}
}

func TestHandlerCloseStatus(t *testing.T) {
	closed := make(chan error, 1)
	s := newWSServer(t, func(s *wsServer) {
		s.app.Get("/bye", s.ws(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				closed <- err
				return
			}
			closed <- c.Close(4401, "session ended")
		}))
	})
	c := s.mustDial(t, "/bye", nil)
	ctx := testCtx(t)
	_, _, err := c.Read(ctx)
	if websocket.CloseStatus(err) != 4401 {
		t.Fatalf("client read: %v; want close status 4401", err)
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("server close: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the server's close handshake did not complete")
	}
}

// TestHandlerHijackReadTimeout checks that a read deadline ends a
// socket: coder/websocket closes the conn, which must really close.
func TestHandlerHijackReadTimeout(t *testing.T) {
	done := make(chan error, 1)
	s := newWSServer(t, func(s *wsServer) {
		s.app.Get("/idle", s.ws(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				done <- err
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), 100*time.Millisecond)
			defer cancel()
			_, _, err = c.Read(ctx)
			done <- err
		}))
	})
	c := s.mustDial(t, "/idle", nil)
	ctx := testCtx(t)
	if _, _, err := c.Read(ctx); err == nil || ctx.Err() != nil {
		t.Fatalf("client read: %v; want the connection closed by the server", err)
	}
	if err := <-done; err == nil {
		t.Fatal("server read returned no error")
	}
}

func TestHandlerClientVanishes(t *testing.T) {
	done := make(chan error, 1)
	s := newWSServer(t, func(s *wsServer) {
		s.app.Get("/wait", s.ws(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				done <- err
				return
			}
			defer c.CloseNow()
			_, _, err = c.Read(r.Context())
			done <- err
		}))
	})
	_ = s.mustDial(t, "/wait", nil).CloseNow() // no close frame
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("server read returned no error")
		}
	case <-time.After(safetyNet):
		t.Fatal("the server did not notice the client leaving")
	}
}

// TestHandlerShutdown documents that shutting the app down neither
// waits for nor closes a hijacked socket: its owner closes it.
func TestHandlerShutdown(t *testing.T) {
	stop := make(chan struct{})
	closed := make(chan error, 1)
	s := newWSServer(t, func(s *wsServer) {
		s.app.Get("/owned", s.ws(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				closed <- err
				return
			}
			go func() { _, _, _ = c.Read(r.Context()) }() // handles the close frame
			_ = c.Write(r.Context(), websocket.MessageText, []byte("hello"))
			<-stop
			_ = c.Write(r.Context(), websocket.MessageText, []byte("after shutdown"))
			closed <- c.Close(websocket.StatusGoingAway, "server shutting down")
		}))
	})
	c := s.mustDial(t, "/owned", nil)
	ctx := testCtx(t)
	if _, p, err := c.Read(ctx); err != nil || string(p) != "hello" {
		t.Fatalf("read = %q, %v", p, err)
	}
	if err := s.app.ShutdownWithContext(ctx); err != nil {
		t.Fatalf("shutdown with a socket open: %v", err)
	}
	close(stop)
	if _, p, err := c.Read(ctx); err != nil || string(p) != "after shutdown" {
		t.Fatalf("read after shutdown = %q, %v", p, err)
	}
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("client read: %v; want 1001", err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("server close after shutdown: %v", err)
	}
}

func TestHandlerHijackPanic(t *testing.T) {
	s := newWSServer(t, func(s *wsServer) {
		s.app.Get("/echo", s.ws(echo))
		s.app.Get("/after", s.ws(func(w http.ResponseWriter, r *http.Request) {
			if _, err := websocket.Accept(w, r, nil); err == nil {
				panic("boom after the hijack")
			}
		}))
		s.app.Get("/before", s.ws(func(http.ResponseWriter, *http.Request) { panic("boom before it") }))
	})
	c := s.mustDial(t, "/after", nil)
	if _, _, err := c.Read(testCtx(t)); err == nil {
		t.Fatal("read from a socket whose handler panicked succeeded")
	}
	if _, _, err := s.dial(t, "/before", nil); err == nil {
		t.Fatal("dial to a handler that panics before accepting succeeded")
	}
	roundTrip(t, s.mustDial(t, "/echo", nil), "still serving")
}

// TestHandlerHijackBufferedBytes sends a frame in the same write
// as the handshake: fasthttp has read it already, and must replay it.
func TestHandlerHijackBufferedBytes(t *testing.T) {
	s := newWSServer(t, func(s *wsServer) { s.app.Get("/echo", s.ws(echo)) })
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(safetyNet))
	mask, payload := []byte{1, 2, 3, 4}, []byte("early")
	frame := append([]byte{0x81, 0x80 | byte(len(payload))}, mask...)
	for i, b := range payload {
		frame = append(frame, b^mask[i%4])
	}
	req := "GET /echo HTTP/1.1\r\nHost: " + s.addr + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	if _, err := conn.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols ||
		resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("handshake: %v, %v", resp, err)
	}
	got := make([]byte, 2+len(payload))
	if _, err := io.ReadFull(br, got); err != nil {
		t.Fatalf("echo: %v", err)
	}
	if want := append([]byte{0x81, byte(len(payload))}, payload...); string(got) != string(want) {
		t.Fatalf("echo frame = %q, want %q", got, want)
	}
}

// TestHandlerHijackAnswerOnConn checks the answer of a handler that
// refuses after the hijack decision, written on the connection itself.
func TestHandlerHijackAnswerOnConn(t *testing.T) {
	s := newWSServer(t, func(s *wsServer) {
		s.app.Get("/no", s.ws(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Add("X-Why", "a")
			w.Header().Add("X-Why", "b")
			http.Error(w, "go away", http.StatusTeapot)
		}))
	})
	_, resp, err := s.dial(t, "/no", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTeapot {
		t.Fatalf("dial: %v, %v; want 418", resp, err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "go away\n" || resp.ContentLength != int64(len(body)) ||
		!slices.Equal(resp.Header.Values("X-Why"), []string{"a", "b"}) || !resp.Close {
		t.Fatalf("answer: %v %q; want the handler's headers, body and Connection: close", resp, body)
	}
}

func TestHandlerMiddlewareHeaders(t *testing.T) {
	s := newWSServer(t, func(s *wsServer) {
		s.app.Use(func(c *fiber.Ctx) error {
			c.Cookie(&fiber.Cookie{Name: "session", Value: "renewed"})
			c.Set("X-Guard", "passed")
			return c.Next()
		})
		s.app.Get("/echo", s.ws(echo))
		s.app.Get("/nil", fiberbackend.Handler(nil))
	})
	for _, path := range []string{"/echo", "/echo?plain"} {
		var resp *http.Response
		if path == "/echo" {
			c, r, err := s.dial(t, path, nil)
			if err != nil {
				t.Fatal(err)
			}
			_ = c.Close(websocket.StatusNormalClosure, "")
			resp = r
		} else {
			r, err := s.client.Get("http://" + s.addr + path)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			resp = r
		}
		if resp.Header.Get("X-Guard") != "passed" || !strings.HasPrefix(resp.Header.Get("Set-Cookie"), "session=renewed") {
			t.Errorf("%s: %d %v; want the middleware's headers", path, resp.StatusCode, resp.Header)
		}
	}
	resp, err := s.client.Get("http://" + s.addr + "/nil")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("nil handler: %d, want 500", resp.StatusCode)
	}
}

// TestHandlerHijackPerIPConn runs sockets through fasthttp's
// MaxConnsPerIP wrapper, which must not be closed twice.
func TestHandlerHijackPerIPConn(t *testing.T) {
	done := make(chan error, 1)
	s := newWSServer(t, func(s *wsServer) {
		s.app.Server().MaxConnsPerIP = 8
		s.app.Get("/echo", s.ws(echo))
		s.app.Get("/idle", s.ws(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				done <- err
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), 50*time.Millisecond)
			defer cancel()
			_, _, err = c.Read(ctx)
			done <- err
		}))
	})
	for i := range 20 { // more sockets than the limit: each one is released
		c := s.mustDial(t, "/echo", nil)
		roundTrip(t, c, fmt.Sprint("socket ", i))
		if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
			t.Fatalf("close %d: %v", i, err)
		}
	}
	c := s.mustDial(t, "/idle", nil)
	ctx := testCtx(t)
	if _, _, err := c.Read(ctx); err == nil || ctx.Err() != nil {
		t.Fatalf("client read: %v; want the connection closed by the server", err)
	}
	if err := <-done; err == nil {
		t.Fatal("server read returned no error")
	}
	roundTrip(t, s.mustDial(t, "/echo", nil), "still serving")
}

// TestHandlerPlainStream checks a plain request whose handler
// flushes: status and headers (a middleware's Set-Cookie too) arrive with
// the first flushed line while the handler still runs, the rest follows,
// a handler that flushes and returns at once loses nothing, and a client
// that goes away cancels the request's context at the next write.
func TestHandlerPlainStream(t *testing.T) {
	release := make(chan struct{})
	gone := make(chan error, 1)
	s := newWSServer(t, func(s *wsServer) {
		s.app.Use(func(c *fiber.Ctx) error {
			c.Cookie(&fiber.Cookie{Name: "mw", Value: "1"})
			return c.Next()
		})
		s.app.Get("/stream", s.ws(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, "first\n")
			w.(http.Flusher).Flush()
			<-release
			io.WriteString(w, "second\n")
		}))
		s.app.Get("/quick", s.ws(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "a\n")
			w.(http.Flusher).Flush()
			io.WriteString(w, "b\n")
		}))
		s.app.Get("/forever", s.ws(func(w http.ResponseWriter, r *http.Request) {
			for r.Context().Err() == nil {
				if _, err := io.WriteString(w, strings.Repeat("x", 1024)+"\n"); err != nil {
					break
				}
				w.(http.Flusher).Flush()
				time.Sleep(time.Millisecond)
			}
			gone <- context.Cause(r.Context())
		}))
	})

	resp, err := s.client.Get("http://" + s.addr + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Content-Type") != "application/x-ndjson" || !strings.Contains(resp.Header.Get("Set-Cookie"), "mw=1") {
		t.Fatalf("start of the stream: %d %v", resp.StatusCode, resp.Header)
	}
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || line != "first\n" {
		t.Fatalf("first line, before the handler goes on: %q %v", line, err)
	}
	close(release)
	if rest, err := io.ReadAll(br); err != nil || string(rest) != "second\n" {
		t.Fatalf("rest: %q %v", rest, err)
	}

	for range 20 {
		resp, err := s.client.Get("http://" + s.addr + "/quick")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || string(body) != "a\nb\n" {
			t.Fatalf("flush and return: %d %q %v", resp.StatusCode, body, err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.addr+"/forever", nil)
	resp, err = s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	select {
	case cause := <-gone:
		if !errors.Is(cause, context.Canceled) {
			t.Fatalf("the handler's context ended with %v", cause)
		}
	case <-time.After(safetyNet):
		t.Fatal("the handler never saw its client go")
	}
}

// notStreaming is a handler that says its requests do not stream.
type notStreaming struct{ http.HandlerFunc }

func (notStreaming) Streams(*http.Request) bool { return false }

// TestHandlerStreamingHandler checks that a handler that says a
// request does not stream is answered buffered (with a Content-Length),
// even if it flushes, while one without the method is streamed (chunked).
func TestHandlerStreamingHandler(t *testing.T) {
	flushing := func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "one\n")
		w.(http.Flusher).Flush()
		io.WriteString(w, "two\n")
	}
	s := newWSServer(t, func(s *wsServer) {
		s.app.Get("/buffered", fiberbackend.Handler(notStreaming{flushing}))
		s.app.Get("/streamed", fiberbackend.Handler(http.HandlerFunc(flushing)))
	})
	for _, tc := range []struct {
		path          string
		contentLength int64
	}{{"/buffered", int64(len("one\ntwo\n"))}, {"/streamed", -1}} {
		resp, err := s.client.Get("http://" + s.addr + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "one\ntwo\n" || resp.ContentLength != tc.contentLength {
			t.Fatalf("%s: %d %q, Content-Length %d, want %d", tc.path, resp.StatusCode, body, resp.ContentLength, tc.contentLength)
		}
	}
}
