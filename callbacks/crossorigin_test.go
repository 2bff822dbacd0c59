package callbacks_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/internal/servetest"
)

// call posts body to a callback with the given headers (none is added:
// no Content-Type unless given) and returns the answer.
func (app *testApp) call(name, body string, headers ...[2]string) httpAnswer {
	app.t.Helper()
	req, _ := http.NewRequest("POST", app.base+"/_callbacks/"+name, strings.NewReader(body))
	for _, h := range headers {
		req.Header.Set(h[0], h[1])
	}
	resp, err := app.client.Do(req)
	if err != nil {
		app.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return httpAnswer{resp.StatusCode, string(b), resp.Header.Get("Content-Type")}
}

// TestHTTPCallsRefuseCrossOrigin is the fix for finding 3 of issue 12 on
// every backend: a page on another site, or on another port of the same
// host, made the logged-in admin's browser run admin_stats with a
// text/plain form. Such calls now get 403 (cross-origin, whether the
// browser says so with Sec-Fetch-Site or only with Origin) or 415 (not
// application/json), and the callback never runs; same-origin pages and
// clients that are no browser (curl with Basic) keep working.
func TestHTTPCallsRefuseCrossOrigin(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backendUnderTest) {
		app := newTestApp(t, be, appOptions{cfg: testConfig})
		cookie, _ := app.login("admin", "admin")
		u, _ := url.Parse(app.base)
		otherPort := "http://" + u.Hostname() + ":1"
		session := [2]string{"Cookie", auth.DefaultSessionCookie + "=" + cookie}
		basic := [2]string{"Authorization", servetest.BasicHeader("admin", "admin")}
		jsonType := [2]string{"Content-Type", "application/json"}
		for _, tc := range []struct {
			name    string
			body    string
			headers [][2]string
			status  int
			code    string
		}{
			{"cross-site text/plain form", `{}`, [][2]string{session, {"Content-Type", "text/plain"}, {"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}}, 403, "forbidden"},
			{"cross-site JSON", `{}`, [][2]string{session, jsonType, {"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}}, 403, "forbidden"},
			{"another port, same-site", `{}`, [][2]string{session, {"Content-Type", "text/plain"}, {"Sec-Fetch-Site", "same-site"}, {"Origin", otherPort}}, 403, "forbidden"},
			{"another port, Origin only", `{}`, [][2]string{session, jsonType, {"Origin", otherPort}}, 403, "forbidden"},
			{"foreign Origin only", `{}`, [][2]string{session, jsonType, {"Origin", "https://evil.example"}}, 403, "forbidden"},
			{"cross-site with cached Basic credentials", `{}`, [][2]string{basic, {"Content-Type", "text/plain"}, {"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}}, 403, "forbidden"},
			{"same-origin text/plain", `{}`, [][2]string{session, {"Content-Type", "text/plain"}, {"Sec-Fetch-Site", "same-origin"}, {"Origin", app.base}}, 415, "unsupported_media_type"},
			{"urlencoded form", `a=1`, [][2]string{session, {"Content-Type", "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type"},
			{"multipart", `--x--`, [][2]string{session, {"Content-Type", "multipart/form-data; boundary=x"}}, 415, "unsupported_media_type"},
			{"no Content-Type", `{}`, [][2]string{session}, 415, "unsupported_media_type"},
			{"no Content-Type, no body", ``, [][2]string{basic}, 415, "unsupported_media_type"},
			{"JSON look-alike", `{}`, [][2]string{session, {"Content-Type", "application/jsonx"}}, 415, "unsupported_media_type"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := app.ran.Load()
				got := app.call("admin_stats", tc.body, tc.headers...)
				if got.status != tc.status || !strings.Contains(got.body, `"code":"`+tc.code+`"`) || got.ctype != "application/json" {
					t.Fatalf("%d %s %q, want %d %s", got.status, got.ctype, got.body, tc.status, tc.code)
				}
				if app.ran.Load() != before {
					t.Fatal("admin_stats ran")
				}
			})
		}
		for _, tc := range []struct {
			name    string
			headers [][2]string
		}{
			{"same-origin page", [][2]string{session, jsonType, {"Sec-Fetch-Site", "same-origin"}, {"Origin", app.base}}},
			{"older browser, same origin", [][2]string{session, {"Content-Type", "application/json; charset=utf-8"}, {"Origin", app.base}}},
			{"curl with Basic", [][2]string{basic, jsonType}},
			{"curl with the cookie", [][2]string{session, jsonType}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := app.call("admin_stats", `{}`, tc.headers...); got.status != 200 || got.body != `{"result":{"users":2}}`+"\n" {
					t.Fatalf("%d %q", got.status, got.body)
				}
			})
		}
	})
}

// TestTrustedOriginCallsCallbacks: an origin named with
// auth.WithTrustedOrigins may call; the same host with another scheme may
// not.
func TestTrustedOriginCallsCallbacks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backendUnderTest) {
		app := newTestApp(t, be, appOptions{cfg: testConfig, extra: []auth.Option{auth.WithTrustedOrigins("https://app.example.com")}})
		for origin, want := range map[string]int{"https://app.example.com": 200, "http://app.example.com": 403} {
			got := app.call("echo", `1`, [2]string{"Content-Type", "application/json"}, [2]string{"Sec-Fetch-Site", "cross-site"}, [2]string{"Origin", origin})
			if got.status != want {
				t.Errorf("%s: %d %q, want %d", origin, got.status, got.body, want)
			}
		}
	})
}
