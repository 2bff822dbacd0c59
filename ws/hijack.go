package ws

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// upgradeWriter is the http.ResponseWriter handed to websocket.Accept. It
// passes everything through, except that the connection it hijacks is a
// *watchedConn, through which the server learns when the socket closes
// and when a close frame it sent has left.
type upgradeWriter struct {
	http.ResponseWriter
	closed func() // called once, when the connection is closed
	conn   *watchedConn
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *upgradeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// WriteHeaderNow passes on Gin's WriteHeaderNow, which coder/websocket
// calls when the writer has it, so that Gin sends the 101 before the hijack.
func (w *upgradeWriter) WriteHeaderNow() {
	if g, ok := w.ResponseWriter.(interface{ WriteHeaderNow() }); ok {
		g.WriteHeaderNow()
	}
}

// Hijack hijacks the wrapped writer's connection and wraps it. The
// buffered writer is flushed and pointed at the wrapper, keeping its buffer.
func (w *upgradeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	wc := &watchedConn{Conn: c, closed: w.closed}
	if brw == nil {
		brw = bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(wc))
	} else {
		if err := brw.Writer.Flush(); err != nil {
			_ = c.Close()
			return nil, nil, err
		}
		brw.Writer.Reset(wc)
	}
	w.conn = wc
	return wc, brw, nil
}

// canHijack reports whether w, or a writer it wraps (Unwrap), can be
// hijacked, as coder/websocket and http.ResponseController look for it.
func canHijack(w http.ResponseWriter) bool {
	for w != nil {
		switch t := w.(type) {
		case http.Hijacker:
			return true
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return false
		}
	}
	return false
}

// watchedConn is a hijacked connection that reports its closing, and,
// when armed with a frame, the moment those bytes have been written.
type watchedConn struct {
	net.Conn
	closed func()
	once   sync.Once
	watch  atomic.Pointer[frameWatch]
}

// Write writes p and lets an armed watch see what was written.
func (c *watchedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if w := c.watch.Load(); w != nil && n > 0 {
		w.observe(p[:n])
	}
	return n, err
}

// Close closes the connection and reports it, once.
func (c *watchedConn) Close() error {
	err := c.Conn.Close()
	if c.closed != nil {
		c.once.Do(c.closed)
	}
	return err
}

// arm calls sent once the bytes of frame have been written, in one write
// or across several.
func (c *watchedConn) arm(frame []byte, sent func()) {
	c.watch.Store(&frameWatch{want: frame, tail: make([]byte, 0, len(frame)), sent: sent})
}

// frameWatch looks for a frame at the end of what has been written.
type frameWatch struct {
	mu    sync.Mutex
	want  []byte
	tail  []byte // the last len(want) bytes written, or fewer
	fired bool
	sent  func()
}

// observe adds p to the bytes seen and fires when they end with the frame.
func (w *frameWatch) observe(p []byte) {
	w.mu.Lock()
	if w.fired {
		w.mu.Unlock()
		return
	}
	n := len(w.want)
	if len(p) >= n {
		w.tail = append(w.tail[:0], p[len(p)-n:]...)
	} else {
		if drop := len(w.tail) + len(p) - n; drop > 0 {
			w.tail = w.tail[:copy(w.tail, w.tail[drop:])]
		}
		w.tail = append(w.tail, p...)
	}
	w.fired = bytes.Equal(w.tail, w.want)
	fire := w.fired
	w.mu.Unlock()
	if fire {
		w.sent()
	}
}
