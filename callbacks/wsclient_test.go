package callbacks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/callbacks"
)

// wsClient is a coder/websocket client of the callbacks socket.
type wsClient struct {
	t testing.TB
	c *websocket.Conn
}

// dial opens the callbacks socket, with the session cookie when given.
func (app *testApp) dial(t testing.TB, cookie string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	h := http.Header{}
	if cookie != "" {
		h.Set("Cookie", auth.DefaultSessionCookie+"="+cookie)
	}
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(app.base, "http")+"/_callbacks/ws",
		&websocket.DialOptions{HTTPClient: app.client, HTTPHeader: h})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: t, c: c}
}

// frame is a frame the server sends.
type frame struct {
	ID     *string          `json:"id"`
	Result json.RawMessage  `json:"result"`
	Data   json.RawMessage  `json:"data"`
	Done   bool             `json:"done"`
	Error  *callbacks.Error `json:"error"`
	raw    string
}

func (f frame) id() string {
	if f.ID == nil {
		return ""
	}
	return *f.ID
}

func (f frame) code() string {
	if f.Error == nil {
		return ""
	}
	return f.Error.Code
}

// call sends a call frame.
func (cl *wsClient) call(id, name string, args any) {
	cl.t.Helper()
	cl.send(map[string]any{"id": id, "call": name, "args": args})
}

// send sends v as a JSON text frame.
func (cl *wsClient) send(v any) {
	cl.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		cl.t.Fatal(err)
	}
	cl.sendRaw(websocket.MessageText, b)
}

func (cl *wsClient) sendRaw(typ websocket.MessageType, b []byte) {
	cl.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := cl.c.Write(ctx, typ, b); err != nil {
		cl.t.Fatalf("write: %v", err)
	}
}

// read reads the next frame, or returns the read error.
func (cl *wsClient) read() (frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	typ, b, err := cl.c.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	var f frame
	if typ != websocket.MessageText {
		cl.t.Errorf("the server sent a %v frame", typ)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		cl.t.Errorf("the server sent %q: %v", b, err)
	}
	f.raw = string(b)
	return f, nil
}

// next reads the next frame, failing the test if there is none.
func (cl *wsClient) next() frame {
	cl.t.Helper()
	f, err := cl.read()
	if err != nil {
		cl.t.Fatalf("read: %v", err)
	}
	return f
}

// final reads until the frame that ends call id, skipping its data frames;
// it fails on a frame of another call.
func (cl *wsClient) final(id string) frame {
	cl.t.Helper()
	for {
		f := cl.next()
		switch {
		case f.id() != id:
			cl.t.Fatalf("waiting for the end of call %q, got %s", id, f.raw)
		case f.Data != nil:
			continue
		}
		return f
	}
}

// cancel sends a cancel frame for call id and returns the frame that ends
// the call, after failing the test unless it is the "cancelled" error.
func (cl *wsClient) cancel(id string) frame {
	cl.t.Helper()
	cl.send(map[string]any{"id": id, "cancel": true})
	f := cl.final(id)
	if f.code() != callbacks.CodeCancelled {
		cl.t.Fatalf("call %q after its cancel frame: %s", id, f.raw)
	}
	return f
}

// roundTrip calls name and returns the frame that ends the call.
func (cl *wsClient) roundTrip(id, name string, args any) frame {
	cl.t.Helper()
	cl.call(id, name, args)
	return cl.final(id)
}

// mustEcho checks that the socket still answers calls.
func (cl *wsClient) mustEcho() {
	cl.t.Helper()
	f := cl.roundTrip("echo-check", "echo", map[string]int{"still": 1})
	if string(f.Result) != `{"still":1}` {
		cl.t.Fatalf("echo after: %s", f.raw)
	}
}

// expectClose reads until the socket closes and checks its close code;
// frames before the close are skipped.
func (cl *wsClient) expectClose(code websocket.StatusCode) {
	cl.t.Helper()
	for {
		f, err := cl.read()
		if err == nil {
			if f.Data == nil && f.Error == nil && f.Result == nil && !f.Done {
				cl.t.Fatalf("unexpected frame %s", f.raw)
			}
			continue
		}
		if got := websocket.CloseStatus(err); got != code {
			cl.t.Fatalf("socket ended with %v (close status %d), want %d", err, got, code)
		}
		return
	}
}

// wait waits for ch to close.
func wait(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitFor):
		t.Fatalf("%s: not within %v", what, waitFor)
	}
}
