//go:build linux

package demo_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authwire/authwire/internal/browsertest"
)

// TestBrowserCrossOriginCallback replays the attack of issue 12, finding
// 3, in a real headless Chromium against the Fiber demo: the admin logs in
// through the form, then opens a page on another port of the same host,
// which auto-submits a text/plain form to /_callbacks/admin_stats. The
// browser sends the admin's session cookie with it (the port is
// same-site), so on the old code the callback ran and the page showed its
// result. Now the answer is 403 forbidden, and the same session still
// calls the callback from the demo's own page.
func TestBrowserCrossOriginCallback(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program and runs Chromium; skipped with -short")
	}
	b := browsertest.Start(t)
	base := start(t, buildDemo(t, "fiber"))

	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The form's text/plain body is `{"x":"="}`: valid JSON, and a
		// simple request, which the browser sends without asking.
		io.WriteString(w, `<!doctype html><title>prize</title>
<form method="POST" action="`+base+`/_callbacks/admin_stats" enctype="text/plain">
<input type="hidden" name='{"x":"' value='"}'>
</form>
<script>document.forms[0].submit()</script>`)
	}))
	t.Cleanup(attacker.Close)
	if strings.TrimPrefix(attacker.URL, "http://127.0.0.1:") == attacker.URL || strings.HasPrefix(base, attacker.URL) {
		t.Fatalf("the attacker %s must be another port of the demo's host %s", attacker.URL, base)
	}

	tab := b.NewTab(t)
	login(t, tab, base, "admin", "admin")

	browsertest.Do(t, tab, chromedp.Navigate(attacker.URL+"/"))
	waitFor(t, tab, "the form's answer", `location.href === `+jsString(base+"/_callbacks/admin_stats")+
		` && document.readyState === "complete" && document.body !== null && document.body.innerText.length > 0`, 15*time.Second)
	answer := browsertest.Do(t, tab, chromedp.Evaluate[string](`document.body.innerText`))
	if strings.Contains(answer, `"result"`) || !strings.Contains(answer, `"code":"forbidden"`) || !strings.Contains(answer, "cross-origin") {
		t.Fatalf("a page on another port ran admin_stats with the admin's session: %s", answer)
	}

	// The session is intact, and the demo's own page may call.
	browsertest.Do(t, tab, chromedp.Navigate(base+"/"))
	own := browsertest.Do(t, tab, chromedp.Evaluate[string](`fetch("/_callbacks/admin_stats", {method: "POST",
		headers: {"Content-Type": "application/json"}, body: "{}"}).then(r => r.status + " " + r.statusText)`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(own, "200") {
		t.Fatalf("admin_stats from the demo's own page: %s", own)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
