//go:build linux

package demo_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authwire/authwire/internal/browsertest"
)

// "Log out everywhere" in a real headless Chromium, against the Gin demo:
// admin logs in from two browser contexts of their own (as two browsers:
// no cookies shared), each with the dashboard open and its callbacks
// socket live. The first opens "Your sessions" from the header, sees both
// sessions, one marked as this one, and logs out everywhere: it lands on
// the login page, and the second's dashboard, whose socket the server
// closes with 4401, shows the session-ended banner. Screenshots go to
// artifacts/: sessions.png (the list) and sessions-ended.png (the second
// browser after). With UPDATE_SESSIONS_PNG=1 the list is also written to
// examples/sessions.png, the image the README shows.
func TestBrowserSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program and runs Chromium; skipped with -short")
	}
	b := browsertest.Start(t)
	base := start(t, buildDemo(t, "gin"))
	artifacts := filepath.Join(repoRoot(t), "artifacts")

	first, second := b.NewTab(t), b.NewTab(t) // each in a browser context of its own
	checkFirst := watchExceptions(t, first, "first browser")
	checkSecond := watchExceptions(t, second, "second browser")
	live := `document.getElementById("conn-state").dataset.state === "live"`
	browsers := []struct {
		name string
		tab  context.Context
	}{{"first", first}, {"second", second}}
	for _, br := range browsers {
		browsertest.Do(t, br.tab, chromedp.EmulateViewport(1200, 800))
		login(t, br.tab, base, "admin", "admin")
		waitFor(t, br.tab, "the "+br.name+" browser's socket live", live, 15*time.Second)
	}

	click(t, first, "nav-sessions")
	waitFor(t, first, "both sessions on the sessions page", `location.pathname === "/sessions" &&
		document.querySelectorAll("#session-list tbody tr").length === 2 &&
		document.querySelectorAll("#session-list tbody tr[data-current]").length === 1 &&
		document.querySelector("#session-list tr[data-current] #this-session") !== null`, 10*time.Second)
	if data := screenshot(t, first, filepath.Join(artifacts, "sessions.png")); os.Getenv("UPDATE_SESSIONS_PNG") == "1" {
		path := filepath.Join(repoRoot(t), "examples", "sessions.png")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
	if got := text(t, first, "this-session"); got != "this session" {
		t.Errorf("#this-session says %q", got)
	}
	// The second browser's dashboard is still live.
	if !browsertest.Do(t, second, chromedp.Evaluate[bool](live)) {
		t.Fatal("the second browser's socket is not live before the logout")
	}

	click(t, first, "revoke-all")
	waitFor(t, first, "the login page after logging out everywhere",
		`location.pathname === "/login" && document.getElementById("username") !== null`, 10*time.Second)

	// The second hears 4401 on its callbacks socket.
	waitFor(t, second, "the session-ended banner in the second browser", `(() => {
		const e = document.getElementById("session-ended");
		return e !== null && !e.hidden && e.offsetParent !== null;
	})()`, 15*time.Second)
	if got := text(t, second, "conn-state"); got != "Session ended" {
		t.Errorf("the second browser's connection state says %q", got)
	}
	if got := text(t, second, "session-ended"); !strings.Contains(got, "Your session ended") {
		t.Errorf("#session-ended says %q", got)
	}
	screenshot(t, second, filepath.Join(artifacts, "sessions-ended.png"))

	// Both cookies are dead: each browser is sent to log in again.
	for _, br := range browsers {
		browsertest.Do(t, br.tab, chromedp.Navigate(base+"/sessions"))
		waitFor(t, br.tab, "the "+br.name+" browser sent to log in", `location.pathname === "/login"`, 10*time.Second)
	}
	checkFirst()
	checkSecond()
}
