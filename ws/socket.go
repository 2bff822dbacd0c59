package ws

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
)

// socket is one accepted connection: what the hub registers and closes.
type socket struct {
	srv    *Server
	id     *auth.Identity // nil for an anonymous socket of a PublicHandler
	client netip.Prefix   // an anonymous socket's client network (auth.Auth's ClientNetwork)
	ctx    context.Context
	cancel context.CancelCauseFunc
	conn   *websocket.Conn
	raw    *watchedConn

	mu        sync.Mutex
	closing   bool           // a close has begun; only one ever runs
	closeDone chan struct{}  // closed when that close has finished
	pinging   sync.WaitGroup // pings in flight, begun while not closing

	stopExpiry   func() bool    // nil without an expiry
	pingTimer    *time.Timer    // nil without pings
	recheckTimer *time.Timer    // nil without rechecks
	rights       *auth.Identity // the identity as last rechecked
}

func newSocket(s *Server, parent context.Context, id *auth.Identity) *socket {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	return &socket{srv: s, id: id, ctx: ctx, cancel: cancel, closeDone: make(chan struct{})}
}

// connClosed is called when the connection closes, for any reason.
func (sk *socket) connClosed() { sk.cancel(errConnClosed) }

// begin claims the right to close the socket; false if a close has begun.
func (sk *socket) begin() bool {
	sk.mu.Lock()
	defer sk.mu.Unlock()
	if sk.closing || sk.conn == nil {
		return false
	}
	sk.closing = true
	return true
}

// startClose begins closing the socket with code and reason in a goroutine
// of its own, and reports whether it did (false if a close had begun).
func (sk *socket) startClose(code websocket.StatusCode, reason string) bool {
	if !sk.begin() {
		return false
	}
	go sk.close(code, reason)
	return true
}

// close runs the close handshake with code and reason, after begin. The
// handler's context is cancelled the moment the close frame has been
// written (not before: a handler reading with that context would drop
// the connection, and the frame with it), and at the latest when the
// close ends. The whole close is bounded by the write timeout, after
// which the connection is dropped.
func (sk *socket) close(code websocket.StatusCode, reason string) {
	defer close(sk.closeDone)
	cause := websocket.CloseError{Code: code, Reason: reason}
	sk.raw.arm(closeFrame(code, reason), func() { sk.cancel(cause) })
	force := time.AfterFunc(sk.srv.cfg.WriteTimeout, func() {
		sk.cancel(cause)
		_ = sk.raw.Close() // makes the pending write or read fail
	})
	_ = sk.conn.Close(code, reason)
	force.Stop()
	sk.cancel(cause)
}

// drop closes the connection without a close handshake, for a peer that
// no longer answers.
func (sk *socket) drop() {
	if !sk.begin() {
		return
	}
	defer close(sk.closeDone)
	sk.cancel(errPeerGone)
	_ = sk.conn.CloseNow()
}

// finish ends the socket after its handler returned: it is closed with
// code and reason unless a close has begun, in which case finish waits for
// that close. Then pings in flight are awaited and the context cancelled.
func (sk *socket) finish(code websocket.StatusCode, reason string) {
	if sk.stopExpiry != nil {
		sk.stopExpiry()
	}
	sk.mu.Lock()
	if sk.pingTimer != nil {
		sk.pingTimer.Stop()
	}
	if sk.recheckTimer != nil {
		sk.recheckTimer.Stop()
	}
	sk.mu.Unlock()
	if sk.begin() {
		sk.close(code, reason)
	} else {
		<-sk.closeDone
	}
	sk.pinging.Wait()
	sk.cancel(errHandlerDone)
}

// watchExpiry closes the socket with 4401 when its identity expires. It
// reports false if it has already expired.
func (sk *socket) watchExpiry() bool {
	if sk.id == nil || sk.id.ExpiresAt.IsZero() {
		return true
	}
	d := sk.id.ExpiresAt.Sub(sk.srv.clock.now())
	if d <= 0 {
		return false
	}
	sk.stopExpiry = sk.srv.clock.afterFunc(d, func() {
		sk.startClose(StatusUnauthenticated, reasonExpired)
	})
	return true
}

// startPings pings the peer every PingInterval, unless pings are off.
func (sk *socket) startPings() {
	if sk.srv.cfg.PingInterval < 0 {
		return
	}
	sk.mu.Lock()
	defer sk.mu.Unlock()
	sk.pingTimer = time.AfterFunc(sk.srv.cfg.PingInterval, sk.ping)
}

// ping sends one ping and waits for its pong, for at most the write
// timeout; the socket is dropped if none comes. The pong is read by the
// handler's reads, as coder/websocket requires.
func (sk *socket) ping() {
	sk.mu.Lock()
	if sk.closing {
		sk.mu.Unlock()
		return
	}
	sk.pinging.Add(1)
	sk.mu.Unlock()
	defer sk.pinging.Done()

	// Not the handler's context: cancelling a ping's context while it
	// writes would drop the connection under a close frame.
	ctx, cancel := context.WithTimeout(context.Background(), sk.srv.cfg.WriteTimeout)
	err := sk.conn.Ping(ctx)
	cancel()
	if err != nil {
		sk.drop()
		return
	}
	sk.mu.Lock()
	if !sk.closing {
		sk.pingTimer.Reset(sk.srv.cfg.PingInterval)
	}
	sk.mu.Unlock()
}
