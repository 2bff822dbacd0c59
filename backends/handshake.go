package backends

import (
	"net/http"
	"strings"
)

// IsWebSocketHandshake reports whether x opens a WebSocket (RFC 6455,
// section 4.1): a GET whose Connection header lists "upgrade" and whose
// Upgrade header lists "websocket", both compared without case. Only the
// first line of each header is read, as browsers send one. The rest of the
// handshake (version, key) is left to the WebSocket library, which answers
// a malformed one itself. The guard, the ws package and the Fiber shim all
// decide with this one function.
func IsWebSocketHandshake(x Exchange) bool {
	return x.Method() == http.MethodGet &&
		hasToken(x.Header("Connection"), "upgrade") &&
		hasToken(x.Header("Upgrade"), "websocket")
}

// hasToken reports whether the comma-separated list holds token.
func hasToken(list, token string) bool {
	for t := range strings.SplitSeq(list, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}
