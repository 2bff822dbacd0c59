package callbacks_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
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

// TestServedMuxServesNoLogin checks the login and logout routes of an app
// whose mux is served instead of a.Handler(). The guard serves them
// itself, so a served mux has no such routes: no answer may be a page or
// a redirect, and none may set a cookie, even to a browser holding a
// valid form token and a session got the right way.
func TestServedMuxServesNoLogin(t *testing.T) {
	mux := http.NewServeMux()
	hash, block := auth.GenerateKeyPair()
	a, err := auth.New(mux,
		auth.WithUsers(map[string]string{"admin": "admin"}),
		auth.WithSessions(auth.SessionConfig{Keys: [][]byte{hash, block}}),
		auth.WithLoginForm(auth.LoginConfig{}),
		auth.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		t.Fatal(err)
	}
	right, wrong := httptest.NewServer(a.Handler()), httptest.NewServer(mux)
	defer right.Close()
	defer wrong.Close()
	do := func(base, method, path, body, cookie string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	cookie := func(res *http.Response, name string) string {
		for _, c := range res.Cookies() {
			if c.Name == name {
				return c.Value
			}
		}
		return ""
	}

	// The right way: the form, its token, a login and a session.
	req, _ := http.NewRequest("GET", right.URL+"/login", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(page)
	bind := "authwire_login=" + cookie(res, "authwire_login")
	if res.StatusCode != http.StatusOK || token == nil || bind == "authwire_login=" {
		t.Fatalf("GET /login on a.Handler(): %d, token found %v, binding cookie %q", res.StatusCode, token != nil, bind)
	}
	form := url.Values{"username": {"admin"}, "password": {"admin"}, "csrf_token": {string(token[1])}}.Encode()
	res = do(right.URL, "POST", "/login", form, bind)
	session := cookie(res, auth.DefaultSessionCookie)
	if res.StatusCode != http.StatusSeeOther || session == "" {
		t.Fatalf("POST /login on a.Handler(): %d, session cookie %v", res.StatusCode, session != "")
	}

	// The mistake: the same requests reach no login route.
	for _, tc := range []struct{ method, path, body, cookie string }{
		{"GET", "/login", "", ""},
		{"HEAD", "/login", "", ""},
		{"POST", "/login", form, bind},
		{"POST", "/logout", "", auth.DefaultSessionCookie + "=" + session},
		{"POST", "/logout", "", ""},
	} {
		res := do(wrong.URL, tc.method, tc.path, tc.body, tc.cookie)
		if res.StatusCode < 400 {
			t.Errorf("%s %s on the served mux: %d, want no page and no redirect", tc.method, tc.path, res.StatusCode)
		}
		if c := res.Header.Values("Set-Cookie"); len(c) != 0 {
			t.Errorf("%s %s on the served mux set cookies %q", tc.method, tc.path, c)
		}
	}
}
