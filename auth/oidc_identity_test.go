package auth_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/internal/oidctest"
)

// posingAdmin makes the provider's user call itself admin, in a group
// whose name holds the comma Remote-Groups is split on.
func posingAdmin(c map[string]any) {
	c["preferred_username"] = "admin"
	c["groups"] = []string{"viewer,admin", "x"}
}

// localAndOIDCApp serves the local password user admin (group admin) and
// OIDC logins through p, with /whoami, /admin (OneOf admin) and the
// forward-auth endpoint, whose Sections give the local admin everything
// and "oidc:admin" only /app. Loopback is the trusted proxy.
func localAndOIDCApp(t *testing.T, p *oidctest.Provider, tweak func(*auth.OIDCConfig)) string {
	t.Helper()
	var h atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	hash, block := auth.GenerateKeyPair()
	keys := [][]byte{hash, block}
	cfg := auth.OIDCConfig{Issuer: p.URL, ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: srv.URL + "/oidc/callback"}
	if tweak != nil {
		tweak(&cfg)
	}
	mux := http.NewServeMux()
	a, err := auth.New(mux,
		auth.WithLogger(slog.New(slog.DiscardHandler)),
		auth.WithUsers(map[string]string{"admin": "admin"}),
		auth.WithUserGroups(map[string][]string{"admin": {"admin"}}),
		auth.WithSessions(auth.SessionConfig{Keys: keys, InsecureCookies: true}),
		auth.WithTrustedProxies("127.0.0.1/32", "::1/128"),
		auth.WithForwardAuth(auth.ForwardAuthConfig{Sections: map[string][]string{
			"admin": {auth.AllSections}, "oidc:admin": {"/app"}, "corp:admin": {"/app"},
		}}),
		auth.WithOIDC(cfg),
	)
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		id := auth.FromContext(r.Context())
		fmt.Fprintf(w, "%s %q %s", id.User, id.Groups, id.Provider)
	})
	mux.Handle("/admin", a.Require(auth.OneOf("admin"))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("admin page"))
	})))
	h.Store(a.Handler())
	return srv.URL
}

// ask sends a GET with the browser's cookies and extra headers.
func (b *oidcBrowser) ask(u string, hdr ...string) *http.Response {
	b.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// TestOIDCUserIsNotTheLocalUser checks that a provider's user called
// admin, in groups ["viewer,admin", "x"], is neither the local password
// user admin nor a member of admin: not for group rules, not for
// forward-auth Sections, and not in the Remote-* headers an upstream
// reads.
func TestOIDCUserIsNotTheLocalUser(t *testing.T) {
	p := oidctest.New(t)
	p.Forge(posingAdmin, false, "")
	app := localAndOIDCApp(t, p, nil)
	b := newOIDCBrowser(t)
	if status, _, _ := b.get(b.toCallback(app + "/oidc/login")); status != http.StatusSeeOther {
		t.Fatalf("login: %d", status)
	}
	if status, _, body := b.get(app + "/whoami"); status != 200 || body != `oidc:admin ["x"] oidc` {
		t.Fatalf("whoami: %d %s", status, body)
	}
	if res := b.ask(app + "/admin"); res.StatusCode != http.StatusForbidden {
		t.Errorf("the OIDC admin at the local admin's page: %d, want 403", res.StatusCode)
	}
	res := b.ask(app+"/auth/verify", "X-Original-URI", "/app/page")
	for _, prefix := range []string{"Remote-", "X-Auth-Request-"} {
		if res.StatusCode != 200 || res.Header.Get(prefix+"User") != "oidc:admin" || res.Header.Get(prefix+"Groups") != "x" {
			t.Errorf("verify /app/page: %d, %sUser %q, %sGroups %q", res.StatusCode, prefix, res.Header.Get(prefix+"User"), prefix, res.Header.Get(prefix+"Groups"))
		}
	}
	if res := b.ask(app+"/auth/verify?allowed_groups=admin", "X-Original-URI", "/app/page"); res.StatusCode != http.StatusForbidden {
		t.Errorf("verify with allowed_groups=admin: %d, want 403", res.StatusCode)
	}
	if res := b.ask(app+"/auth/verify", "X-Original-URI", "/secret"); res.StatusCode != http.StatusForbidden {
		t.Errorf("verify /secret, the local admin's section: %d, want 403", res.StatusCode)
	}
	// The local admin still is admin.
	local := newOIDCBrowser(t)
	if res := local.ask(app+"/auth/verify", "X-Original-URI", "/secret", "Authorization", basic("admin", "admin")); res.StatusCode != 200 ||
		res.Header.Get("Remote-User") != "admin" || res.Header.Get("Remote-Groups") != "admin" {
		t.Errorf("the local admin: %d %q %q", res.StatusCode, res.Header.Get("Remote-User"), res.Header.Get("Remote-Groups"))
	}
}

// TestOIDCUserNameChoices checks OIDCConfig.Provider and PlainUserNames.
func TestOIDCUserNameChoices(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tweak func(*auth.OIDCConfig)
		want  string
	}{
		{"a named provider", func(c *auth.OIDCConfig) { c.Provider = "corp" }, `corp:admin ["x"] corp`},
		{"plain user names", func(c *auth.OIDCConfig) { c.PlainUserNames = true }, `admin ["x"] oidc`},
		{"the sub claim", func(c *auth.OIDCConfig) { c.UserClaim = "sub" }, `oidc:u-1 ["x"] oidc`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := oidctest.New(t)
			p.Forge(posingAdmin, false, "")
			app := localAndOIDCApp(t, p, tc.tweak)
			b := newOIDCBrowser(t)
			b.get(b.toCallback(app + "/oidc/login"))
			if status, _, body := b.get(app + "/whoami"); status != 200 || body != tc.want {
				t.Fatalf("whoami: %d %s, want %s", status, body, tc.want)
			}
		})
	}
}

// TestOIDCRefusesPosingUserNames checks that a user claim that could
// read as another name downstream refuses the login, rather than being
// sent on or replaced by another claim.
func TestOIDCRefusesPosingUserNames(t *testing.T) {
	p := oidctest.New(t)
	app := localAndOIDCApp(t, p, func(c *auth.OIDCConfig) { c.PlainUserNames = true })
	for _, name := range []string{"viewer,admin", "admin ", " admin", "ad\x01min", "admin\u00a0"} {
		p.Forge(func(c map[string]any) { c["preferred_username"] = name }, false, "")
		b := newOIDCBrowser(t)
		if status, _, _ := b.get(b.toCallback(app + "/oidc/login")); status != http.StatusUnauthorized {
			t.Errorf("preferred_username %q: callback %d, want 401", name, status)
		}
		if res := b.ask(app + "/auth/verify"); res.StatusCode != http.StatusUnauthorized || res.Header.Get("Remote-User") != "" {
			t.Errorf("preferred_username %q: verify %d, Remote-User %q", name, res.StatusCode, res.Header.Get("Remote-User"))
		}
	}
}

// TestOIDCProviderNameChecked checks the names OIDCConfig.Provider may
// not take.
func TestOIDCProviderNameChecked(t *testing.T) {
	hash, block := auth.GenerateKeyPair()
	keys := [][]byte{hash, block}
	for _, name := range []string{"basic", "form", "a:b", "a b", "a,b", "é"} {
		_, err := auth.New(http.NewServeMux(), auth.WithSessions(auth.SessionConfig{Keys: keys}),
			auth.WithOIDC(auth.OIDCConfig{Issuer: "https://idp.example", ClientID: "app", RedirectURL: "https://app.example/cb", Provider: name}))
		if !errors.Is(err, auth.ErrInvalidConfig) {
			t.Errorf("Provider %q: %v, want ErrInvalidConfig", name, err)
		}
	}
}
