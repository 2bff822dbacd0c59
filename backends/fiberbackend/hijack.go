package fiberbackend

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/authwire/authwire/backends"
)

// fiberAnswerTimeout bounds writing an answer on a hijacked connection.
const fiberAnswerTimeout = 10 * time.Second

// Handler adapts h, an http.Handler, to Fiber, including one that accepts
// WebSockets with coder/websocket (websocket.Accept(w, r, opts)). Fiber's
// adaptor.HTTPHandler cannot do this (501 or a hung handshake) because
// fasthttp's connection is not an http.Hijacker; this shim uses fasthttp's.
//
// Before the Fiber handler returns (Fiber then reuses the Ctx and its
// buffers) the request is copied: method, request URI, protocol, Host,
// every header value (canonical keys), body, RemoteAddr and TLS state (an
// empty ConnectionState when fasthttp has none to report). Its context
// keeps the values of c.UserContext(), such as the guard's identity, but
// not its cancellation: it is cancelled when h returns.
//
// A request that is not a handshake (GET with Connection: Upgrade and
// Upgrade: websocket) is not hijacked. h runs in a goroutine of its own
// (unless it is a [StreamingHandler] that says the request does not
// stream: then on Fiber's, buffered); if it returns without flushing, its buffered answer (426, 405, a JSON
// result...) becomes the Fiber response, headers h set replacing those
// set before (Set-Cookie adds), and a panic goes to Fiber. If it flushes
// (http.Flusher), the status and headers are sent and the rest of the
// body streams through fasthttp's body stream writer, each Flush reaching
// the client; once a write fails because the client went away, the
// request's context is cancelled and h's writes fail. fasthttp tells a
// handler nothing of a client that leaves while nothing is written, so
// until then the context ends only when h returns.
//
// A handshake is hijacked without a response from fasthttp and h runs in
// the hijack goroutine, for the socket's whole life. The ResponseWriter
// starts with the headers earlier middleware set (Set-Cookie, ...), and
// its Hijack writes the status given to WriteHeader (101) and the headers,
// and returns a conn that first replays any bytes fasthttp read past the
// request, and whose Close really closes the socket (fasthttp's hijacked
// conn ignores Close) so coder/websocket's deadlines and close handshake
// work. If h does not hijack (Accept refused an Origin with 403), its
// answer is written on the conn with Content-Length and Connection: close.
// When h returns, or panics (recovered: only this socket ends), the
// connection is closed.
//
// fasthttp no longer tracks a hijacked connection: app.Shutdown neither
// waits for nor closes open sockets; their owner (a hub) closes them.
func Handler(h http.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if h == nil {
			return fiber.NewError(fiber.StatusInternalServerError, "fiberbackend: Handler has a nil handler")
		}
		r, cancel, err := fiberHTTPRequest(c)
		if err != nil {
			return fiber.NewError(fiber.StatusBadRequest, "invalid request")
		}
		if !backends.IsWebSocketHandshake(&fiberExchange{c: c}) {
			return serveFiberPlain(c, h, r, cancel)
		}
		w := &fiberResponseWriter{header: fiberResponseHeader(c)}
		c.Context().HijackSetNoResponse(true)
		c.Context().Hijack(func(nc net.Conn) { serveFiberSocket(h, w, r, cancel, nc) })
		return nil
	}
}

// serveFiberSocket runs h on the hijacked connection nc and closes it.
func serveFiberSocket(h http.Handler, w *fiberResponseWriter, r *http.Request, cancel context.CancelFunc, nc net.Conn) {
	w.conn = newFiberConn(nc)
	defer w.conn.release()
	defer cancel()
	defer func() {
		if recover() != nil || w.hijacked {
			return
		}
		w.WriteHeader(http.StatusOK) // unless h did
		w.header.Set("Connection", "close")
		_ = w.conn.SetWriteDeadline(time.Now().Add(fiberAnswerTimeout))
		_ = writeHTTPResponse(w.conn, w.status, w.header, w.body.Bytes())
	}()
	h.ServeHTTP(w, r)
}

// fiberHTTPRequest copies c's request; cancel ends its context.
func fiberHTTPRequest(c *fiber.Ctx) (*http.Request, context.CancelFunc, error) {
	fc := c.Context()
	uri := string(fc.Request.Header.RequestURI())
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(c.UserContext()))
	r, err := http.NewRequestWithContext(ctx, string(fc.Method()), "/", nil)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	r.URL, r.RequestURI = u, uri
	if !fc.Request.Header.IsHTTP11() {
		r.Proto, r.ProtoMinor = "HTTP/1.0", 0
	}
	fc.Request.Header.VisitAll(func(k, v []byte) {
		if !strings.EqualFold(string(k), fiber.HeaderHost) {
			r.Header.Add(string(k), string(v))
		}
	})
	r.Host = string(fc.Request.Header.Host())
	r.RemoteAddr = (&fiberExchange{c: c}).RemoteAddr()
	if st := fc.TLSConnectionState(); st != nil {
		r.TLS = st
	} else if fc.IsTLS() {
		r.TLS = &tls.ConnectionState{}
	}
	r.Body = http.NoBody
	if b := fc.Request.Body(); len(b) > 0 {
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(bytes.Clone(b))), int64(len(b))
	}
	return r, cancel, nil
}

// fiberResponseHeader copies the headers middleware set on c's response,
// but for those that describe the response fasthttp would have sent.
func fiberResponseHeader(c *fiber.Ctx) http.Header {
	h := make(http.Header)
	c.Response().Header.VisitAll(func(k, v []byte) {
		switch http.CanonicalHeaderKey(string(k)) {
		case "Content-Length", "Content-Type", "Content-Encoding", "Server", "Date",
			"Connection", "Trailer", "Transfer-Encoding":
			return
		}
		h.Add(string(k), string(v))
	})
	return h
}

// fiberResponseWriter is h's ResponseWriter: it buffers an answer and,
// with a conn (a hijacked handshake), hands the conn over in Hijack.
type fiberResponseWriter struct {
	header   http.Header
	status   int // 0 until WriteHeader or Write
	body     bytes.Buffer
	conn     *fiberConn // nil: not hijackable
	hijacked bool

	stream    *fiberStream // a plain request's, which may stream; else nil
	streaming bool         // Flush was called: writes go to stream
}

func (w *fiberResponseWriter) Header() http.Header { return w.header }

// WriteHeader records the first final status or 101, ignoring other 1xx
// codes and later calls; an invalid code (net/http panics) becomes 500.
func (w *fiberResponseWriter) WriteHeader(code int) {
	switch {
	case w.status != 0 || w.hijacked:
		return
	case code < 100 || code > 999:
		code = http.StatusInternalServerError
	case code < 200 && code != http.StatusSwitchingProtocols:
		return
	}
	w.status = code
}

// Write buffers p as response body, or streams it after Flush; after
// Hijack it fails.
func (w *fiberResponseWriter) Write(p []byte) (int, error) {
	switch {
	case w.hijacked:
		return 0, http.ErrHijacked
	case w.streaming:
		return w.stream.write(p)
	}
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Flush sends what is written so far, and from then on streams the body
// (see [Handler]). For a handshake it does nothing.
func (w *fiberResponseWriter) Flush() {
	if w.stream != nil {
		w.stream.flush(w)
	}
}

// Hijack writes the status line and headers, if WriteHeader was called,
// and hands over the connection. It fails after Write.
func (w *fiberResponseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	switch {
	case w.conn == nil:
		return nil, nil, errors.New("fiberbackend: not a WebSocket handshake: cannot hijack")
	case w.hijacked:
		return nil, nil, http.ErrHijacked
	case w.body.Len() > 0:
		return nil, nil, errors.New("fiberbackend: Hijack after Write")
	}
	w.hijacked = true
	if w.status != 0 {
		if err := writeHTTPResponse(w.conn, w.status, w.header, nil); err != nil {
			return nil, nil, fmt.Errorf("fiberbackend: writing the %d response: %w", w.status, err)
		}
	}
	return w.conn, bufio.NewReadWriter(bufio.NewReader(w.conn), bufio.NewWriter(w.conn)), nil
}

// copyTo makes the buffered answer c's response.
func (w *fiberResponseWriter) copyTo(c *fiber.Ctx) {
	applyHeader(c, w.header)
	resp := c.Response()
	if w.header.Get("Content-Type") == "" && w.body.Len() > 0 {
		resp.Header.SetContentType(http.DetectContentType(w.body.Bytes()))
	}
	w.WriteHeader(http.StatusOK) // unless h did
	resp.SetStatusCode(w.status)
	resp.SetBody(w.body.Bytes())
}

// writeHTTPResponse writes an HTTP/1.1 status line, h and body to conn;
// a body, even empty, is announced with Content-Length, except on 101.
func writeHTTPResponse(conn net.Conn, status int, h http.Header, body []byte) error {
	if status != http.StatusSwitchingProtocols {
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Del("Transfer-Encoding")
	}
	bw := bufio.NewWriter(conn)
	fmt.Fprintf(bw, "HTTP/1.1 %03d %s\r\n", status, cmp.Or(http.StatusText(status), "status code "+strconv.Itoa(status)))
	_ = h.Write(bw) // drops invalid names, turns CR and LF in values into spaces
	bw.WriteString("\r\n")
	bw.Write(body)
	return bw.Flush()
}

// fiberConn is the conn h hijacks. It reads through fasthttp's hijacked
// conn, which replays what fasthttp buffered past the request, and
// writes, sets deadlines and closes on the socket it exposes as
// UnsafeConn. After the callback fasthttp pools its conn and reader, so
// release makes later calls fail with net.ErrClosed without them.
type fiberConn struct {
	hijacked      net.Conn // fasthttp's conn: Read, and Close at release
	raw           net.Conn // the socket: Write, deadlines, Close
	closeRaw      bool     // raw.Close is safe to call twice
	local, remote net.Addr

	mu     sync.RWMutex // held for reading while a call uses raw or hijacked
	gone   bool         // the hijack callback has returned
	readMu sync.Mutex   // fasthttp's buffered reader allows one Read at a time
	closed atomic.Bool
	once   sync.Once
}

func newFiberConn(nc net.Conn) *fiberConn {
	c := &fiberConn{hijacked: nc, raw: nc, local: nc.LocalAddr(), remote: nc.RemoteAddr()}
	if u, ok := nc.(interface{ UnsafeConn() net.Conn }); ok && u.UnsafeConn() != nil {
		c.raw = u.UnsafeConn()
	}
	// fasthttp closes the socket again after the callback (unless
	// KeepHijackedConns): fine for these; its MaxConnsPerIP wrapper, or
	// another, may break on a second Close: a past deadline cuts those off.
	switch c.raw.(type) {
	case *net.TCPConn, *net.UnixConn, *tls.Conn:
		c.closeRaw = true
	}
	return c
}

// use runs f unless the connection is closed. An error after Close is
// net.ErrClosed, as on a closed net.Conn, not the cut-off's deadline error.
func (c *fiberConn) use(f func() error) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.gone || c.closed.Load() {
		return net.ErrClosed
	}
	err := f()
	if err != nil && c.closed.Load() {
		return net.ErrClosed
	}
	return err
}

func (c *fiberConn) Read(p []byte) (n int, err error) {
	err = c.use(func() error {
		c.readMu.Lock()
		defer c.readMu.Unlock()
		if c.closed.Load() {
			return net.ErrClosed
		}
		n, err = c.hijacked.Read(p)
		return err
	})
	return n, err
}

func (c *fiberConn) Write(p []byte) (n int, err error) {
	err = c.use(func() error { n, err = c.raw.Write(p); return err })
	return n, err
}

// Close ends the socket: blocked and later calls fail at once, and the
// peer sees the connection close. A second Close returns net.ErrClosed.
func (c *fiberConn) Close() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.gone {
		return net.ErrClosed
	}
	return c.kill()
}

func (c *fiberConn) kill() error {
	err := net.ErrClosed
	c.once.Do(func() {
		c.closed.Store(true)
		err = c.raw.SetDeadline(time.Unix(1, 0))
		if c.closeRaw {
			err = c.raw.Close()
		}
	})
	return err
}

// release closes the conn as the callback ends, then waits for the calls
// in progress, which the close has unblocked.
func (c *fiberConn) release() {
	_ = c.kill()
	c.mu.Lock()
	c.gone = true
	c.mu.Unlock()
	_ = c.hijacked.Close() // closes the socket only with KeepHijackedConns; else fasthttp does
}

func (c *fiberConn) LocalAddr() net.Addr  { return c.local }
func (c *fiberConn) RemoteAddr() net.Addr { return c.remote }
func (c *fiberConn) SetDeadline(t time.Time) error {
	return c.use(func() error { return c.raw.SetDeadline(t) })
}
func (c *fiberConn) SetReadDeadline(t time.Time) error {
	return c.use(func() error { return c.raw.SetReadDeadline(t) })
}
func (c *fiberConn) SetWriteDeadline(t time.Time) error {
	return c.use(func() error { return c.raw.SetWriteDeadline(t) })
}
