package backends

import (
	"net/http/httptest"
	"testing"
)

func TestIsWebSocketHandshake(t *testing.T) {
	tests := []struct {
		method, connection, upgrade string
		want                        bool
	}{
		{"GET", "Upgrade", "websocket", true},
		{"GET", "keep-alive, Upgrade", "WebSocket", true},
		{"GET", " upgrade ", "h2c, websocket", true},
		{"POST", "Upgrade", "websocket", false},
		{"GET", "", "websocket", false},
		{"GET", "Upgrade", "", false},
		{"GET", "keep-alive", "websocket", false},
		{"GET", "Upgrade", "websocketx", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "/ws", nil)
		if tt.connection != "" {
			r.Header.Set("Connection", tt.connection)
		}
		if tt.upgrade != "" {
			r.Header.Set("Upgrade", tt.upgrade)
		}
		if got := IsWebSocketHandshake(HTTPExchange(nil, r)); got != tt.want {
			t.Errorf("%s Connection=%q Upgrade=%q: %v, want %v", tt.method, tt.connection, tt.upgrade, got, tt.want)
		}
	}
}
