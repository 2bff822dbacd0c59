//go:build linux

package ws

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/authwire/authwire/internal/browsertest"
)

// browserPage logs in with Basic when asked (?login=1), which starts a
// session cookie, then opens /ws/echo and records what JavaScript sees:
// window.sid, window.opened (after an echo round trip), window.socketClosed
// ({code, reason} from onclose).
const browserPage = `<!doctype html>
<title>ws</title>
<script>
(async () => {
	if (location.search.includes("login=1")) {
		const r = await fetch("/api/sid", {headers: {Authorization: "Basic " + btoa("admin:admin")}});
		window.sid = await r.text();
	}
	const ws = new WebSocket("ws://" + location.host + "/ws/echo");
	ws.onopen = () => ws.send("ping");
	ws.onmessage = (e) => { if (e.data === "ping") window.opened = true; };
	ws.onclose = (e) => { window.socketClosed = {code: e.code, reason: e.reason}; };
})();
</script>`

type closed struct {
	Code   int    `json:"code"`
	Reason string `json:"reason"`
}

// TestBrowserSeesCloseCodes opens sockets from a real page in headless
// Chromium, on Fiber and net/http: an anonymous socket is closed with 4401
// at once, and a logged-in one with 4401 when its session is revoked.
func TestBrowserSeesCloseCodes(t *testing.T) {
	b := browsertest.Start(t)
	for _, be := range backendsUnderTest {
		if be.name == "gin" {
			continue // net/http and Fiber cover both serving paths; Gin serves as net/http does
		}
		t.Run(be.name, func(t *testing.T) {
			app := newTestApp(t, be, Config{})
			anon := b.NewTab(t)
			browsertest.Do(t, anon, chromedp.Navigate(app.base+"/page"))
			got := browsertest.Poll[closed](t, anon, "window.socketClosed")
			if got.Code != 4401 {
				t.Fatalf("anonymous socket: onclose code %d (%q), want 4401", got.Code, got.Reason)
			}

			tab := b.NewTab(t)
			browsertest.Do(t, tab, chromedp.Navigate(app.base+"/page?login=1"))
			sid := browsertest.Poll[string](t, tab, "window.sid")
			browsertest.Poll[bool](t, tab, "window.opened === true")
			if err := app.a.Revoke(context.Background(), sid); err != nil {
				t.Fatal(err)
			}
			got = browsertest.Poll[closed](t, tab, "window.socketClosed")
			if got.Code != 4401 {
				t.Fatalf("revoked session: onclose code %d (%q), want 4401", got.Code, got.Reason)
			}
		})
	}
}
