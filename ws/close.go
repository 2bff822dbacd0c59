package ws

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"

	"github.com/coder/websocket"
)

// Close codes the server sends, in the private-use range (RFC 6455 7.4.2)
// and mirroring the HTTP status a non-browser client would get.
const (
	// StatusUnauthenticated (4401) closes a socket whose caller is not
	// authenticated, or whose session expired, was logged out or revoked.
	// The client should send the user to log in, then reconnect; retrying
	// on its own cannot succeed.
	StatusUnauthenticated websocket.StatusCode = 4401
	// StatusForbidden (4403) closes a socket whose caller is authenticated
	// but fails a group requirement of the route. The client must not
	// retry.
	StatusForbidden websocket.StatusCode = 4403
)

// Close reasons. They are constant, as coder/websocket advises, and short
// (a close reason holds at most 123 bytes).
const (
	reasonAuthRequired  = "authentication required"
	reasonExpired       = "session expired"
	reasonEnded         = "session ended"
	reasonForbidden     = "forbidden"
	reasonShutdown      = "server shutting down"
	reasonInternal      = "internal error"
	reasonTooMany       = "too many anonymous sockets from this client"
	reasonRightsChanged = "rights changed"
)

// Causes of a handler context's cancellation other than a close the server
// sent (which is a websocket.CloseError).
var (
	// errConnClosed: the connection closed (the peer closed it, it broke,
	// or the handler closed it).
	errConnClosed = fmt.Errorf("ws: connection closed: %w", net.ErrClosed)
	// errPeerGone: a ping was not answered within the write timeout.
	errPeerGone = fmt.Errorf("ws: ping not answered: %w", net.ErrClosed)
	// errHandlerDone: the handler returned.
	errHandlerDone = errors.New("ws: handler returned")
)

// closeFrame returns the bytes of the unmasked close frame a server sends
// with code and reason: FIN+opcode 8, the payload length, the code and
// the reason. reason must be at most 123 bytes, as the constants are.
func closeFrame(code websocket.StatusCode, reason string) []byte {
	b := make([]byte, 4+len(reason))
	b[0] = 0x88
	b[1] = byte(2 + len(reason))
	binary.BigEndian.PutUint16(b[2:], uint16(code))
	copy(b[4:], reason)
	return b
}
