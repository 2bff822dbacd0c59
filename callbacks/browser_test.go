package callbacks_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authwire/authwire/callbacks"
	"github.com/authwire/authwire/internal/browsertest"
)

// browserPage loads the JavaScript client and records what it sees in
// window globals, which the test polls: results[key] for the promises
// given to record, and events for the client's events.
const browserPage = `<!doctype html>
<title>callbacks</title>
<script src="/_callbacks/client.js"></script>
<script>
window.results = {};
window.events = [];
window.items = [];
window.record = (key, p) => p.then(
	(v) => { results[key] = {ok: true, value: v === undefined ? null : v}; },
	(e) => { results[key] = {ok: false, code: e.code || "", name: e.name, message: e.message}; });
window.count = (type) => events.filter((e) => e.type === type).length;
const cb = authwire.callbacks();
for (const type of ["open", "close", "reconnecting", "sessionended", "forbidden"]) {
	cb.addEventListener(type, (ev) => events.push({type, code: (ev.detail && ev.detail.code) || 0}));
}
window.cb = cb;
</script>`

// jsResult is what record stores.
type jsResult struct {
	OK      bool            `json:"ok"`
	Value   json.RawMessage `json:"value"`
	Code    string          `json:"code"`
	Name    string          `json:"name"`
	Message string          `json:"message"`
}

type jsEvent struct {
	Type string `json:"type"`
	Code int    `json:"code"`
}

// eval runs a statement on the page.
func eval(t *testing.T, tab context.Context, js string) {
	t.Helper()
	browsertest.Do(t, tab, chromedp.Evaluate[any](js+"; undefined"))
}

// result waits for results[key].
func result(t *testing.T, tab context.Context, key string) jsResult {
	t.Helper()
	return browsertest.Poll[jsResult](t, tab, "window.results["+jsString(key)+"]")
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestBrowserClient drives client.js in headless Chromium against the
// net/http app: calls, a stream, refusals, a network drop (reconnect) and
// a revoked session (no reconnect).
func TestBrowserClient(t *testing.T) {
	b := browsertest.Start(t)
	app := newTestApp(t, backendsUnderTest[0], appOptions{cfg: testConfig, trackConns: true})
	tab := b.NewTab(t)
	browsertest.Do(t, tab, chromedp.Navigate(app.base+"/page"))
	browsertest.Poll[int](t, tab, `count("open")`)

	t.Run("anonymous", func(t *testing.T) {
		eval(t, tab, `record("echo", cb.call("echo", {a: 1, b: [2, "three"], c: {d: null}}))`)
		if r := result(t, tab, "echo"); !r.OK || string(r.Value) != `{"a":1,"b":[2,"three"],"c":{"d":null}}` {
			t.Fatalf("echo: %+v %s", r, r.Value)
		}
		before := app.ran.Load()
		eval(t, tab, `record("admin_stats", cb.call("admin_stats"))`)
		if r := result(t, tab, "admin_stats"); r.OK || r.Code != callbacks.CodeUnauthenticated || r.Name != "CallbackError" {
			t.Fatalf("admin_stats as anonymous: %+v", r)
		}
		if app.ran.Load() != before {
			t.Fatal("admin_stats ran for an anonymous caller")
		}
	})

	var sid string
	t.Run("log in and reconnect", func(t *testing.T) {
		eval(t, tab, `record("login", fetch("/api/sid", {headers: {Authorization: "Basic " + btoa("admin:admin")}})
			.then((r) => r.ok ? r.text() : Promise.reject(new Error("HTTP " + r.status))))`)
		r := result(t, tab, "login")
		if !r.OK || json.Unmarshal(r.Value, &sid) != nil || sid == "" {
			t.Fatalf("login: %+v", r)
		}
		// The open socket is anonymous: close it and open it again,
		// now with the session cookie.
		eval(t, tab, `cb.close()`)
		browsertest.Poll[int](t, tab, `count("close")`)
		eval(t, tab, `cb.reconnect()`)
		browsertest.Poll[bool](t, tab, `count("open") === 2`)
		eval(t, tab, `record("whoami", cb.call("whoami"))`)
		if r := result(t, tab, "whoami"); !r.OK || !json.Valid(r.Value) || !strings.Contains(string(r.Value), `"user":"admin"`) {
			t.Fatalf("whoami: %+v %s", r, r.Value)
		}
	})
	if sid == "" {
		t.FailNow()
	}

	t.Run("stream", func(t *testing.T) {
		eval(t, tab, `const s = cb.stream("ticks", {Count: 5}, (item) => items.push(item)); record("ticks", s.done)`)
		r := result(t, tab, "ticks")
		if !r.OK {
			t.Fatalf("ticks: %+v", r)
		}
		items := browsertest.Do(t, tab, chromedp.Evaluate[[]map[string]int](`items`))
		if len(items) != 5 {
			t.Fatalf("items %v, want 5", items)
		}
		for i, it := range items {
			if it["n"] != i {
				t.Fatalf("item %d is %v", i, it)
			}
		}
	})

	t.Run("network drop reconnects", func(t *testing.T) {
		shakes := app.handshakes.Load()
		if n := app.dropConns(); n == 0 {
			t.Fatal("no connection to drop")
		}
		browsertest.Poll[bool](t, tab, `count("reconnecting") === 1 && count("open") === 3`)
		events := browsertest.Do(t, tab, chromedp.Evaluate[[]jsEvent](`events`))
		t.Logf("events: %v", events)
		if e := events[len(events)-3]; e.Type != "close" || e.Code != 1006 {
			t.Fatalf("the drop was seen as %v, want close 1006", e)
		}
		if got := app.handshakes.Load(); got != shakes+1 {
			t.Fatalf("%d handshakes after the drop, want 1", got-shakes)
		}
		eval(t, tab, `record("after drop", cb.call("whoami"))`)
		if r := result(t, tab, "after drop"); !r.OK || !strings.Contains(string(r.Value), `"user":"admin"`) {
			t.Fatalf("whoami after the reconnect: %+v", r)
		}
	})

	t.Run("session ended", func(t *testing.T) {
		tr := app.expect("browser-hold")
		eval(t, tab, `window.hold = cb.stream("hold", {key: "browser-hold"}, () => {}); record("hold", hold.done)`)
		wait(t, tr.started, "hold started")
		if err := app.a.Revoke(context.Background(), sid); err != nil {
			t.Fatal(err)
		}
		code := browsertest.Poll[int](t, tab, `(events.find((e) => e.type === "sessionended") || {}).code`)
		if code != 4401 {
			t.Fatalf("sessionended with code %d", code)
		}
		wait(t, tr.returned, "the stream returned after the revocation")
		if r := result(t, tab, "hold"); r.OK || r.Code != "disconnected" {
			t.Fatalf("the stream in flight: %+v", r)
		}
		// The client must not reconnect by itself: no handshake for 2 s.
		shakes := app.handshakes.Load()
		time.Sleep(2 * time.Second)
		if got := app.handshakes.Load(); got != shakes {
			t.Fatalf("%d handshakes after sessionended, want none", got-shakes)
		}
		events := browsertest.Do(t, tab, chromedp.Evaluate[[]jsEvent](`events`))
		t.Logf("events: %v", events)
		if last := events[len(events)-1]; last.Type != "sessionended" {
			t.Fatalf("events after sessionended: %v", events)
		}
		eval(t, tab, `record("after end", cb.call("echo", 1))`)
		if r := result(t, tab, "after end"); r.OK || r.Code != "disconnected" {
			t.Fatalf("a call after the session ended: %+v", r)
		}
		// After a new login, reconnect() opens the socket again.
		eval(t, tab, `record("relogin", fetch("/api/sid", {headers: {Authorization: "Basic " + btoa("viewer:viewer123")}}).then((r) => r.text()))`)
		result(t, tab, "relogin")
		eval(t, tab, `cb.reconnect()`)
		browsertest.Poll[bool](t, tab, `count("open") === 4`)
		eval(t, tab, `record("viewer", cb.call("admin_stats"))`)
		if r := result(t, tab, "viewer"); r.OK || r.Code != callbacks.CodeForbidden {
			t.Fatalf("admin_stats as viewer: %+v", r)
		}
		if got := app.handshakes.Load(); got != shakes+1 {
			t.Fatalf("%d handshakes for one reconnect()", got-shakes)
		}
	})
	eval(t, tab, `cb.close()`)
	browsertest.Poll[bool](t, tab, `count("close") === 4`)
}
