package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// newServer guards a small mux with opts and serves it on a real loopback
// listener. The handlers echo the identity they see.
func newServer(t *testing.T, opts ...auth.Option) (*httptest.Server, *auth.Auth) {
	t.Helper()
	mux := http.NewServeMux()
	who := func(w http.ResponseWriter, r *http.Request) {
		id := auth.FromContext(r.Context())
		if id == nil {
			io.WriteString(w, "anonymous")
			return
		}
		io.WriteString(w, id.User+" "+strings.Join(id.Groups, ","))
	}
	mux.HandleFunc("/", who)
	mux.HandleFunc("/public/{rest...}", who)
	a, err := auth.New(mux, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux.Handle("GET /admin", a.Require(auth.OneOf("admin"))(http.HandlerFunc(who)))
	mux.HandleFunc("GET /csrf", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, a.CSRFToken(r.Context()))
	})
	mux.HandleFunc("GET /logout-form", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, string(a.LogoutForm(r.Context())))
	})
	mux.HandleFunc("GET /sid", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, auth.FromContext(r.Context()).SessionID)
	})
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv, a
}

type request struct {
	method  string
	path    string
	headers map[string]string
	user    string
	pass    string
}

type answer struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, srv *httptest.Server, rq request) answer {
	t.Helper()
	if rq.method == "" {
		rq.method = http.MethodGet
	}
	req, err := http.NewRequest(rq.method, srv.URL+rq.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rq.user != "" || rq.pass != "" {
		req.SetBasicAuth(rq.user, rq.pass)
	}
	for k, v := range rq.headers {
		req.Header.Set(k, v)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(b)}
}

// browserNavigation is the Fetch Metadata a browser's navigation
// carries; with it, a Basic login starts a session.
var browserNavigation = map[string]string{"Sec-Fetch-Mode": "navigate"}

var demoUsers = auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123", "ünï": "pä:ss"})
var demoGroups = auth.WithUserGroups(map[string][]string{"admin": {"admin", "ops"}, "viewer": {"viewer"}})

func TestGuardNetHTTP(t *testing.T) {
	srv, _ := newServer(t, demoUsers, demoGroups, auth.WithPublicRoutes("/public/<path:rest>"), auth.WithRealm("demo"))
	const challenge = `Basic realm="demo", charset="UTF-8"`
	tests := []struct {
		name      string
		rq        request
		status    int
		body      string // substring
		challenge bool
	}{
		{"public anonymous", request{path: "/public/x"}, 200, "anonymous", false},
		{"public with bad header", request{path: "/public/x", headers: map[string]string{"Authorization": "Basic !!"}}, 200, "anonymous", false},
		{"protected anonymous", request{path: "/"}, 401, `"code":"unauthenticated"`, true},
		{"unknown path anonymous", request{path: "/no/such/page"}, 401, "unauthenticated", true},
		{"right password", request{path: "/", user: "admin", pass: "admin"}, 200, "admin admin,ops", false},
		{"utf-8 and colon", request{path: "/", user: "ünï", pass: "pä:ss"}, 200, "ünï", false},
		{"wrong password", request{path: "/", user: "admin", pass: "nope"}, 401, "unauthenticated", true},
		{"unknown user", request{path: "/", user: "mallory", pass: "admin"}, 401, "unauthenticated", true},
		{"empty user", request{path: "/", user: "", pass: "admin"}, 401, "unauthenticated", true},
		{"lowercase scheme", request{path: "/", headers: map[string]string{"Authorization": "basic YWRtaW46YWRtaW4="}}, 200, "admin", false},
		{"bearer is not basic", request{path: "/", headers: map[string]string{"Authorization": "Bearer abc"}}, 401, "unauthenticated", true},
		{"malformed", request{path: "/", headers: map[string]string{"Authorization": "Basic !!!"}}, 400, `"code":"bad_request"`, false},
		{"no colon", request{path: "/", headers: map[string]string{"Authorization": "Basic YWRtaW4="}}, 400, "bad_request", false},
		{"too large", request{path: "/", headers: map[string]string{"Authorization": "Basic " + strings.Repeat("A", 9000)}}, 431, `"code":"too_large"`, false},
		{"browser gets html", request{path: "/", headers: map[string]string{"Accept": "text/html,*/*"}}, 401, "<h1>Unauthorized</h1>", true},
		{"xhr gets json", request{path: "/", headers: map[string]string{"Accept": "text/html", "X-Requested-With": "XMLHttpRequest"}}, 401, `"code"`, true},
		{"admin group", request{path: "/admin", user: "admin", pass: "admin"}, 200, "admin", false},
		{"viewer forbidden", request{path: "/admin", user: "viewer", pass: "viewer123"}, 403, `"code":"forbidden"`, false},
		{"admin anonymous", request{path: "/admin"}, 401, "unauthenticated", true},
		{"OPTIONS protected", request{method: http.MethodOptions, path: "/"}, 401, "", true},
		{"HEAD protected", request{method: http.MethodHead, path: "/"}, 401, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, srv, tt.rq)
			if got.status != tt.status {
				t.Fatalf("status = %d, want %d (body %q)", got.status, tt.status, got.body)
			}
			if !strings.Contains(got.body, tt.body) {
				t.Fatalf("body %q does not contain %q", got.body, tt.body)
			}
			if tt.rq.method == http.MethodHead && got.body != "" {
				t.Fatalf("HEAD answered with a body")
			}
			wa := got.header.Get("WWW-Authenticate")
			if tt.challenge != (wa != "") {
				t.Fatalf("WWW-Authenticate = %q, want present=%v", wa, tt.challenge)
			}
			if tt.challenge {
				if wa != challenge {
					t.Fatalf("WWW-Authenticate = %q, want %q", wa, challenge)
				}
				if v := got.header.Get("Vary"); !strings.Contains(v, "Authorization") {
					t.Fatalf("Vary = %q", v)
				}
			}
			if tt.status >= 400 {
				if cc := got.header.Get("Cache-Control"); cc != "no-store" {
					t.Fatalf("Cache-Control = %q", cc)
				}
				if tt.status != 403 && tt.status < 500 && strings.Contains(got.body, "anonymous") {
					t.Fatal("handler ran on a refused request")
				}
			}
		})
	}
}

func TestGuardRejectsDuplicateAuthorization(t *testing.T) {
	srv, _ := newServer(t, demoUsers)
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Add("Authorization", "Basic YWRtaW46YWRtaW4=")
	req.Header.Add("Authorization", "Basic dmlld2VyOnZpZXdlcjEyMw==")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400", res.StatusCode)
	}
}

func TestGuardAnswersJSONErrorShape(t *testing.T) {
	srv, _ := newServer(t, demoUsers)
	got := do(t, srv, request{path: "/"})
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(got.body), &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", got.body, err)
	}
	if body.Error.Code != "unauthenticated" || body.Error.Message == "" {
		t.Fatalf("body = %+v", body)
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
}

// TestHTMLErrorPagesAreNotFramed checks the pages the guard answers a
// browser with: never cached, never framed, running nothing.
func TestHTMLErrorPagesAreNotFramed(t *testing.T) {
	srv, _ := newServer(t, demoUsers)
	got := do(t, srv, request{path: "/admin", user: "viewer", pass: "viewer123", headers: map[string]string{"Accept": "text/html"}})
	if got.status != http.StatusForbidden || !strings.HasPrefix(got.header.Get("Content-Type"), "text/html") {
		t.Fatalf("viewer's browser on /admin: %d %q", got.status, got.header.Get("Content-Type"))
	}
	if got.header.Get("Cache-Control") != "no-store" || got.header.Get("X-Frame-Options") != "DENY" ||
		!strings.Contains(got.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("HTML error page headers: %v", got.header)
	}
}

func TestAddPublicRoutes(t *testing.T) {
	srv, a := newServer(t, demoUsers)
	if got := do(t, srv, request{path: "/healthz"}); got.status != 401 {
		t.Fatalf("/healthz is public before it was configured: %d", got.status)
	}
	if err := a.AddPublicRoutes("/healthz", "/user/<int:id>/public"); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"/healthz": 200, "/user/7/public": 200, "/user/x/public": 401, "/user/7/private": 401} {
		if got := do(t, srv, request{path: path}); got.status != want {
			t.Errorf("%s: status %d, want %d", path, got.status, want)
		}
	}
	if err := a.AddPublicRoutes("/ok", "no-slash"); !errors.Is(err, auth.ErrBadPattern) {
		t.Fatalf("bad pattern error = %v", err)
	}
	if got := do(t, srv, request{path: "/ok"}); got.status != 401 {
		t.Fatalf("a rejected batch was partly added")
	}
}

func TestNewRejectsMisconfiguration(t *testing.T) {
	mux := http.NewServeMux()
	fn := auth.WithVerifyFunc(func(_ context.Context, user, pw string) (bool, error) { return false, nil })
	tests := []struct {
		name string
		app  any
		opts []auth.Option
	}{
		{"no credentials", mux, nil},
		{"map and function", mux, []auth.Option{demoUsers, fn}},
		{"map and pairs", mux, []auth.Option{demoUsers, auth.WithUserPairs([2]string{"a", "b"})}},
		{"empty user name", mux, []auth.Option{auth.WithUsers(map[string]string{"": "x"})}},
		{"colon in user name", mux, []auth.Option{auth.WithUsers(map[string]string{"a:b": "x"})}},
		{"empty password", mux, []auth.Option{auth.WithUsers(map[string]string{"a": ""})}},
		{"empty user map", mux, []auth.Option{auth.WithUsers(map[string]string{})}},
		{"malformed hash", mux, []auth.Option{auth.WithHashedUsers(map[string]string{"a": "$2y$10$short"})}},
		{"plaintext as hash", mux, []auth.Option{auth.WithHashedUsers(map[string]string{"a": "hunter2"})}},
		{"missing htpasswd", mux, []auth.Option{auth.WithHtpasswdFile("/nonexistent/htpasswd")}},
		{"groups without credentials", mux, []auth.Option{demoGroups}},
		{"two group sources", mux, []auth.Option{demoUsers, demoGroups, auth.WithHtgroupFile("x")}},
		{"bad public route", mux, []auth.Option{demoUsers, auth.WithPublicRoutes("/a/<float:x>")}},
		{"realm with newline", mux, []auth.Option{demoUsers, auth.WithRealm("a\nb")}},
		{"tiny header limit", mux, []auth.Option{demoUsers, auth.WithMaxHeaderBytes(1)}},
		{"nil option", mux, []auth.Option{demoUsers, nil}},
		{"nil verify func", mux, []auth.Option{auth.WithVerifyFunc(nil)}},
		{"zero hash slots", mux, []auth.Option{demoUsers, auth.WithMaxConcurrentHashes(0)}},
		{"Gin wildcard", mux, []auth.Option{demoUsers, auth.WithPublicRoutes("/static/*")}},
		{"Gin parameter", mux, []auth.Option{demoUsers, auth.WithPublicRoutes("/user/:id/public")}},
		{"route declared twice", mux, []auth.Option{demoUsers, auth.WithPublicRoutes("/a"), auth.WithPublicRoutes("/a")}},
		{"socket route declared twice", mux, []auth.Option{demoUsers, auth.WithWebSocketRoutes("/ws", "/ws")}},
		{"unknown app", struct{}{}, []auth.Option{demoUsers}},
		{"nil mux", (*http.ServeMux)(nil), []auth.Option{demoUsers}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := auth.New(tt.app, tt.opts...)
			if err == nil || a != nil {
				t.Fatalf("New succeeded: %v", a)
			}
			if !errors.Is(err, auth.ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap ErrInvalidConfig", err)
			}
			if msg := err.Error(); strings.Count(msg, "auth:") > 1 || strings.Count(msg, "invalid configuration") > 1 {
				t.Fatalf("the message repeats its prefix: %q", msg)
			}
		})
	}
	if _, err := auth.New(struct{}{}, demoUsers); !errors.Is(err, backends.ErrUnknownApp) {
		t.Fatalf("unknown app: %v", err)
	}
	var nilMux *http.ServeMux
	if _, err := auth.New(nilMux, demoUsers); !errors.Is(err, backends.ErrUnknownApp) {
		t.Fatalf("nil mux: %v", err)
	}
}

// TestPatternErrorsSayHowToWriteIt checks that a Gin or Fiber spelling is
// refused with the Flask and Go spellings in the message.
func TestPatternErrorsSayHowToWriteIt(t *testing.T) {
	_, err := auth.New(http.NewServeMux(), demoUsers, auth.WithPublicRoutes("/static/*"))
	if !errors.Is(err, auth.ErrBadPattern) || !strings.Contains(err.Error(), "<path:rest>") || !strings.Contains(err.Error(), "{rest...}") {
		t.Fatalf("New with /static/*: %v", err)
	}
	_, a := newServer(t, demoUsers, auth.WithPublicRoutes("/a"))
	if err := a.AddPublicRoutes("/a"); !errors.Is(err, auth.ErrBadPattern) || !errors.Is(err, auth.ErrInvalidConfig) {
		t.Fatalf("adding a public route twice: %v", err)
	}
}

// TestIdentityGroupsNeverNil checks that a user without groups has an
// empty list, which encodes as [] rather than null.
func TestIdentityGroupsNeverNil(t *testing.T) {
	mux := http.NewServeMux()
	a, err := auth.New(mux, auth.WithUsers(map[string]string{"solo": "pw"}))
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(auth.FromContext(r.Context()).Groups)
	})
	req := httptest.NewRequest("GET", "/", nil)
	req.SetBasicAuth("solo", "pw")
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	if got := strings.TrimSpace(rec.Body.String()); got != "[]" {
		t.Fatalf("groups of a user without groups encode as %s", got)
	}
}

func TestUserPairsLaterDuplicateWins(t *testing.T) {
	srv, _ := newServer(t, auth.WithUserPairs([2]string{"bob", "old"}, [2]string{"bob", "new"}))
	if got := do(t, srv, request{path: "/", user: "bob", pass: "new"}); got.status != 200 {
		t.Fatalf("later password refused: %d", got.status)
	}
	if got := do(t, srv, request{path: "/", user: "bob", pass: "old"}); got.status != 401 {
		t.Fatalf("earlier password accepted: %d", got.status)
	}
}

func TestVerifyFuncErrorDeniesAndHidesPassword(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srv, _ := newServer(t,
		auth.WithLogger(log),
		auth.WithVerifyFunc(func(_ context.Context, user, pw string) (bool, error) {
			if user == "broken" {
				return true, errors.New("directory unreachable")
			}
			return user == "carol" && pw == "c4rol!", nil
		}))
	if got := do(t, srv, request{path: "/", user: "carol", pass: "c4rol!"}); got.status != 200 {
		t.Fatalf("carol: %d", got.status)
	}
	if got := do(t, srv, request{path: "/", user: "broken", pass: "TopSecretPw"}); got.status != 401 {
		t.Fatalf("a failing verify function let the caller in: %d", got.status)
	}
	if !strings.Contains(logs.String(), "directory unreachable") {
		t.Fatalf("error not logged: %s", logs.String())
	}
	if strings.Contains(logs.String(), "TopSecretPw") {
		t.Fatalf("password logged: %s", logs.String())
	}
}

func TestGroupsFuncErrorDenies(t *testing.T) {
	srv, _ := newServer(t, demoUsers, auth.WithGroupsFunc(func(_ context.Context, user string) ([]string, error) {
		if user == "viewer" {
			return nil, errors.New("ldap down")
		}
		return []string{"admin"}, nil
	}), auth.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if got := do(t, srv, request{path: "/admin", user: "admin", pass: "admin"}); got.status != 200 {
		t.Fatalf("admin: %d", got.status)
	}
	if got := do(t, srv, request{path: "/", user: "viewer", pass: "viewer123"}); got.status != 401 {
		t.Fatalf("group failure let the caller in: %d", got.status)
	}
}

func TestWebSocketRoutesLetFailedHandshakesThroughAnonymously(t *testing.T) {
	srv, _ := newServer(t, demoUsers, auth.WithWebSocketRoutes("/ws/{name}"))
	upgrade := map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}
	tests := []struct {
		name    string
		rq      request
		status  int
		contain string
	}{
		{"anonymous handshake on a socket route", request{path: "/ws/echo", headers: upgrade}, 200, "anonymous"},
		{"authenticated handshake", request{path: "/ws/echo", headers: upgrade, user: "admin", pass: "admin"}, 200, "admin"},
		{"wrong password handshake", request{path: "/ws/echo", headers: upgrade, user: "admin", pass: "x"}, 200, "anonymous"},
		{"plain GET on a socket route", request{path: "/ws/echo"}, 401, "unauthenticated"},
		{"POST with Upgrade on a socket route", request{method: "POST", path: "/ws/echo", headers: upgrade}, 401, "unauthenticated"},
		{"handshake elsewhere", request{path: "/admin", headers: upgrade}, 401, "unauthenticated"},
		{"handshake on a near path", request{path: "/ws/echo/x", headers: upgrade}, 401, "unauthenticated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, srv, tt.rq)
			if got.status != tt.status || !strings.Contains(got.body, tt.contain) {
				t.Fatalf("%d %q, want %d containing %q", got.status, got.body, tt.status, tt.contain)
			}
		})
	}
}

func TestOptionalAuthRoutesSeeIdentityWhenThereIsOne(t *testing.T) {
	srv, a := newServer(t, demoUsers, auth.WithOptionalAuthRoutes("/open/{name}"))
	for _, tt := range []struct {
		rq      request
		status  int
		contain string
	}{
		{request{path: "/open/x"}, 200, "anonymous"},
		{request{method: "POST", path: "/open/x", user: "admin", pass: "admin"}, 200, "admin"},
		{request{path: "/open/x", user: "admin", pass: "wrong"}, 200, "anonymous"},
		{request{path: "/open/x", headers: map[string]string{"Authorization": "Basic !!"}}, 400, "bad_request"},
		{request{path: "/open/x/y"}, 401, "unauthenticated"},
		{request{path: "/open2"}, 401, "unauthenticated"},
	} {
		if got := do(t, srv, tt.rq); got.status != tt.status || !strings.Contains(got.body, tt.contain) {
			t.Errorf("%s %s: %d %q, want %d containing %q", tt.rq.method, tt.rq.path, got.status, got.body, tt.status, tt.contain)
		}
	}
	if err := a.AddOptionalAuthRoutes("/open2"); err != nil {
		t.Fatal(err)
	}
	if got := do(t, srv, request{path: "/open2"}); got.status != 200 {
		t.Fatalf("added optional-auth route: %d", got.status)
	}
}
