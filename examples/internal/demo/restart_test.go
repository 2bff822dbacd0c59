package demo_test

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/authwire/authwire/internal/servetest"
)

// TestLogoutOutlivesRestart logs in twice on each demo, logs one session
// out, kills the demo with SIGKILL as soon as the logout has answered,
// starts it again on the same state directory and secret, and replays
// both cookies: the logged-out one is refused, the other still works
// (so the refusal is the revocation's, not a lost key's).
func TestLogoutOutlivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three programs; skipped with -short")
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	for _, name := range demos {
		t.Run(name, func(t *testing.T) {
			exe := buildDemo(t, name)
			env := []string{"SESSION_SECRET=" + base64.StdEncoding.EncodeToString(secret), "INSECURE_COOKIES=1", "STATE_DIR=" + t.TempDir()}
			base, proc := startProcess(t, exe, env...)
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			out, kept := loginCookie(t, c, base), loginCookie(t, c, base)
			cookie := func(v string) map[string]string { return map[string]string{"Cookie": "authwire_session=" + v} }
			dash := get(t, c, base+"/", map[string]string{"Cookie": "authwire_session=" + out, "Accept": "text/html"})
			m := csrfField.FindStringSubmatch(dash.body)
			if dash.status != 200 || m == nil {
				t.Fatalf("dashboard: %d", dash.status)
			}
			headers := cookie(out)
			headers["Accept"] = "application/json"
			if r := do(t, c, "POST", base+"/logout", url.Values{"csrf_token": {m[1]}}, headers); r.status != http.StatusSeeOther {
				t.Fatalf("logout: %d %s", r.status, r.body)
			}
			if err := proc.Kill(); err != nil { // at once: nothing gets to flush
				t.Fatal(err)
			}
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if _, err := http.Get(base + "/healthz"); err != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the killed demo still answers")
				}
			}

			base = start(t, exe, env...)
			if r := get(t, c, base+"/api/whoami", cookie(out)); r.status != http.StatusUnauthorized {
				t.Errorf("the logged-out cookie after a restart: %d %s", r.status, r.body)
			}
			if r := get(t, c, base+"/api/whoami", cookie(kept)); r.status != http.StatusOK {
				t.Errorf("a live session's cookie after a restart: %d %s", r.status, r.body)
			}
		})
	}
}

// loginCookie logs admin in as a browser does with Basic (which starts a
// session) and returns the session cookie's value.
func loginCookie(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	cookie, _ := servetest.Login(t, c, base+"/api/whoami", "admin", "admin")
	return cookie
}
