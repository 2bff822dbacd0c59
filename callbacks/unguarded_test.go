package callbacks_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/callbacks"
	"github.com/authwire/authwire/internal/servetest"
	"github.com/authwire/authwire/ws"
)

// TestServedMuxFailsClosed serves a net/http app the wrong way, the mux
// instead of a.Handler(), so that no request meets the guard: every
// handler authwire gave out must answer 500, never its page, and the
// mistake is logged once. Served the right way, the same app answers.
func TestServedMuxFailsClosed(t *testing.T) {
	var logs servetest.SyncBuffer
	mux := http.NewServeMux()
	a, err := auth.New(mux,
		auth.WithUsers(map[string]string{"admin": "admin"}),
		auth.WithUserGroups(map[string][]string{"admin": {"admin"}}),
		auth.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
	)
	if err != nil {
		t.Fatal(err)
	}
	sockets, err := ws.New(a, ws.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := callbacks.New(a, sockets, callbacks.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Public("echo", func(_ context.Context, args json.RawMessage) (any, error) { return args, nil }); err != nil {
		t.Fatal(err)
	}
	if err := reg.Mount(mux); err != nil {
		t.Fatal(err)
	}
	echo := func(ctx context.Context, c *websocket.Conn, _ *auth.Identity) {
		_ = c.Close(websocket.StatusNormalClosure, "")
	}
	if err := sockets.Mount(mux, "/ws/echo", echo); err != nil {
		t.Fatal(err)
	}
	mux.Handle("GET /admin", a.Require(auth.OneOf("admin"))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "admin page")
	})))
	t.Cleanup(func() { _ = sockets.Shutdown(context.Background()); _ = reg.Shutdown(context.Background()) })

	statuses := func(h http.Handler) (admin, call, socket int) {
		srv := httptest.NewServer(h)
		defer srv.Close()
		req, _ := http.NewRequest("GET", srv.URL+"/admin", nil)
		req.SetBasicAuth("admin", "admin")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusOK && string(body) != "admin page" {
			t.Errorf("GET /admin: 200 %q", body)
		}
		admin = res.StatusCode

		req, _ = http.NewRequest("POST", srv.URL+"/_callbacks/echo", strings.NewReader(`{"x":1}`))
		req.Header.Set("Content-Type", "application/json")
		if res, err = http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		call = res.StatusCode
		if call != http.StatusOK && !strings.Contains(string(body), `"code":"internal"`) {
			t.Errorf("callback refused without the wire protocol's error: %d %s", call, body)
		}

		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		hdr := http.Header{"Authorization": {"Basic YWRtaW46YWRtaW4="}}
		c, res, err := websocket.Dial(ctx, "ws"+srv.URL[len("http"):]+"/ws/echo", &websocket.DialOptions{HTTPHeader: hdr})
		if err == nil {
			c.CloseNow()
			return admin, call, http.StatusSwitchingProtocols
		}
		if res == nil {
			t.Fatalf("dial: %v", err)
		}
		return admin, call, res.StatusCode
	}

	admin, call, socket := statuses(mux) // the mistake
	if admin != 500 || call != 500 || socket != 500 {
		t.Errorf("serving the mux: /admin %d, callback %d, socket %d; want 500 for each", admin, call, socket)
	}
	if n := strings.Count(logs.String(), "serve a.Handler()"); n != 1 {
		t.Errorf("the mistake was logged %d times, want once:\n%s", n, logs.String())
	}
	admin, call, socket = statuses(a.Handler()) // the right way
	if admin != 200 || call != 200 || socket != http.StatusSwitchingProtocols {
		t.Errorf("serving a.Handler(): /admin %d, callback %d, socket %d", admin, call, socket)
	}
}
