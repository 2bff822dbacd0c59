package fiberbackend

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	"github.com/authwire/authwire/backends"
)

// errFiberClientGone is what a streaming handler's writes return once a
// write to the client has failed.
var errFiberClientGone = errors.New("fiberbackend: the client went away")

// fiberStream is the state of a plain (not hijacked) request that
// Handler serves: h runs in a goroutine of its own, and its first
// Flush turns the buffered answer into a streamed one.
type fiberStream struct {
	started  chan fiberStart // gets the answer's start at the first Flush
	chunks   chan []byte     // what h writes after that; closed when h returns
	failed   atomic.Bool     // a write to the client failed
	panicked any             // what h panicked with, read after returned closes
}

// fiberStart is what a streamed answer starts with: its status, headers
// and the body written before the first Flush.
type fiberStart struct {
	status int
	header http.Header
	body   []byte
}

// serveFiberPlain runs h for a request that is not a WebSocket handshake:
// on Fiber's goroutine, buffered, if h says the request does not stream
// ([StreamingHandler]), else in a goroutine of its own. If h returns
// without flushing, its buffered answer becomes c's response
// and a panic is re-raised for Fiber. If it flushes (http.Flusher), the
// status and headers go out at once and the body is streamed with
// fasthttp's body stream writer, each Flush reaching the client; a write
// that fails (the client went away) cancels r's context.
func serveFiberPlain(c *fiber.Ctx, h http.Handler, r *http.Request, cancel context.CancelFunc) error {
	if sh, ok := h.(backends.StreamingHandler); ok && !sh.Streams(r) {
		defer cancel()
		w := &fiberResponseWriter{header: make(http.Header)}
		h.ServeHTTP(w, r)
		w.copyTo(c)
		return nil
	}
	st := &fiberStream{started: make(chan fiberStart, 1), chunks: make(chan []byte, 16)}
	w := &fiberResponseWriter{header: make(http.Header), stream: st}
	returned := make(chan struct{})
	go func() {
		defer close(st.chunks)
		defer close(returned)
		defer func() { st.panicked = recover() }()
		h.ServeHTTP(w, r)
	}()
	var start fiberStart
	select {
	case start = <-st.started:
	case <-returned:
		select {
		case start = <-st.started: // it flushed, then returned
		default:
			cancel()
			if st.panicked != nil {
				panic(st.panicked)
			}
			w.copyTo(c)
			return nil
		}
	}
	applyHeader(c, start.header)
	c.Response().SetStatusCode(start.status)
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		defer cancel()
		st.pump(bw, start.body, cancel)
	})
	return nil
}

// flush is http.Flusher's Flush for a plain request: the first call hands
// the answer's start over; later ones are implied, as every write after it
// is sent (and flushed once nothing else waits).
func (st *fiberStream) flush(w *fiberResponseWriter) {
	if w.streaming {
		return
	}
	w.WriteHeader(http.StatusOK) // unless h did
	w.streaming = true
	st.started <- fiberStart{status: w.status, header: w.header.Clone(), body: bytes.Clone(w.body.Bytes())}
	w.body.Reset()
}

// write sends p after the first Flush, waiting while the client is
// behind; it fails once a write to the client has.
func (st *fiberStream) write(p []byte) (int, error) {
	if st.failed.Load() {
		return 0, errFiberClientGone
	}
	st.chunks <- bytes.Clone(p)
	return len(p), nil
}

// pump writes the streamed body to bw until h returns. Once a write fails
// it cancels the request and discards the rest, so that h is never left
// waiting.
func (st *fiberStream) pump(bw *bufio.Writer, first []byte, cancel context.CancelFunc) {
	send := func(p []byte, flush bool) {
		if st.failed.Load() {
			return
		}
		_, err := bw.Write(p)
		if err == nil && flush {
			err = bw.Flush()
		}
		if err != nil {
			st.failed.Store(true)
			cancel()
		}
	}
	send(first, true)
	for p := range st.chunks {
		send(p, len(st.chunks) == 0)
	}
}

// applyHeader sets the headers of h on c's response: each replaces what
// earlier middleware set, except Set-Cookie, which adds. The length and
// transfer encoding are left to fasthttp.
func applyHeader(c *fiber.Ctx, h http.Header) {
	resp := c.Response()
	for k, vs := range h {
		switch k = http.CanonicalHeaderKey(k); k {
		case "Content-Length", "Transfer-Encoding":
			continue
		case "Set-Cookie":
		default:
			resp.Header.Del(k)
		}
		for _, v := range vs {
			resp.Header.Add(k, v)
		}
	}
}
