package oidclogin_test

import (
	"net/http"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/internal/oidctest"
)

// posingAdmin makes the provider's user call itself admin, in a group
// whose name holds the comma Remote-Groups is split on.
func posingAdmin(c map[string]any) {
	c["preferred_username"] = "admin"
	c["groups"] = []string{"viewer,admin", "x"}
}

// localAndOIDCApp serves the local password user admin (group admin) and
// logins through p, with /whoami, /admin (OneOf admin) and the
// forward-auth endpoint, whose Sections give the local admin everything
// and "oidc:admin" only /app. Loopback is the trusted proxy.
func localAndOIDCApp(t *testing.T, p *oidctest.Provider, tweak func(*oidclogin.Config)) string {
	t.Helper()
	return serve(t, func(base string) []auth.Option {
		cfg := config(p, base)
		if tweak != nil {
			tweak(&cfg)
		}
		return []auth.Option{
			auth.WithUsers(map[string]string{"admin": "admin"}),
			auth.WithUserGroups(map[string][]string{"admin": {"admin"}}),
			auth.WithSessions(auth.SessionConfig{Keys: testKeys(), InsecureCookies: true}),
			auth.WithTrustedProxies("127.0.0.1/32", "::1/128"),
			auth.WithForwardAuth(auth.ForwardAuthConfig{Sections: map[string][]string{
				"admin": {auth.AllSections}, "oidc:admin": {"/app"}, "corp:admin": {"/app"},
			}}),
			auth.WithLoginMethod(oidclogin.New(cfg)),
		}
	}).URL
}

// TestUserIsNotTheLocalUser checks that a provider's user called admin,
// in groups ["viewer,admin", "x"], is neither the local password user
// admin nor a member of admin: not for group rules, not for forward-auth
// Sections, and not in the Remote-* headers an upstream reads.
func TestUserIsNotTheLocalUser(t *testing.T) {
	p := oidctest.New(t)
	p.Forge(posingAdmin, false, "")
	app := localAndOIDCApp(t, p, nil)
	b := newBrowser(t)
	b.login(app + "/oidc/login")
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
	local := newBrowser(t)
	if res := local.ask(app+"/auth/verify", "X-Original-URI", "/secret", "Authorization", basic("admin", "admin")); res.StatusCode != 200 ||
		res.Header.Get("Remote-User") != "admin" || res.Header.Get("Remote-Groups") != "admin" {
		t.Errorf("the local admin: %d %q %q", res.StatusCode, res.Header.Get("Remote-User"), res.Header.Get("Remote-Groups"))
	}
}

// TestUserNameChoices checks Config.Name, PlainUserNames and UserClaim.
func TestUserNameChoices(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tweak func(*oidclogin.Config)
		start string
		want  string
	}{
		{"a named provider", func(c *oidclogin.Config) { c.Name = "corp" }, "/oidc/corp/login", `corp:admin ["x"] corp`},
		{"plain user names", func(c *oidclogin.Config) { c.PlainUserNames = true }, "/oidc/login", `admin ["x"] oidc`},
		{"the sub claim", func(c *oidclogin.Config) { c.UserClaim = "sub" }, "/oidc/login", `oidc:u-1 ["x"] oidc`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := oidctest.New(t)
			p.Forge(posingAdmin, false, "")
			app := localAndOIDCApp(t, p, tc.tweak)
			b := newBrowser(t)
			b.login(app + tc.start)
			if status, _, body := b.get(app + "/whoami"); status != 200 || body != tc.want {
				t.Fatalf("whoami: %d %s, want %s", status, body, tc.want)
			}
		})
	}
}

// TestRefusesPosingUserNames checks that a user claim that could read as
// another name downstream refuses the login, rather than being sent on
// or replaced by another claim.
func TestRefusesPosingUserNames(t *testing.T) {
	p := oidctest.New(t)
	app := localAndOIDCApp(t, p, func(c *oidclogin.Config) { c.PlainUserNames = true })
	for _, name := range []string{"viewer,admin", "admin ", " admin", "ad\x01min", "admin\u00a0", "corp:admin"} {
		p.Forge(func(c map[string]any) { c["preferred_username"] = name }, false, "")
		b := newBrowser(t)
		if status, _, _ := b.get(b.toCallback(app + "/oidc/login")); status != http.StatusUnauthorized {
			t.Errorf("preferred_username %q: callback %d, want 401", name, status)
		}
		if res := b.ask(app + "/auth/verify"); res.StatusCode != http.StatusUnauthorized || res.Header.Get("Remote-User") != "" {
			t.Errorf("preferred_username %q: verify %d, Remote-User %q", name, res.StatusCode, res.Header.Get("Remote-User"))
		}
	}
}
