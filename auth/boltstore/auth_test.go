package boltstore_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/boltstore"
)

// app is one run of an application keeping its state in a bolt file.
type app struct {
	a   *auth.Auth
	st  *boltstore.Store
	srv *httptest.Server
}

// startApp opens path and serves an application on it: sessions in the
// file when fileSessions, else in cookies sealed with keys; the
// revocation list and the session index are the file's either way.
func startApp(t *testing.T, path string, keys [][]byte, fileSessions bool) *app {
	t.Helper()
	st, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := auth.SessionConfig{Keys: keys, Revocations: st, InsecureCookies: true}
	if fileSessions {
		cfg.Store = st.Sessions(boltstore.SessionsConfig{})
	}
	mux := http.NewServeMux()
	a, err := auth.New(mux, auth.WithUsers(map[string]string{"alice": "alice-pw", "bob": "bob-pw"}), auth.WithSessions(cfg),
		auth.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, auth.FromContext(r.Context()).User) })
	p := &app{a: a, st: st, srv: httptest.NewServer(a.Handler())}
	t.Cleanup(p.stop)
	return p
}

// stop ends the server and closes the file; a second call does nothing.
func (p *app) stop() {
	if p.srv != nil {
		p.srv.Close()
		p.st.Close()
		p.srv = nil
	}
}

// login logs user in as a browser does with Basic and returns the
// session cookie.
func (p *app) login(t *testing.T, user, pass string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", p.srv.URL+"/", nil)
	req.SetBasicAuth(user, pass)
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	res, err := p.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == auth.DefaultSessionCookie && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("%s's login set no session cookie: %d", user, res.StatusCode)
	return ""
}

// status is the answer to a request carrying cookie.
func (p *app) status(t *testing.T, cookie string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", p.srv.URL+"/", nil)
	req.Header.Set("Accept", "application/json")
	req.AddCookie(&http.Cookie{Name: auth.DefaultSessionCookie, Value: cookie})
	res, err := p.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestLogOutEverywhereOutlivesRestart logs alice in twice and bob once,
// restarts the application on the same file (a.Sessions still lists
// alice's two sessions, whose cookies still work), logs alice out
// everywhere, and restarts it again: alice's cookies are refused and
// none of her sessions is listed, while bob's still works. With sessions
// in the file and in cookies alike.
func TestLogOutEverywhereOutlivesRestart(t *testing.T) {
	keys := [][]byte{make([]byte, 32), make([]byte, 32)}
	for i := range keys[0] {
		keys[0][i], keys[1][i] = byte(i), byte(100+i)
	}
	for _, fileSessions := range []bool{true, false} {
		name := map[bool]string{true: "sessions in the file", false: "sessions in cookies"}[fileSessions]
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "authwire.db")
			ctx := context.Background()
			p := startApp(t, path, keys, fileSessions)
			a1, a2, b := p.login(t, "alice", "alice-pw"), p.login(t, "alice", "alice-pw"), p.login(t, "bob", "bob-pw")
			p.stop()

			p = startApp(t, path, keys, fileSessions)
			if list, err := p.a.Sessions(ctx, "alice"); err != nil || len(list) != 2 {
				t.Fatalf("alice's sessions after a restart: %+v %v", list, err)
			}
			for _, c := range []string{a1, a2, b} {
				if s := p.status(t, c); s != http.StatusOK {
					t.Fatalf("a cookie after a restart: %d", s)
				}
			}
			if err := p.a.RevokeUser(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
			if s1, s2 := p.status(t, a1), p.status(t, a2); s1 != http.StatusUnauthorized || s2 != http.StatusUnauthorized {
				t.Fatalf("alice's cookies after RevokeUser: %d %d", s1, s2)
			}
			p.stop()

			p = startApp(t, path, keys, fileSessions)
			if s1, s2 := p.status(t, a1), p.status(t, a2); s1 != http.StatusUnauthorized || s2 != http.StatusUnauthorized {
				t.Errorf("alice's cookies after RevokeUser and a restart: %d %d", s1, s2)
			}
			if list, err := p.a.Sessions(ctx, "alice"); err != nil || len(list) != 0 {
				t.Errorf("alice's sessions after RevokeUser and a restart: %+v %v", list, err)
			}
			if s := p.status(t, b); s != http.StatusOK {
				t.Errorf("bob's cookie: %d", s)
			}
			if list, err := p.a.Sessions(ctx, "bob"); err != nil || len(list) != 1 {
				t.Errorf("bob's sessions: %+v %v", list, err)
			}
		})
	}
}
