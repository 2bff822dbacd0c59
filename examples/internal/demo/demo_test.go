package demo_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The demos are built and run as real programs, on free ports, and driven
// over real HTTP: the same checks against each, so they cannot drift.
var demos = []string{"nethttp", "gin", "fiber"}

func TestDemos(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three programs; skipped with -short")
	}
	for _, name := range demos {
		t.Run(name, func(t *testing.T) {
			base := start(t, buildDemo(t, name), "INSECURE_COOKIES=1")
			checkDemo(t, base)
			checkSections(t, base)
			checkSessions(t, base) // last: it logs admin out everywhere
		})
	}
}

func TestDemoBasicMode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program; skipped with -short")
	}
	base := start(t, buildDemo(t, "gin"), "AUTH_MODE=basic")
	res := get(t, http.DefaultClient, base+"/", map[string]string{"Accept": "text/html"})
	if res.status != 401 || res.header.Get("WWW-Authenticate") != `Basic realm="authwire demo", charset="UTF-8"` {
		t.Fatalf("browser in basic mode: %d %q", res.status, res.header.Get("WWW-Authenticate"))
	}
	if res := get(t, http.DefaultClient, base+"/login", nil); res.status != 401 {
		t.Fatalf("/login exists in basic mode: %d", res.status)
	}
}

// buildDemo builds examples/<name> into a temporary directory and returns
// the program's path.
func buildDemo(t *testing.T, name string) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("go", "build", "-o", exe, "../../"+name).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", name, err, out)
	}
	return exe
}

// start runs exe on a free port and returns its base URL; the process is
// stopped with SIGINT when the test ends.
func start(t *testing.T, exe string, env ...string) string {
	t.Helper()
	base, _ := startProcess(t, exe, env...)
	return base
}

// startProcess is start that also returns the running process, for tests
// that watch its CPU time and memory.
func startProcess(t *testing.T, exe string, env ...string) (string, *os.Process) {
	t.Helper()
	cmd := exec.Command(exe)
	// A state directory of its own, unless env names one (the last
	// value of a variable is the one a program sees).
	cmd.Env = append(os.Environ(), append([]string{"ADDR=127.0.0.1:0", "STATE_DIR=" + t.TempDir()}, env...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			if u, ok := strings.CutPrefix(s.Text(), "listening on "); ok {
				addr <- u
				break
			}
		}
		io.Copy(io.Discard, out)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			// A demo a test killed with SIGKILL (to restart it) ended as
			// asked; any other end but a clean exit is a failure.
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
					err = nil
				}
			}
			if err != nil {
				t.Errorf("demo exited with %v", err)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Error("demo did not stop on SIGINT")
		}
	})
	select {
	case u := <-addr:
		return u, cmd.Process
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not print its address")
		return "", nil
	}
}

type result struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, c *http.Client, method, u string, body url.Values, headers map[string]string) result {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = strings.NewReader(body.Encode())
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return result{res.StatusCode, res.Header, string(b)}
}

func get(t *testing.T, c *http.Client, u string, headers map[string]string) result {
	t.Helper()
	return do(t, c, "GET", u, nil, headers)
}

// basic is the Authorization header of a script's Basic request, which
// starts no session.
func basic(user, pass string) map[string]string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, pass)
	return map[string]string{"Authorization": req.Header.Get("Authorization")}
}

// browserBasic is a browser's Basic navigation, which starts a session.
func browserBasic(user, pass string) map[string]string {
	h := basic(user, pass)
	h["Sec-Fetch-Mode"] = "navigate"
	return h
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func checkDemo(t *testing.T, base string) {
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	html := map[string]string{"Accept": "text/html"}

	expect := func(what string, r result, status int, contains string) {
		t.Helper()
		if r.status != status || !strings.Contains(r.body, contains) {
			t.Errorf("%s: %d %q, want %d containing %q", what, r.status, r.body, status, contains)
		}
	}
	expect("healthz", get(t, c, base+"/healthz", nil), 200, "ok")
	if r := do(t, c, "HEAD", base+"/healthz", nil, nil); r.status != 200 {
		t.Errorf("HEAD /healthz: %d", r.status)
	}
	expect("public", get(t, c, base+"/public/a/b", nil), 200, "public page")
	expect("user public", get(t, c, base+"/user/7/public", nil), 200, "public profile of user 7")
	expect("user private anonymous", get(t, c, base+"/user/7/private", nil), 401, "unauthenticated")
	expect("unknown path anonymous", get(t, c, base+"/no/such/page", nil), 401, "unauthenticated")
	expect("user private", get(t, c, base+"/user/7/private", basic("viewer", "viewer123")), 200, "seen by viewer")

	api := get(t, c, base+"/", nil)
	if api.status != 401 || api.header.Get("WWW-Authenticate") != `Basic realm="authwire demo", charset="UTF-8"` ||
		api.header.Get("Cache-Control") != "no-store" {
		t.Errorf("API challenge: %d %v", api.status, api.header)
	}
	expect("malformed Basic", get(t, c, base+"/", map[string]string{"Authorization": "Basic !!"}), 400, "bad_request")
	// Up to the servers' header limit (demo.MaxHeaderBytes, the same on
	// every backend) authwire answers an oversized Authorization itself.
	for _, n := range []int{9000, 14000} {
		r := get(t, c, base+"/", map[string]string{"Authorization": "Basic " + strings.Repeat("A", n)})
		if r.status != 431 || !strings.Contains(r.body, "too_large") || r.header.Get("Cache-Control") != "no-store" ||
			r.header.Get("Content-Type") != "application/json" {
			t.Errorf("oversize Basic (%d bytes): %d %v %q", n, r.status, r.header, r.body)
		}
	}

	who := get(t, c, base+"/api/whoami", basic("admin", "admin"))
	var w struct {
		User     string   `json:"user"`
		Groups   []string `json:"groups"`
		Provider string   `json:"provider"`
	}
	if err := json.Unmarshal([]byte(who.body), &w); err != nil || w.User != "admin" || len(w.Groups) != 1 || w.Groups[0] != "admin" || w.Provider != "basic" {
		t.Errorf("whoami: %d %q", who.status, who.body)
	}
	expect("admin as viewer", get(t, c, base+"/admin", basic("viewer", "viewer123")), 403, "forbidden")
	expect("admin as admin", get(t, c, base+"/admin", basic("admin", "admin")), 200, "welcome admin")

	// A browser is sent to the form, logs in, sees the dashboard, logs out.
	if r := get(t, c, base+"/admin", html); r.status != 303 || r.header.Get("Location") != "/login?next=%2Fadmin" {
		t.Errorf("browser redirect: %d %q", r.status, r.header.Get("Location"))
	}
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, CheckRedirect: c.CheckRedirect}
	page := get(t, b, base+"/login", html)
	m := csrfField.FindStringSubmatch(page.body)
	if page.status != 200 || m == nil {
		t.Fatalf("login page: %d", page.status)
	}
	if r := do(t, b, "POST", base+"/login", url.Values{"username": {"admin"}, "password": {"admin"}}, html); r.status != 403 {
		t.Errorf("login without CSRF token: %d", r.status)
	}
	r := do(t, b, "POST", base+"/login", url.Values{"username": {"admin"}, "password": {"admin"}, "csrf_token": {m[1]}, "next": {"/admin"}}, html)
	if r.status != 303 || r.header.Get("Location") != "/admin" {
		t.Fatalf("login: %d %q", r.status, r.header.Get("Location"))
	}
	u, _ := url.Parse(base)
	var session string
	for _, k := range jar.Cookies(u) {
		if k.Name == "authwire_session" {
			session = k.Value
		}
	}
	dash := get(t, b, base+"/", html)
	expect("dashboard", dash, 200, `id="user">admin<`)
	for _, page := range []result{dash, page} {
		if page.header.Get("Cache-Control") != "no-store" || page.header.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(page.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("a page with a CSRF token may be cached or framed: %v", page.header)
		}
	}
	m = csrfField.FindStringSubmatch(dash.body)
	if m == nil {
		t.Fatal("no logout token on the dashboard")
	}
	afterLogout := checkLive(t, base, session)
	if r := do(t, b, "POST", base+"/logout", url.Values{"csrf_token": {m[1]}}, html); r.status != 303 || r.header.Get("Location") != "/login" {
		t.Errorf("logout: %d %q", r.status, r.header.Get("Location"))
	}
	afterLogout()
	replay := get(t, c, base+"/api/whoami", map[string]string{"Cookie": "authwire_session=" + session})
	expect("cookie replayed after logout", replay, 401, "unauthenticated")
}

// checkLive checks callbacks over HTTP and the WebSocket, and the socket
// close codes, with an admin session. The caller logs out and then calls
// the returned function, which checks that the open sockets got 4401.
func checkLive(t *testing.T, base, adminSession string) (afterLogout func()) {
	c := &http.Client{}
	post := func(name, body string, headers map[string]string) result {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/_callbacks/"+name, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return result{res.StatusCode, res.Header, string(b)}
	}
	for _, tc := range []struct {
		name, body string
		headers    map[string]string
		status     int
		contains   string
	}{
		{"echo", `{"a":1}`, nil, 200, `{"result":{"a":1}}`},
		{"whoami", `{}`, nil, 401, `"unauthenticated"`},
		{"whoami", `{}`, basic("viewer", "viewer123"), 200, `"user":"viewer"`},
		{"admin_stats", `{}`, basic("viewer", "viewer123"), 403, `"forbidden"`},
		{"admin_stats", `{}`, basic("admin", "admin"), 200, `"sockets"`},
		{"nope", `{}`, nil, 404, `"not_found"`},
	} {
		if r := post(tc.name, tc.body, tc.headers); r.status != tc.status || !strings.Contains(r.body, tc.contains) {
			t.Errorf("callback %s: %d %q, want %d containing %q", tc.name, r.status, r.body, tc.status, tc.contains)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	wsURL := "ws" + strings.TrimPrefix(base, "http")
	dial := func(path string, cookie string) *websocket.Conn {
		t.Helper()
		h := http.Header{}
		if cookie != "" {
			h.Set("Cookie", "authwire_session="+cookie)
		}
		conn, _, err := websocket.Dial(ctx, wsURL+path, &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			t.Fatalf("dial %s: %v", path, err)
		}
		return conn
	}
	closedWith := func(conn *websocket.Conn) websocket.StatusCode {
		_, _, err := conn.Read(ctx)
		return websocket.CloseStatus(err)
	}
	if code := closedWith(dial("/ws/echo", "")); code != 4401 {
		t.Errorf("anonymous /ws/echo closed with %d, want 4401", code)
	}
	// A script's Basic request starts no session; a browser's does.
	if r := get(t, c, base+"/api/whoami", basic("viewer", "viewer123")); r.status != 200 || len(r.header["Set-Cookie"]) != 0 {
		t.Errorf("a script's Basic whoami: %d, Set-Cookie %q", r.status, r.header["Set-Cookie"])
	}
	viewer := get(t, c, base+"/api/whoami", browserBasic("viewer", "viewer123"))
	var viewerSession string
	for _, k := range (&http.Response{Header: viewer.header}).Cookies() {
		if k.Name == "authwire_session" {
			viewerSession = k.Value
		}
	}
	if code := closedWith(dial("/ws/admin", viewerSession)); code != 4403 {
		t.Errorf("viewer on /ws/admin closed with %d, want 4403", code)
	}

	// Callbacks over the socket: a stream, in order.
	cb := dial("/_callbacks/ws", adminSession)
	t.Cleanup(func() { cb.CloseNow() })
	if err := cb.Write(ctx, websocket.MessageText, []byte(`{"id":"1","call":"ticks","args":{"count":3}}`)); err != nil {
		t.Fatal(err)
	}
	var frames []string
	for len(frames) < 4 {
		_, b, err := cb.Read(ctx)
		if err != nil {
			t.Fatalf("callbacks socket: %v", err)
		}
		frames = append(frames, string(b))
	}
	want := []string{`{"id":"1","data":{"n":0}}`, `{"id":"1","data":{"n":1}}`, `{"id":"1","data":{"n":2}}`, `{"id":"1","done":true}`}
	if strings.Join(frames, "\n") != strings.Join(want, "\n") {
		t.Errorf("ticks over the socket: %q", frames)
	}

	// An open echo socket of the admin session: it works, and the
	// logout the caller does next must close it with 4401.
	echo := dial("/ws/echo", adminSession)
	if err := echo.Write(ctx, websocket.MessageText, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := echo.Read(ctx); err != nil || string(b) != "hi" {
		t.Fatalf("echo: %q %v", b, err)
	}
	return func() {
		if code := closedWith(echo); code != 4401 {
			t.Errorf("open socket after logout closed with %d, want 4401", code)
		}
		if code := closedWith(cb); code != 4401 {
			t.Errorf("callbacks socket after logout closed with %d, want 4401", code)
		}
	}
}
