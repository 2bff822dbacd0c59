//go:build linux

package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
)

const wsPage = `<!doctype html>
<title>ws</title>
<script>
const ws = new WebSocket("ws://" + location.host + "/ws");
ws.onclose = (event) => {
	window.result = {code: event.code, reason: event.reason};
};
</script>`

// TestWebSocketCloseCode checks that the browser sees the close code and reason
// of a server that ends a WebSocket, as the demo does when a session ends.
func TestWebSocketCloseCode(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, wsPage)
	})
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		c.Close(websocket.StatusCode(4401), "session ended")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b := Start(t)
	tab := b.NewTab(t)
	Do(t, tab, chromedp.Navigate(srv.URL+"/"))

	type result struct {
		Code   int    `json:"code"`
		Reason string `json:"reason"`
	}
	got := Do(t, tab, chromedp.Poll[result]("window.result",
		chromedp.WithPollingInterval(20*time.Millisecond),
		chromedp.WithPollingTimeout(10*time.Second)))
	if got.Code != 4401 || got.Reason != "session ended" {
		t.Errorf("onclose got code %d reason %q, want 4401 %q", got.Code, got.Reason, "session ended")
	}
}

// cookieServer serves /set, which sets a Secure, HttpOnly cookie, and /echo,
// which says whether the cookie came back.
func cookieServer() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /set", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "sid=s3cret; Secure; HttpOnly; SameSite=Lax; Path=/")
		fmt.Fprint(w, "set")
	})
	mux.HandleFunc("GET /echo", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("sid"); err == nil && c.Value == "s3cret" {
			fmt.Fprint(w, "cookie=yes")
			return
		}
		fmt.Fprint(w, "cookie=no")
	})
	return mux
}

// secureCookieKept sets the cookie on base+"/set", then reports whether
// base+"/echo" gets it back. It also logs what the cookie jar of the tab holds.
func secureCookieKept(t *testing.T, b *Browser, base string) bool {
	t.Helper()
	tab := b.NewTab(t)
	Do(t, tab, chromedp.Navigate(base+"/set"))
	Do(t, tab, chromedp.Navigate(base+"/echo"))
	body := Do(t, tab, chromedp.Evaluate[string]("document.body.innerText"))
	jar := Do(t, tab, func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		r, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
		return r.Cookies, err
	})
	for _, c := range jar {
		t.Logf("%s: jar has %s=%s secure=%v httpOnly=%v sameSite=%s", base, c.Name, c.Value, c.Secure, c.HTTPOnly, c.SameSite)
	}
	switch body {
	case "cookie=yes":
		return true
	case "cookie=no":
		return false
	}
	t.Fatalf("%s/echo answered %q", base, body)
	return false
}

// TestSecureCookieOverHTTP records whether Chromium keeps a Secure cookie that
// a server sets over plain http. Chromium treats loopback hosts as potentially
// trustworthy origins, so the demo works over http on 127.0.0.1 and on
// localhost without INSECURE_COOKIES. A host that is not loopback gets no
// Secure cookie over http, which shows that the check can see a rejection.
func TestSecureCookieOverHTTP(t *testing.T) {
	srv := httptest.NewServer(cookieServer())
	defer srv.Close()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}

	b := Start(t)
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"127.0.0.1", true},
		{"localhost", true},
	} {
		t.Run(tc.host, func(t *testing.T) {
			base := "http://" + net.JoinHostPort(tc.host, port)
			got := secureCookieKept(t, b, base)
			t.Logf("Secure cookie over %s: kept=%v", base, got)
			if got != tc.want {
				t.Errorf("Secure cookie over %s: kept=%v, want %v", base, got, tc.want)
			}
		})
	}

	// A name that is not localhost, served by the same loopback server:
	// Chromium must drop the Secure cookie, which shows the test can see
	// a rejection.
	t.Run(TestHost, func(t *testing.T) {
		base := "http://" + net.JoinHostPort(TestHost, port)
		if got := secureCookieKept(t, b, base); got {
			t.Errorf("Secure cookie over %s: kept, want dropped", base)
		}
	})
}

func TestScreenshot(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// Taller than the viewport, so that the full page is bigger.
		fmt.Fprint(w, `<!doctype html><body style="margin:0"><div style="height:3000px;background:teal">authwire</div></body>`)
	}))
	defer srv.Close()

	b := Start(t)
	tab := b.NewTab(t)
	Do(t, tab, chromedp.Navigate(srv.URL))
	viewport := Do(t, tab, chromedp.Evaluate[int]("window.innerHeight"))

	path := filepath.Join(t.TempDir(), "page.png")
	ctx, cancel := context.WithTimeout(tab, StepTimeout)
	defer cancel()
	if err := b.Screenshot(ctx, path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("%s does not start with the PNG signature: % x", path, data[:min(len(data), 8)])
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %dx%d, viewport height %d, %d bytes", cfg.Width, cfg.Height, viewport, len(data))
	if cfg.Height < 3000 {
		t.Errorf("screenshot is %d pixels high, want the full page of 3000", cfg.Height)
	}
}

// TestNoLeftoverProcesses starts and stops a Browser in a subtest, then checks
// that no process of it is left: none with its user-data-dir or its config
// dir (the crash handlers) on the command line, and none, not even a zombie,
// in its process group.
func TestNoLeftoverProcesses(t *testing.T) {
	var b *Browser
	t.Run("browse", func(t *testing.T) {
		b = Start(t)
		tab := b.NewTab(t)
		// Load a page, so that a renderer runs.
		Do(t, tab, chromedp.Navigate("data:text/html,<p>hello</p>"))
		if pids := pgrep(t, "--user-data-dir="+b.dir); len(pids) == 0 {
			t.Errorf("pgrep finds no process with --user-data-dir=%s while the browser runs", b.dir)
		}
		if pids := groupMembers(b.cmd.Process.Pid); len(pids) < 2 {
			t.Errorf("process group %d has %v while the browser runs, want Chromium and its children", b.cmd.Process.Pid, pids)
		}
		t.Logf("while it runs: %d processes in the group, crash handlers %v",
			len(groupMembers(b.cmd.Process.Pid)), pgrep(t, b.configDir))
	})
	if b == nil {
		return // skipped or failed before the start
	}
	if pids := pgrep(t, "--user-data-dir="+b.dir); len(pids) > 0 {
		t.Errorf("processes with --user-data-dir=%s remain after the cleanup: %v", b.dir, pids)
	}
	if pids := pgrep(t, b.configDir); len(pids) > 0 {
		t.Errorf("crash handlers with %s remain after the cleanup: %v", b.configDir, pids)
	}
	if pids := groupMembers(b.cmd.Process.Pid); len(pids) > 0 {
		t.Errorf("processes of group %d remain after the cleanup: %v", b.cmd.Process.Pid, pids)
	}
}

// pgrep returns the pids of the processes whose command line holds s.
func pgrep(t *testing.T, s string) []string {
	t.Helper()
	out, err := exec.Command("pgrep", "-f", "--", regexp.QuoteMeta(s)).Output()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		return nil // no match
	case err != nil:
		t.Fatalf("pgrep: %v", err)
	}
	return strings.Fields(string(out))
}

// groupMembers returns the processes in the process group pgid with their
// state, zombies included.
func groupMembers(pgid int) []string {
	var pids []string
	for _, p := range processes() {
		if p.pgrp == pgid {
			pids = append(pids, fmt.Sprintf("%d(%c)", p.pid, p.state))
		}
	}
	return pids
}

// recorder is a testing.TB that records Skipf and Fatalf instead of stopping.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Skipf(f string, a ...any)  { r.skipped = fmt.Sprintf(f, a...) }
func (r *recorder) Fatalf(f string, a ...any) { r.failed = fmt.Sprintf(f, a...) }

// TestUnavailable checks that a missing browser skips a test on a developer's
// machine and fails it on CI.
func TestUnavailable(t *testing.T) {
	missing := errors.New("no Chromium found")

	t.Setenv("CI", "")
	r := &recorder{TB: t}
	unavailable(r, missing)
	if r.skipped == "" || r.failed != "" {
		t.Errorf("without CI: skipped %q, failed %q; want a skip", r.skipped, r.failed)
	}

	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	unavailable(r, missing)
	if r.failed == "" || r.skipped != "" {
		t.Errorf("with CI: skipped %q, failed %q; want a failure", r.skipped, r.failed)
	}
}
