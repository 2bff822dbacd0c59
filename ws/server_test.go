package ws

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
)

func testAuth(t *testing.T) *auth.Auth {
	t.Helper()
	a, err := auth.New(http.NewServeMux(), auth.WithUsers(map[string]string{"u": "p"}))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNewValidates(t *testing.T) {
	a := testAuth(t)
	if _, err := New(nil, Config{}); !errors.Is(err, auth.ErrInvalidConfig) {
		t.Fatalf("New(nil): %v", err)
	}
	for name, cfg := range map[string]Config{
		"negative ReadLimit":    {ReadLimit: -1},
		"negative WriteTimeout": {WriteTimeout: -time.Second},
		"malformed pattern":     {OriginPatterns: []string{"[a-"}},
		"empty pattern":         {OriginPatterns: []string{""}},
		"padded pattern":        {OriginPatterns: []string{" example.com"}},
		"any origin":            {OriginPatterns: []string{"*"}},
		"any origin, scheme":    {OriginPatterns: []string{"https://*"}},
		"scheme without host":   {OriginPatterns: []string{"https://"}},
		"user info":             {OriginPatterns: []string{"https://x@good.example"}},
		"path":                  {OriginPatterns: []string{"good.example/app"}},
		"bad scheme":            {OriginPatterns: []string{"1http://good.example"}},
	} {
		if _, err := New(a, cfg); !errors.Is(err, auth.ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", name, err)
		}
	}
	s, err := New(a, Config{OriginPatterns: []string{"*.example.com", "https://app.example.org"}, PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.ReadLimit != DefaultReadLimit || s.cfg.WriteTimeout != DefaultWriteTimeout || s.cfg.PingInterval >= 0 || s.log == nil {
		t.Fatalf("defaults: %+v", s.cfg)
	}
	d, _ := New(a, Config{})
	if d.cfg.PingInterval != DefaultPingInterval {
		t.Fatalf("default PingInterval %v", d.cfg.PingInterval)
	}
}

func TestBrokenHandlersFailClosed(t *testing.T) {
	s, err := New(testAuth(t), Config{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]http.Handler{
		"nil handler":            s.Handler(nil),
		"nil public handler":     s.PublicHandler(nil),
		"nil requirement":        s.Handler(func(context.Context, *websocket.Conn, *auth.Identity) {}, auth.OneOf("a"), nil),
		"not a hijackable write": s.PublicHandler(func(context.Context, *websocket.Conn, *auth.Identity) {}),
	} {
		r := httptest.NewRequest("GET", "/ws", nil)
		r.Header.Set("Connection", "Upgrade")
		r.Header.Set("Upgrade", "websocket")
		w := httptest.NewRecorder() // cannot be hijacked
		h.ServeHTTP(w, r)
		if w.Code < 500 {
			t.Errorf("%s: %d, want 5xx", name, w.Code)
		}
	}
}

func TestCloseFrame(t *testing.T) {
	got := closeFrame(StatusUnauthenticated, "x")
	want := []byte{0x88, 3, 0x11, 0x31, 'x'}
	if !bytes.Equal(got, want) {
		t.Fatalf("closeFrame = %x, want %x", got, want)
	}
	for _, r := range []string{reasonAuthRequired, reasonExpired, reasonEnded, reasonForbidden, reasonShutdown, reasonInternal} {
		if len(r) > 123 {
			t.Fatalf("reason %q too long for a close frame", r)
		}
	}
}

func TestFrameWatch(t *testing.T) {
	frame := closeFrame(StatusUnauthenticated, reasonEnded)
	for name, writes := range map[string][][]byte{
		"alone":          {frame},
		"after data":     {append([]byte("some data frame"), frame...)},
		"split in three": {append([]byte("data"), frame[:1]...), frame[1:5], frame[5:]},
		"byte by byte":   splitBytes(append([]byte("xy"), frame...)),
	} {
		fired := 0
		w := &frameWatch{want: frame, sent: func() { fired++ }}
		for _, p := range writes {
			w.observe(p)
		}
		w.observe(frame) // fires only once
		if fired != 1 {
			t.Errorf("%s: fired %d times, want 1", name, fired)
		}
	}
	fired := false
	w := &frameWatch{want: frame, sent: func() { fired = true }}
	w.observe(frame[:len(frame)-1])
	w.observe([]byte("z"))
	if fired {
		t.Fatal("fired on a different frame")
	}
}

func splitBytes(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = b[i : i+1]
	}
	return out
}

// TestContextCancelledWhenCloseFrameLeaves checks that a server-side close
// cancels the handler's context as soon as the close frame is written,
// while the peer has not answered the close handshake yet: a handler that
// waits only on its context returns.
func TestContextCancelledWhenCloseFrameLeaves(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{})
		cookie, sid := app.login("admin", "admin")
		returned := make(chan error, 1)
		h := app.s.Handler(func(ctx context.Context, c *websocket.Conn, id *auth.Identity) {
			<-ctx.Done()
			returned <- context.Cause(ctx)
		})
		// Serve the blocking handler on a listener of its own, with the
		// identity the guard would attach.
		mux := http.NewServeMux()
		mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := &auth.Identity{User: "admin", SessionID: sid}
			h.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), id)))
		}))
		base := newPlainServer(t, mux)
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		c, _, err := websocket.Dial(ctx, "ws"+base[len("http"):]+"/", &websocket.DialOptions{HTTPClient: app.client, HTTPHeader: cookieHeader(cookie)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		for app.s.Len() == 0 {
			time.Sleep(time.Millisecond)
		}
		if n := app.s.CloseSession(sid); n != 1 {
			t.Fatalf("CloseSession = %d", n)
		}
		// The client has not read anything, so has not answered.
		select {
		case cause := <-returned:
			var ce websocket.CloseError
			if !errors.As(cause, &ce) || ce.Code != StatusUnauthenticated {
				t.Fatalf("cause %v", cause)
			}
		case <-ctx.Done():
			t.Fatal("handler context not cancelled")
		}
		expectClose(t, c, StatusUnauthenticated)
	})
}
