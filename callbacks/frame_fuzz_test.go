package callbacks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/callbacks"
	"github.com/authwire/authwire/ws"
)

// FuzzSocketFrame sends arbitrary frames over one real socket of the
// callbacks' WebSocket transport, each followed by a call of its own:
// every frame the server answers must be a JSON object of the wire
// protocol, the socket must stay open, and the follow-up call must be
// answered.
func FuzzSocketFrame(f *testing.F) {
	for _, seed := range []string{
		`{"id":"1","call":"echo","args":{"x":1}}`,
		`{"id":"2","call":"whoami"}`,
		`{"id":"3","cancel":true}`,
		`{"id":"4","call":"nope"}`,
		`{"id":"","call":"echo"}`,
		`not json`,
		`{"id":"5","call":"echo","args":`,
		`[1,2,3]`,
		`{"id":7,"call":"echo"}`,
		`{"id":"6","call":"echo","args":"` + string(make([]byte, 100)) + `"}`,
		`null`,
	} {
		f.Add([]byte(seed))
	}
	mux := http.NewServeMux()
	quiet := slog.New(slog.DiscardHandler)
	a, err := auth.New(mux, auth.WithUsers(map[string]string{"admin": "admin"}), auth.WithLogger(quiet))
	if err != nil {
		f.Fatal(err)
	}
	sockets, err := ws.New(a, ws.Config{Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	reg, err := callbacks.New(a, sockets, callbacks.Config{Logger: quiet, MaxArgsBytes: 4096})
	if err != nil {
		f.Fatal(err)
	}
	echo := func(_ context.Context, args json.RawMessage) (any, error) { return args, nil }
	if err := reg.Public("echo", echo); err != nil {
		f.Fatal(err)
	}
	if err := reg.Protected("whoami", echo); err != nil {
		f.Fatal(err)
	}
	if err := reg.Mount(mux); err != nil {
		f.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+srv.URL[len("http"):]+"/_callbacks/ws", nil)
	if err != nil {
		f.Fatal(err)
	}
	defer c.CloseNow()
	defer sockets.Shutdown(ctx)
	defer reg.Shutdown(ctx)

	n := 0
	f.Fuzz(func(t *testing.T, frame []byte) {
		n++
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := c.Write(ctx, websocket.MessageText, frame); err != nil {
			t.Fatalf("write: %v", err)
		}
		marker := fmt.Sprintf("fuzz-sentinel-%d", n)
		if err := c.Write(ctx, websocket.MessageText, []byte(`{"id":"`+marker+`","call":"echo","args":1}`)); err != nil {
			t.Fatalf("write: %v", err)
		}
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("the socket ended after %q: %v", frame, err)
			}
			var out struct {
				ID     string          `json:"id"`
				Result json.RawMessage `json:"result"`
				Data   json.RawMessage `json:"data"`
				Done   bool            `json:"done"`
				Error  *struct {
					Code, Message string
				} `json:"error"`
			}
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatalf("after %q the server sent %q, not a JSON object", frame, b)
			}
			if out.Error == nil && out.Result == nil && !out.Done && out.Data == nil {
				t.Fatalf("after %q: a frame with neither result nor error: %s", frame, b)
			}
			if out.Error != nil && (out.Error.Code == "" || out.Error.Code == callbacks.CodeInternal) {
				t.Fatalf("after %q: error frame %s", frame, b)
			}
			if out.ID == marker {
				if string(out.Result) != "1" {
					t.Fatalf("the follow-up call after %q: %s", frame, b)
				}
				return
			}
		}
	})
}
