package callbacks_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/callbacks"
	"github.com/authwire/authwire/ws"
)

// fixture is an app with the demo users and a registry with one callback
// of each kind, served over a real loopback listener.
type fixture struct {
	srv     *httptest.Server
	a       *auth.Auth
	reg     *callbacks.Registry
	sockets *ws.Server
	ran     atomic.Int32 // bodies of protected callbacks that ran
	release chan struct{}
}

func newFixture(t *testing.T, withSockets bool) *fixture {
	t.Helper()
	f := &fixture{release: make(chan struct{})}
	mux := http.NewServeMux()
	// A fresh random pair: KeysFromSecrets runs argon2id on every call.
	hashKey, blockKey := auth.GenerateKeyPair()
	keys := [][]byte{hashKey, blockKey}
	a, err := auth.New(mux,
		auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123"}),
		auth.WithUserGroups(map[string][]string{"admin": {"admin"}, "viewer": {"viewer"}}),
		auth.WithSessions(auth.SessionConfig{Keys: keys, InsecureCookies: true}),
		auth.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	)
	if err != nil {
		t.Fatal(err)
	}
	f.a = a
	if withSockets {
		if f.sockets, err = ws.New(a, ws.Config{}); err != nil {
			t.Fatal(err)
		}
	}
	if f.reg, err = callbacks.New(a, f.sockets, callbacks.Config{}); err != nil {
		t.Fatal(err)
	}
	f.register(t)
	mux.Handle("/_callbacks/", f.reg.Handler())
	f.srv = httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if f.sockets != nil {
			if err := f.sockets.Shutdown(ctx); err != nil {
				t.Errorf("ws Shutdown: %v", err)
			}
		}
		if err := f.reg.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		f.srv.Close()
	})
	return f
}

func (f *fixture) register(t *testing.T) {
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.reg.Public("echo", func(_ context.Context, args json.RawMessage) (any, error) { return args, nil }))
	must(f.reg.Protected("whoami", func(ctx context.Context, _ json.RawMessage) (any, error) {
		f.ran.Add(1)
		id := auth.FromContext(ctx)
		return map[string]any{"user": id.User, "groups": id.Groups}, nil
	}))
	must(f.reg.Protected("admin_stats", func(context.Context, json.RawMessage) (any, error) {
		f.ran.Add(1)
		return map[string]int{"users": 2}, nil
	}, auth.OneOf("admin")))
	must(f.reg.ProtectedStream("ticks", callbacks.Stream(func(ctx context.Context, a struct{ Count int }, emit func(map[string]int) error) error {
		f.ran.Add(1)
		for i := range a.Count {
			if err := emit(map[string]int{"n": i}); err != nil {
				return err
			}
		}
		return nil
	})))
	must(f.reg.ProtectedStream("forever", func(ctx context.Context, _ json.RawMessage, emit func(any) error) error {
		for i := 0; ; i++ {
			if err := emit(i); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}))
	must(f.reg.Public("panic", func(context.Context, json.RawMessage) (any, error) { panic("boom") }))
	must(f.reg.Public("fail", func(context.Context, json.RawMessage) (any, error) {
		return nil, errors.New("database password is hunter2")
	}))
	must(f.reg.Public("refuse", func(context.Context, json.RawMessage) (any, error) {
		return nil, callbacks.NewError(callbacks.CodeBadRequest, "count must be positive")
	}))
	must(f.reg.Register(callbacks.Callback{Name: "slow", Public: true, Timeout: 50 * time.Millisecond,
		Func: func(ctx context.Context, _ json.RawMessage) (any, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}}))
	must(f.reg.Register(callbacks.Callback{Name: "soft", Requires: []auth.Requirement{auth.OneOf("admin")},
		UnauthenticatedResult: "please log in", ForbiddenResult: "admins only",
		Func: func(context.Context, json.RawMessage) (any, error) { return "secret", nil }}))
}

type httpAnswer struct {
	status int
	body   string
	ctype  string
}

func (f *fixture) post(t *testing.T, name, body, user, pass string) httpAnswer {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+"/_callbacks/"+name, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return httpAnswer{res.StatusCode, string(b), res.Header.Get("Content-Type")}
}

func TestHTTPTransport(t *testing.T) {
	f := newFixture(t, false)
	tests := []struct {
		name, callback, body, user, pass string
		status                           int
		contains                         string
	}{
		{"public from anonymous", "echo", `{"x":[1,2]}`, "", "", 200, `{"result":{"x":[1,2]}}`},
		{"public with no body", "echo", ``, "", "", 200, `{"result":null}`},
		{"protected from anonymous", "whoami", `{}`, "", "", 401, `"code":"unauthenticated"`},
		{"protected with a wrong password", "whoami", `{}`, "admin", "nope", 401, `"code":"unauthenticated"`},
		{"protected", "whoami", `{}`, "viewer", "viewer123", 200, `"user":"viewer"`},
		{"wrong group", "admin_stats", `{}`, "viewer", "viewer123", 403, `"code":"forbidden"`},
		{"right group", "admin_stats", `{}`, "admin", "admin", 200, `{"result":{"users":2}}`},
		{"fallback for anonymous", "soft", `{}`, "", "", 200, `{"result":"please log in"}`},
		{"fallback for the wrong group", "soft", `{}`, "viewer", "viewer123", 200, `{"result":"admins only"}`},
		{"soft allowed", "soft", `{}`, "admin", "admin", 200, `{"result":"secret"}`},
		{"unknown", "nope", `{}`, "", "", 404, `"code":"not_found"`},
		{"invalid JSON", "echo", `{"x":`, "", "", 400, `"code":"bad_request"`},
		{"too large", "echo", `"` + strings.Repeat("a", 70<<10) + `"`, "", "", 413, `"code":"too_large"`},
		{"timeout", "slow", `{}`, "", "", 504, `"code":"timeout"`},
		{"panic", "panic", `{}`, "", "", 500, `"code":"internal"`},
		{"internal error hides details", "fail", `{}`, "", "", 500, `"message":"internal error"`},
		{"callback's own error", "refuse", `{}`, "", "", 400, `count must be positive`},
		{"typed args mismatch", "ticks", `{"Count":"x"}`, "admin", "admin", 400, `"code":"bad_request"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.ran.Load()
			got := f.post(t, tt.callback, tt.body, tt.user, tt.pass)
			if got.status != tt.status || !strings.Contains(got.body, tt.contains) {
				t.Fatalf("%d %s, want %d containing %s", got.status, got.body, tt.status, tt.contains)
			}
			if strings.Contains(got.body, "hunter2") {
				t.Fatal("an internal error leaked to the client")
			}
			if tt.status == 401 || tt.status == 403 {
				if f.ran.Load() != before {
					t.Fatal("the body of a denied callback ran")
				}
			}
		})
	}
	// The server survived the panic.
	if got := f.post(t, "echo", `1`, "", ""); got.status != 200 {
		t.Fatalf("after a panic: %d", got.status)
	}
}

func TestHTTPStream(t *testing.T) {
	f := newFixture(t, false)
	got := f.post(t, "ticks", `{"Count":3}`, "admin", "admin")
	if got.status != 200 || got.ctype != "application/x-ndjson" {
		t.Fatalf("%d %s", got.status, got.ctype)
	}
	want := `{"data":{"n":0}}` + "\n" + `{"data":{"n":1}}` + "\n" + `{"data":{"n":2}}` + "\n" + `{"done":true}` + "\n"
	if got.body != want {
		t.Fatalf("stream body %q, want %q", got.body, want)
	}
}

func TestHTTPMethodAndClient(t *testing.T) {
	f := newFixture(t, false)
	res, err := f.srv.Client().Get(f.srv.URL + "/_callbacks/echo")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 405 || res.Header.Get("Allow") != "POST" {
		t.Fatalf("GET a callback: %d %q", res.StatusCode, res.Header.Get("Allow"))
	}
	res, err = f.srv.Client().Get(f.srv.URL + "/_callbacks/client.js")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), "sessionended") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("client.js: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestRegistrationErrors(t *testing.T) {
	f := newFixture(t, false)
	fn := func(context.Context, json.RawMessage) (any, error) { return nil, nil }
	for name, cb := range map[string]callbacks.Callback{
		"bad name":       {Name: "a b", Func: fn, Public: true},
		"empty name":     {Name: "", Func: fn, Public: true},
		"no func":        {Name: "x"},
		"both funcs":     {Name: "x", Func: fn, Stream: func(context.Context, json.RawMessage, func(any) error) error { return nil }},
		"public rules":   {Name: "x", Func: fn, Public: true, Requires: []auth.Requirement{auth.OneOf("a")}},
		"nil rule":       {Name: "x", Func: fn, Requires: []auth.Requirement{nil}},
		"duplicate":      {Name: "echo", Func: fn, Public: true},
		"negative limit": {Name: "x", Func: fn, Public: true, Timeout: -1},
	} {
		if err := f.reg.Register(cb); err == nil {
			t.Errorf("%s: registered", name)
		}
	}
}

// TestNewRefusesPrefixes checks the prefixes callbacks.New refuses: one
// a registry has already (the message says it is a second registry), and
// any that does not look like /_callbacks, a trailing slash included.
func TestNewRefusesPrefixes(t *testing.T) {
	a, err := auth.New(http.NewServeMux(), auth.WithUsers(map[string]string{"u": "p"}))
	if err != nil {
		t.Fatal(err)
	}
	newReg := func(prefix string) (*callbacks.Registry, error) {
		reg, err := callbacks.New(a, nil, callbacks.Config{Prefix: prefix, Logger: slog.New(slog.DiscardHandler)})
		if reg != nil {
			t.Cleanup(func() { _ = reg.Shutdown(context.Background()) })
		}
		return reg, err
	}
	for _, p := range []string{"", "/api/v1.2/_cb~x", "/.well-known/cb"} {
		if _, err := newReg(p); err != nil {
			t.Errorf("first registry on %q: %v", p, err)
		}
	}
	for _, p := range []string{"", "/_callbacks", "/api/v1.2/_cb~x"} {
		reg, err := newReg(p)
		if reg != nil || !errors.Is(err, auth.ErrInvalidConfig) || !strings.Contains(err.Error(), "a second registry on prefix") {
			t.Errorf("second registry on %q: %v, %v; want an error saying it is a second registry", p, reg, err)
		}
	}
	for _, p := range []string{
		"/_callbacks/", "/", "_callbacks", "/a//b", "/a/./b", "/a/..", "/:x", "/a/*", "/a b",
		"/{x}", "/<x>", "/%41", `/a\b`, "/a\x00", "/é",
	} {
		reg, err := newReg(p)
		if reg != nil || !errors.Is(err, auth.ErrInvalidConfig) || !strings.Contains(err.Error(), "must look like /_callbacks") {
			t.Errorf("prefix %q: %v, %v; want an error saying what a prefix looks like", p, reg, err)
		}
	}
}

// TestHandlerSaysWhichCallsStream checks the handler's StreamingHandler
// answer, which lets fiberbackend.Handler run unary calls without a
// goroutine hand-off and still stream the streams.
func TestHandlerSaysWhichCallsStream(t *testing.T) {
	f := newFixture(t, false)
	sh, ok := f.reg.Handler().(backends.StreamingHandler)
	if !ok {
		t.Fatal("the registry's handler is not a backends.StreamingHandler")
	}
	for _, tc := range []struct {
		method, path string
		streams      bool
	}{
		{"POST", "/_callbacks/ticks", true},
		{"POST", "/_callbacks/echo", false},
		{"POST", "/_callbacks/nope", false},
		{"GET", "/_callbacks/ticks", false},
		{"GET", "/_callbacks/client.js", false},
		{"POST", "/elsewhere/ticks", false},
	} {
		if got := sh.Streams(httptest.NewRequest(tc.method, tc.path, nil)); got != tc.streams {
			t.Errorf("%s %s: Streams %v, want %v", tc.method, tc.path, got, tc.streams)
		}
	}
}
