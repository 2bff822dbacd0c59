package demo_test

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/authwire/authwire/internal/servetest"
	"github.com/authwire/authwire/internal/testbin"
)

// TestForwardAuthBehindNginx puts real nginx in front of an application
// with examples/forwardauth/nginx.conf, the demo answering its
// auth_request subrequests at /auth/verify, and drives it as an API
// client and as a browser. The sections' locations (/marketing/, /hr/)
// let the viewer into marketing only, whatever encoding the path uses.
func TestForwardAuthBehindNginx(t *testing.T) {
	nginx := testbin.Find(t, "nginx", "nginx", "/usr/sbin/nginx")
	if testing.Short() {
		t.Skip("builds a program and runs nginx; skipped with -short")
	}
	exe := buildDemo(t, "nethttp")
	listen := servetest.FreeAddr(t)
	authwire := start(t, exe, "INSECURE_COOKIES=1", "TRUSTED_PROXIES=127.0.0.1/32", "ALLOWED_REDIRECT_HOSTS="+listen)
	var crossed crossings
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		crossed.note(r)
		fmt.Fprintf(w, "user=%s groups=%s path=%s", r.Header.Get("Remote-User"), r.Header.Get("Remote-Groups"), r.URL.RequestURI())
	}))
	t.Cleanup(upstream.Close)
	startNginx(t, nginx, map[string]string{
		"Listen":   listen,
		"Authwire": strings.TrimPrefix(authwire, "http://"),
		"Upstream": strings.TrimPrefix(upstream.URL, "http://"),
	})
	proxy := "http://" + listen
	browse := map[string]string{"Accept": "text/html"}
	with := func(h map[string]string, k, v string) map[string]string {
		m := map[string]string{k: v}
		for k, v := range h {
			m[k] = v
		}
		return m
	}

	// API clients.
	for _, tc := range []struct {
		name, path string
		headers    map[string]string
		status     int
		body       string
	}{
		{"anonymous", "/app/x", nil, 401, ""},
		{"wrong password", "/app/x", basic("admin", "nope"), 401, ""},
		{"admin", "/app/x?y=1", basic("admin", "admin"), 200, "user=admin groups=admin path=/app/x?y=1"},
		{"viewer, forging Remote-User", "/app/x", with(basic("viewer", "viewer123"), "Remote-User", "admin"), 200, "user=viewer groups=viewer path=/app/x"},
		{"viewer at the admin location", "/admin/x", basic("viewer", "viewer123"), 403, ""},
		{"admin at the admin location", "/admin/x", basic("admin", "admin"), 200, "user=admin groups=admin path=/admin/x"},
	} {
		got := get(t, http.DefaultClient, proxy+tc.path, tc.headers)
		if got.status != tc.status || tc.body != "" && got.body != tc.body {
			t.Fatalf("%s: %d %q, want %d %q", tc.name, got.status, got.body, tc.status, tc.body)
		}
		if tc.status == 401 && !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Basic ") {
			t.Fatalf("%s: no Basic challenge: %v", tc.name, got.header)
		}
		if tc.status == 401 && got.header.Get("Location") != "" {
			t.Fatalf("%s: an API client was redirected to %s", tc.name, got.header.Get("Location"))
		}
	}

	checkSectionsBehindNginx(t, proxy, &crossed)

	// A browser: sent to the login form, back to its page after logging
	// in, and sent to the form again after logging out.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := proxy + "/app/page?q=1"
	first := get(t, browser, page, browse)
	wantLogin := proxy + "/login?next=" + url.QueryEscape(page)
	if first.status != 302 || first.header.Get("Location") != wantLogin {
		t.Fatalf("anonymous browser: %d Location %q, want 302 %q", first.status, first.header.Get("Location"), wantLogin)
	}
	form := get(t, browser, wantLogin, browse)
	csrf := csrfField.FindStringSubmatch(form.body)
	next := regexp.MustCompile(`name="next" value="([^"]*)"`).FindStringSubmatch(form.body)
	if form.status != 200 || csrf == nil || next == nil {
		t.Fatalf("login form through nginx: %d", form.status)
	}
	login := do(t, browser, "POST", proxy+"/login", url.Values{
		"username": {"viewer"}, "password": {"viewer123"}, "csrf_token": {csrf[1]}, "next": {html.UnescapeString(next[1])},
	}, browse)
	if login.status != 303 || login.header.Get("Location") != page {
		t.Fatalf("login: %d Location %q, want 303 %q", login.status, login.header.Get("Location"), page)
	}
	if got := get(t, browser, page, browse); got.status != 200 || got.body != "user=viewer groups=viewer path=/app/page?q=1" {
		t.Fatalf("after login: %d %q", got.status, got.body)
	}
	if got := get(t, browser, proxy+"/admin/", browse); got.status != 403 {
		t.Fatalf("viewer's browser at the admin location: %d", got.status)
	}
	// Logout, with the token the demo's dashboard shows (cookies do not
	// care about ports: the session is the same on the demo's own port).
	dash := get(t, browser, authwire+"/", browse)
	token := csrfField.FindStringSubmatch(dash.body)
	if dash.status != 200 || token == nil {
		t.Fatalf("dashboard: %d", dash.status)
	}
	if out := do(t, browser, "POST", proxy+"/logout", url.Values{"csrf_token": {token[1]}}, browse); out.status != 303 {
		t.Fatalf("logout through nginx: %d", out.status)
	}
	if got := get(t, browser, page, browse); got.status != 302 || got.header.Get("Location") != wantLogin {
		t.Fatalf("after logout: %d Location %q", got.status, got.header.Get("Location"))
	}
}

// startNginx renders examples/forwardauth/nginx.conf with values (plus
// Dir, a fresh directory) and runs nginx on it, in a process group of its
// own that is ended when the test does.
func startNginx(t *testing.T, nginx string, values map[string]string) {
	t.Helper()
	dir := t.TempDir()
	values["Dir"] = dir
	tmpl, err := template.ParseFiles("../../forwardauth/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.Create(filepath.Join(dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tmpl.Option("missingkey=error").Execute(conf, values); err != nil {
		t.Fatal(err)
	}
	conf.Close()
	errorLog := filepath.Join(dir, "error.log")
	cmd := exec.Command(nginx, "-p", dir, "-c", conf.Name(), "-e", errorLog)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
			t.Error("nginx did not stop on SIGTERM")
		}
	})
	logged := func() string { b, _ := os.ReadFile(errorLog); return string(b) }
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("nginx exited: %v\n%s", err, logged())
		default:
		}
		c, err := net.DialTimeout("tcp", values["Listen"], time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not accept on %s: %v\n%s", values["Listen"], err, logged())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
