// Package hydratest runs Ory Hydra, a real OpenID provider, for tests: the
// hydra program built from its Go module (github.com/ory/hydra/v2) into a
// cache of its own, never into authwire's go.mod, serving on loopback with
// an in-memory database, and a login-and-consent app that logs in one
// user at once and accepts logouts. Without the program, and when it
// cannot be built (no network, no C compiler), the test is skipped, or
// fails under CI (see internal/testbin).
package hydratest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/authwire/authwire/internal/servetest"
	"github.com/authwire/authwire/internal/testbin"
)

// Version is the Hydra release the tests run.
const Version = "v2.3.0"

// SignedOut is the page Hydra's logout URL ends at when no client asked
// for the logout (no post_logout_redirect_uri).
const SignedOut = "signed out at hydra"

// Hydra is a running Hydra with its login-and-consent app. Its one user
// is alice (subject u-1, groups ops and admins, email alice@example.com).
type Hydra struct {
	// Issuer is Hydra's public URL, the OpenID issuer.
	Issuer string
	// Admin is Hydra's admin API.
	Admin string

	client *http.Client // reaches the admin API

	mu       sync.Mutex
	logins   []bool   // the "skip" of each login request: Hydra remembered the user
	sessions []string // the login session of each consent request
	logout   int      // logout requests accepted
}

// Start runs Hydra until t ends.
func Start(t *testing.T) *Hydra {
	t.Helper()
	if testing.Short() {
		t.Skip("runs Ory Hydra; skipped with -short")
	}
	bin := Program(t)
	h := &Hydra{client: &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}}
	t.Cleanup(h.client.CloseIdleConnections)
	ui := httptest.NewServer(h.ui())
	t.Cleanup(ui.Close)
	public, admin := servetest.FreeAddr(t), servetest.FreeAddr(t)
	h.Issuer, h.Admin = "http://"+public, "http://"+admin
	pubHost, pubPort, _ := net.SplitHostPort(public)
	admHost, admPort, _ := net.SplitHostPort(admin)
	cmd := exec.Command(bin, "serve", "all", "--dev")
	cmd.Env = append(os.Environ(),
		"DSN=memory",
		"LOG_LEVEL=warn",
		"SECRETS_SYSTEM=authwire-hydratest-system-secret-0123456789",
		"SERVE_PUBLIC_HOST="+pubHost, "SERVE_PUBLIC_PORT="+pubPort,
		"SERVE_ADMIN_HOST="+admHost, "SERVE_ADMIN_PORT="+admPort,
		"URLS_SELF_ISSUER="+h.Issuer,
		"URLS_LOGIN="+ui.URL+"/login", "URLS_CONSENT="+ui.URL+"/consent", "URLS_LOGOUT="+ui.URL+"/logout",
		"URLS_POST_LOGOUT_REDIRECT="+ui.URL+"/signed-out",
	)
	var out servetest.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		if t.Failed() {
			t.Logf("hydra's output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := h.client.Get(h.Admin + "/health/ready")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("hydra exited: %v\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("hydra is not ready after a minute:\n%s", out.String())
		}
	}
	return h
}

// Client registers a confidential client with the redirect and
// post-logout redirect URIs given, and returns its ID and secret.
func (h *Hydra) Client(t *testing.T, redirect, postLogout string) (id, secret string) {
	t.Helper()
	return h.BackchannelClient(t, redirect, postLogout, "")
}

// BackchannelClient is Client with the client's backchannel_logout_uri,
// where Hydra posts logout tokens when a login session ends there (none
// when "").
func (h *Hydra) BackchannelClient(t *testing.T, redirect, postLogout, backchannel string) (id, secret string) {
	t.Helper()
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	h.admin(t, "POST", "/admin/clients", map[string]any{
		"backchannel_logout_uri":     backchannel,
		"client_secret":              "authwire-hydratest-client-secret",
		"redirect_uris":              []string{redirect},
		"post_logout_redirect_uris":  []string{postLogout},
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
		"scope":                      "openid profile email offline_access",
		"token_endpoint_auth_method": "client_secret_basic",
	}, &c)
	if c.ID == "" {
		t.Fatal("hydra made a client without an ID")
	}
	return c.ID, "authwire-hydratest-client-secret"
}

// Logins returns, for each login request Hydra sent the app, whether
// Hydra remembered the user (its skip flag), oldest first.
func (h *Hydra) Logins() []bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bool(nil), h.logins...)
}

// LoginSessions returns the login session (the ID tokens' sid) of each
// consent the app gave, oldest first.
func (h *Hydra) LoginSessions() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.sessions...)
}

// EndLoginSession ends Hydra's login session sid through the admin API,
// as an administrator does; Hydra then sends the back-channel logouts.
func (h *Hydra) EndLoginSession(t *testing.T, sid string) {
	t.Helper()
	h.admin(t, "DELETE", "/admin/oauth2/auth/sessions/login?sid="+url.QueryEscape(sid), nil, nil)
}

// RevokeConsent revokes every consent the subject gave, through the
// admin API, and with them the tokens Hydra issued on them: a refresh
// token of the subject is refused from then on.
func (h *Hydra) RevokeConsent(t *testing.T, subject string) {
	t.Helper()
	h.admin(t, "DELETE", "/admin/oauth2/auth/sessions/consent?all=true&subject="+url.QueryEscape(subject), nil, nil)
}

// Logouts returns how many logout requests the app accepted.
func (h *Hydra) Logouts() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.logout
}

// ui is the login-and-consent app: it logs alice in (and has Hydra
// remember her), grants what is asked, accepts every logout, and shows
// SignedOut after a logout no client asked for.
func (h *Hydra) ui() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		challenge := r.URL.Query().Get("login_challenge")
		var req struct {
			Skip bool `json:"skip"`
		}
		if err := h.call("GET", "/admin/oauth2/auth/requests/login?login_challenge="+url.QueryEscape(challenge), nil, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		h.mu.Lock()
		h.logins = append(h.logins, req.Skip)
		h.mu.Unlock()
		h.accept(w, r, "/admin/oauth2/auth/requests/login/accept?login_challenge="+url.QueryEscape(challenge),
			map[string]any{"subject": "u-1", "remember": true, "remember_for": 3600})
	})
	mux.HandleFunc("GET /consent", func(w http.ResponseWriter, r *http.Request) {
		challenge := r.URL.Query().Get("consent_challenge")
		var req struct {
			Scopes   []string `json:"requested_scope"`
			Audience []string `json:"requested_access_token_audience"`
			Session  string   `json:"login_session_id"`
		}
		if err := h.call("GET", "/admin/oauth2/auth/requests/consent?consent_challenge="+url.QueryEscape(challenge), nil, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		h.mu.Lock()
		h.sessions = append(h.sessions, req.Session)
		h.mu.Unlock()
		h.accept(w, r, "/admin/oauth2/auth/requests/consent/accept?consent_challenge="+url.QueryEscape(challenge), map[string]any{
			"grant_scope": req.Scopes, "grant_access_token_audience": req.Audience,
			"session": map[string]any{"id_token": map[string]any{
				"preferred_username": "alice", "email": "alice@example.com", "groups": []string{"ops", "admins"},
			}},
		})
	})
	mux.HandleFunc("GET /signed-out", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, SignedOut)
	})
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.logout++
		h.mu.Unlock()
		h.accept(w, r, "/admin/oauth2/auth/requests/logout/accept?logout_challenge="+url.QueryEscape(r.URL.Query().Get("logout_challenge")), nil)
	})
	return mux
}

// accept PUTs body to the admin path and sends the browser where Hydra
// says.
func (h *Hydra) accept(w http.ResponseWriter, r *http.Request, path string, body any) {
	var next struct {
		RedirectTo string `json:"redirect_to"`
	}
	if err := h.call("PUT", path, body, &next); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, next.RedirectTo, http.StatusFound)
}

// admin calls the admin API and fails t on error.
func (h *Hydra) admin(t *testing.T, method, path string, body, out any) {
	t.Helper()
	if err := h.call(method, path, body, out); err != nil {
		t.Fatal(err)
	}
}

// call sends body as JSON to the admin API and decodes the answer into
// out, unless out is nil.
func (h *Hydra) call(method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.Admin+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("hydra %s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// Program returns the hydra program: $AUTHWIRE_HYDRA, else hydra on the
// PATH, else the one built from github.com/ory/hydra/v2@Version in the
// user's cache directory, building it there the first time (minutes; the
// build is kept for later runs). When none can be had, t is skipped, or
// failed under CI.
func Program(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AUTHWIRE_HYDRA"); p != "" {
		return p
	}
	if p, err := exec.LookPath("hydra"); err == nil {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		testbin.Unavailable(t, "no cache directory to build hydra in: "+err.Error())
	}
	dir := filepath.Join(cache, "authwire-test", "hydra-"+Version)
	bin := filepath.Join(dir, "hydra")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		testbin.Unavailable(t, "cannot make "+dir+": "+err.Error())
	}
	// One build at a time, across the test binaries of a go test run.
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		testbin.Unavailable(t, err.Error())
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		testbin.Unavailable(t, err.Error())
	}
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	t.Logf("building hydra %s into %s (once; it takes minutes)", Version, dir)
	if err := build(t, bin); err != nil {
		testbin.Unavailable(t, "building hydra "+Version+" failed (set AUTHWIRE_HYDRA to a hydra program, or let the build reach the module proxy): "+err.Error())
	}
	return bin
}

// build builds hydra into bin. Its go.mod replaces its API client by a
// directory the module's zip leaves out, so the module is copied, that
// replacement dropped for the published client, and the copy built, with
// SQLite for the in-memory database.
func build(t *testing.T, bin string) error {
	var dl struct{ Dir, Error string }
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/ory/hydra/v2@"+Version).Output()
	if err != nil || json.Unmarshal(out, &dl) != nil || dl.Dir == "" {
		return fmt.Errorf("go mod download: %v %s %s", err, dl.Error, out)
	}
	src := filepath.Join(t.TempDir(), "hydra")
	if err := os.CopyFS(src, os.DirFS(dl.Dir)); err != nil {
		return err
	}
	run := func(args ...string) error {
		cmd := exec.Command("go", args...)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %v: %w\n%s", args, err, out)
		}
		return nil
	}
	if err := run("mod", "edit", "-dropreplace", "github.com/ory/hydra-client-go/v2"); err != nil {
		return err
	}
	if err := run("build", "-tags", "sqlite,sqlite_omit_load_extension", "-o", bin+".tmp", "."); err != nil {
		return err
	}
	return os.Rename(bin+".tmp", bin)
}
