//go:build linux

package demo_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authwire/authwire/internal/browsertest"
)

// The dashboard in a real headless Chromium, against the Gin demo run as a
// program without INSECURE_COOKIES: Chromium keeps Secure cookies on
// http://127.0.0.1. The test logs in through the form, watches the live
// chart fill from the ticks stream, calls the callbacks from the buttons,
// visits the marketing tab (its report fills) and the hr tab (403), and
// logs out in a second tab of the same browser context: the first tab
// must then say that the session ended. An admin logs in at the same time
// in a browser context of its own, for the screenshot of the README.
//
// Screenshots go to artifacts/ at the root of the repository (git ignores
// it): dashboard.png (viewer, before logout), section-marketing.png (the
// viewer's marketing tab), dashboard-ended.png (the banner after logout)
// and dashboard-admin.png. With
// UPDATE_DASHBOARD_PNG=1 the admin one is also written to
// examples/dashboard.png, the image the README shows.

// waitFor evaluates the JavaScript predicate expr on the tab every 50 ms
// until it is true. It keeps going through navigations, which end a
// chromedp.Poll.
func waitFor(t *testing.T, tab context.Context, what, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ctx, cancel := context.WithTimeout(tab, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.body ? document.body.innerText : "")`))
	if err != nil {
		page = err.Error()
	}
	t.Fatalf("waiting %v for %s (last error: %v); the page:\n%s", timeout, what, last, page)
}

// retry runs the action a until it succeeds, for up to five seconds. Right
// after a navigation chromedp can still hold nodes of the page before, and
// an element action then fails with "No node with given id found".
func retry(t *testing.T, tab context.Context, what string, a chromedp.Action[chromedp.Void]) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(tab, browsertest.StepTimeout)
		_, err := chromedp.Run(ctx, a)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// click clicks the element with id, like a mouse.
func click(t *testing.T, tab context.Context, id string) {
	t.Helper()
	retry(t, tab, "clicking #"+id, chromedp.Click(chromedp.ID(id)))
}

// fill types value into the empty input with id, like a keyboard.
func fill(t *testing.T, tab context.Context, id, value string) {
	t.Helper()
	empty := chromedp.Evaluate[chromedp.Void](`document.getElementById(` + strconv.Quote(id) + `).value = ""`)
	retry(t, tab, "typing into #"+id, chromedp.Steps(empty, chromedp.SendKeys(chromedp.ID(id), value)))
	if got := browsertest.Do(t, tab, chromedp.Value(chromedp.ID(id))); got != value {
		t.Fatalf("#%s holds %q after typing %q", id, got, value)
	}
}

// text is the textContent of the element with id.
func text(t *testing.T, tab context.Context, id string) string {
	t.Helper()
	return browsertest.Do(t, tab, chromedp.TextContent(chromedp.ID(id)))
}

// watchExceptions records the uncaught exceptions of the tab's pages; check
// reports them as errors. Call it before the tab navigates.
func watchExceptions(t *testing.T, tab context.Context, name string) (check func()) {
	ctx, cancel := context.WithCancel(tab)
	var (
		mu   sync.Mutex
		seen []string
		done = make(chan struct{})
	)
	msgs := chromedp.Console(ctx)
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() {
				mu.Lock()
				seen = append(seen, m.String())
				mu.Unlock()
			}
		}
	}()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return func() {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		for _, s := range seen {
			t.Errorf("%s: exception in the page: %s", name, s)
		}
	}
}

// login signs user in through the form and waits for the dashboard.
func login(t *testing.T, tab context.Context, base, user, pass string) {
	t.Helper()
	browsertest.Do(t, tab, chromedp.Navigate(base+"/login"))
	fill(t, tab, "username", user)
	fill(t, tab, "password", pass)
	retry(t, tab, "submitting the login form", chromedp.Click(chromedp.CSS(`button[type=submit]`)))
	waitFor(t, tab, "the dashboard after login", `location.pathname === "/" && document.readyState === "complete" && !document.getElementById("btn-whoami").disabled`, 15*time.Second)
	if got := strings.TrimSpace(text(t, tab, "user")); got != user {
		t.Fatalf("#user is %q, want %q", got, user)
	}
}

// ticksAtLeast waits until the chart has received n ticks.
func ticksAtLeast(t *testing.T, tab context.Context, n int, timeout time.Duration) {
	t.Helper()
	waitFor(t, tab, "ticks on the chart", `Number(document.getElementById("tick-count").textContent) >= `+strconv.Itoa(n)+
		` && document.querySelector("#chart .line").getAttribute("d") !== null`, timeout)
}

// screenshot saves a PNG of the tab's viewport to path and returns it.
func screenshot(t *testing.T, tab context.Context, path string) []byte {
	t.Helper()
	data := browsertest.Do(t, tab, chromedp.CaptureScreenshot())
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s: %dx%d, %d bytes", path, cfg.Width, cfg.Height, len(data))
	return data
}

// repoRoot is the root of the module, three folders up.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return root
}

func TestBrowserDashboard(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program and runs Chromium; skipped with -short")
	}
	b := browsertest.Start(t)
	base := start(t, buildDemo(t, "gin"))
	artifacts := filepath.Join(repoRoot(t), "artifacts")

	t.Run("viewer", func(t *testing.T) {
		t.Parallel()
		checkViewerDashboard(t, b.NewTab(t), base, artifacts)
	})

	t.Run("admin", func(t *testing.T) {
		t.Parallel()
		tab := b.NewTab(t)
		check := watchExceptions(t, tab, "admin tab")
		browsertest.Do(t, tab, chromedp.EmulateViewport(1200, 800))
		login(t, tab, base, "admin", "admin")
		click(t, tab, "btn-admin")
		waitFor(t, tab, "admin_stats in #output", `document.getElementById("output").textContent.includes("uptime_seconds")`, 10*time.Second)
		// A full chart for the picture: 60 ticks at 4 a second.
		ticksAtLeast(t, tab, 60, 40*time.Second)
		data := screenshot(t, tab, filepath.Join(artifacts, "dashboard-admin.png"))
		if os.Getenv("UPDATE_DASHBOARD_PNG") == "1" {
			path := filepath.Join(repoRoot(t), "examples", "dashboard.png")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", path)
		}
		check()
	})
}

// checkViewerDashboard logs viewer in on tab through the form, watches the
// live chart fill from the ticks stream, calls the callbacks from the
// buttons, and logs out in a second tab of the same browser context: the
// first tab must then say that the session ended, and not reconnect. It
// saves dashboard.png and dashboard-ended.png to artifacts.
func checkViewerDashboard(t *testing.T, tab context.Context, base, artifacts string) {
	check := watchExceptions(t, tab, "viewer tab")
	browsertest.Do(t, tab, chromedp.EmulateViewport(1200, 800))
	login(t, tab, base, "viewer", "viewer123")
	if groups := text(t, tab, "groups"); !strings.Contains(groups, "viewer") {
		t.Errorf("#groups is %q, want viewer", groups)
	}
	if browsertest.Do(t, tab, chromedp.Evaluate[bool](`document.getElementById("session-ended").offsetParent !== null`)) {
		t.Error("#session-ended shows while the session is alive")
	}

	ticksAtLeast(t, tab, 5, 15*time.Second)

	click(t, tab, "btn-admin")
	waitFor(t, tab, "forbidden in #output", `document.getElementById("output").textContent.includes("forbidden")`, 10*time.Second)
	click(t, tab, "btn-whoami")
	waitFor(t, tab, "viewer in #output", `document.getElementById("output").textContent.includes('"user": "viewer"')`, 10*time.Second)
	// The section callbacks: hr is not the viewer's, marketing is.
	click(t, tab, "btn-hr")
	waitFor(t, tab, "forbidden hr-report in #output", `document.getElementById("output").textContent.startsWith("forbidden")`, 10*time.Second)
	click(t, tab, "btn-marketing")
	waitFor(t, tab, "marketing-report in #output", `document.getElementById("output").textContent.includes("Leads this week")`, 10*time.Second)
	if locked := browsertest.Do(t, tab, chromedp.Evaluate[bool](`document.getElementById("tab-hr").classList.contains("locked") && !document.getElementById("tab-marketing").classList.contains("locked")`)); !locked {
		t.Error("the viewer's hr tab is not marked, or the marketing tab is")
	}

	ticksAtLeast(t, tab, 12, 15*time.Second)
	screenshot(t, tab, filepath.Join(artifacts, "dashboard.png"))

	// Log out in a second tab of the same browser context: same
	// cookies, so the same session.
	other, cancel := chromedp.NewContext(tab)
	defer cancel()
	if err := chromedp.Do(other); err != nil { // opens the tab, with no timeout
		t.Fatal(err)
	}
	// The marketing tab's page fills from its section's callback; the hr
	// tab's page is forbidden.
	browsertest.Do(t, other, chromedp.Navigate(base+"/marketing"))
	waitFor(t, other, "the marketing report", `document.getElementById("figures") !== null && document.getElementById("figures").textContent.includes("Campaigns running")`, 15*time.Second)
	screenshot(t, other, filepath.Join(artifacts, "section-marketing.png"))
	browsertest.Do(t, other, chromedp.Navigate(base+"/hr"))
	waitFor(t, other, "the hr page forbidden", `document.body.innerText.includes("Forbidden") && document.getElementById("figures") === null`, 10*time.Second)
	browsertest.Do(t, other, chromedp.Navigate(base+"/"))
	if got := strings.TrimSpace(text(t, other, "user")); got != "viewer" {
		t.Fatalf("second tab: #user is %q, want viewer (cookies not shared?)", got)
	}
	click(t, other, "logout")
	waitFor(t, other, "the login page after logout", `location.pathname === "/login"`, 10*time.Second)

	// The first tab hears 4401 on its callbacks socket.
	waitFor(t, tab, "the session-ended banner", `(() => {
		const e = document.getElementById("session-ended");
		return e !== null && !e.hidden && e.offsetParent !== null;
	})()`, 10*time.Second)
	if got := text(t, tab, "session-ended"); !strings.Contains(got, "Your session ended") {
		t.Errorf("#session-ended says %q", got)
	}
	link := browsertest.Do(t, tab, chromedp.AttributeValue(chromedp.CSS("#session-ended a"), "href"))
	if link.Value != "/login?next=/" {
		t.Errorf("log-in-again link is %q, want /login?next=/", link.Value)
	}
	screenshot(t, tab, filepath.Join(artifacts, "dashboard-ended.png"))

	// The page must not reconnect by itself: no new ticks arrive.
	before := text(t, tab, "tick-count")
	browsertest.Do(t, tab, chromedp.Sleep(1500*time.Millisecond))
	if after := text(t, tab, "tick-count"); after != before {
		t.Errorf("ticks kept coming after the session ended: %s, then %s", before, after)
	}
	check()
}
