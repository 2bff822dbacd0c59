package demo_test

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSessionStoreSetting: SESSION_STORE takes cookie (the default) and
// file; any other value, and file beside REDIS_URL, stop the demo with a
// message naming the variable. With file, no SESSION_SECRET warns that
// sessions end at a restart, which they no longer do.
func TestSessionStoreSetting(t *testing.T) {
	for _, v := range []string{"", "cookie", "file"} {
		var out bytes.Buffer
		if _, err := load(t, map[string]string{"SESSION_STORE": v}, &out); err != nil {
			t.Fatalf("SESSION_STORE=%q: %v", v, err)
		}
		if warned := strings.Contains(out.String(), "sessions end when the demo stops"); warned != (v != "file") {
			t.Errorf("SESSION_STORE=%q without SESSION_SECRET: warned that sessions end: %v (%s)", v, warned, out.String())
		}
	}
	for _, tc := range []struct{ store, redis, want string }{
		{"redis", "", `SESSION_STORE "redis": want cookie (the default) or file`},
		{"File", "", `SESSION_STORE "File"`},
		{"file", "redis://127.0.0.1:1/0", "SESSION_STORE=file keeps sessions in the state directory, REDIS_URL in Redis"},
	} {
		var out bytes.Buffer
		if _, err := load(t, map[string]string{"SESSION_STORE": tc.store, "REDIS_URL": tc.redis}, &out); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SESSION_STORE=%q REDIS_URL=%q: %v, want %q", tc.store, tc.redis, err, tc.want)
		}
	}
}

// TestFileSessionsOutliveRestart runs each demo with SESSION_STORE=file
// and no SESSION_SECRET, so that its keys are new at every start and only
// a session kept in the state directory can outlive one. It logs in
// twice, kills the demo with SIGKILL, starts it again on the same state
// directory: both cookies still work. It logs one out, kills the demo
// the moment the logout has answered, starts it again: the logged-out
// cookie is refused, the other still works.
func TestFileSessionsOutliveRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three programs; skipped with -short")
	}
	for _, name := range demos {
		t.Run(name, func(t *testing.T) {
			exe := buildDemo(t, name)
			env := []string{"SESSION_STORE=file", "INSECURE_COOKIES=1", "STATE_DIR=" + t.TempDir(), "SESSION_SECRET="}
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			cookie := func(v string) map[string]string { return map[string]string{"Cookie": "authwire_session=" + v} }
			whoami := func(base, v string) int { return get(t, c, base+"/api/whoami", cookie(v)).status }

			base, proc := startProcess(t, exe, env...)
			out, kept := loginCookie(t, c, base), loginCookie(t, c, base)
			// A reference of 32 random bytes, not a sealed session.
			if len(out) != 43 || len(kept) != 43 || out == kept {
				t.Fatalf("session cookies %q and %q are not references", out, kept)
			}
			if whoami(base, out) != http.StatusOK || whoami(base, kept) != http.StatusOK {
				t.Fatal("the new sessions do not work")
			}

			kill(t, proc, base)
			base, proc = startProcess(t, exe, env...)
			if s := whoami(base, out); s != http.StatusOK {
				t.Fatalf("a session's cookie after a restart: %d", s)
			}
			if s := whoami(base, kept); s != http.StatusOK {
				t.Fatalf("another session's cookie after a restart: %d", s)
			}

			dash := get(t, c, base+"/", map[string]string{"Cookie": "authwire_session=" + out, "Accept": "text/html"})
			m := csrfField.FindStringSubmatch(dash.body)
			if dash.status != http.StatusOK || m == nil {
				t.Fatalf("dashboard: %d", dash.status)
			}
			headers := cookie(out)
			headers["Accept"] = "application/json"
			if r := do(t, c, "POST", base+"/logout", url.Values{"csrf_token": {m[1]}}, headers); r.status != http.StatusSeeOther {
				t.Fatalf("logout: %d %s", r.status, r.body)
			}
			kill(t, proc, base)

			base = start(t, exe, env...)
			if s := whoami(base, out); s != http.StatusUnauthorized {
				t.Errorf("the logged-out cookie after a restart: %d", s)
			}
			if s := whoami(base, kept); s != http.StatusOK {
				t.Errorf("a live session's cookie after two restarts: %d", s)
			}
		})
	}
}

// TestDemoWithFileSessions runs the demo's whole check (login form,
// logout, sockets closed at logout, sections, the sessions page) with
// SESSION_STORE=file, on one backend: the store is the backends' common
// part.
func TestDemoWithFileSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program; skipped with -short")
	}
	base := start(t, buildDemo(t, "gin"), "SESSION_STORE=file", "INSECURE_COOKIES=1")
	checkDemo(t, base)
	checkSections(t, base)
	checkSessions(t, base)
}

// kill ends the demo at base with SIGKILL, so that nothing gets to
// flush, and waits until it no longer answers.
func kill(t *testing.T, proc *os.Process, base string) {
	t.Helper()
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		res, err := http.Get(base + "/healthz")
		if err != nil {
			return
		}
		res.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("the killed demo still answers")
		}
	}
}
