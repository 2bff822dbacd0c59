package oidclogin_test

import (
	"net/http"
	"testing"

	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/internal/oidctest"
)

// TestSectionsClaim checks that the sections come from the ID token's
// allowed_resources claim (or the one SectionsClaim names), that names
// that cannot be sections are dropped, and that the session keeps them.
func TestSectionsClaim(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claim  string // SectionsClaim, "" for the default
		claims map[string]any
		status int
		body   string
	}{
		{"default claim", "", map[string]any{"allowed_resources": []string{"marketing", "hr", "a,b"}}, 200, `hr page ["hr" "marketing"]`},
		{"one string", "", map[string]any{"allowed_resources": "hr"}, 200, `hr page ["hr"]`},
		{"all", "", map[string]any{"allowed_resources": []string{"_all_"}}, 200, `hr page ["_all_"]`},
		{"another section", "", map[string]any{"allowed_resources": []string{"marketing"}}, 403, ""},
		{"no claim", "", nil, 403, ""},
		{"named claim", "sections", map[string]any{"sections": []string{"hr"}, "allowed_resources": []string{"marketing"}}, 200, `hr page ["hr"]`},
		{"named claim absent", "sections", map[string]any{"allowed_resources": []string{"hr"}}, 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := oidctest.New(t)
			p.Forge(func(c map[string]any) {
				for k, v := range tc.claims {
					c[k] = v
				}
			}, false, "")
			app := oidcApp(t, p, func(c *oidclogin.Config) { c.SectionsClaim = tc.claim })
			b := newBrowser(t)
			b.login(app + "/oidc/login")
			for range 2 { // the second time from the session cache
				status, _, body := b.get(app + "/hr")
				if status != tc.status || tc.body != "" && body != tc.body {
					t.Fatalf("/hr: %d %q, want %d %q", status, body, tc.status, tc.body)
				}
			}
			if status, _, _ := b.get(app + "/private"); status != http.StatusOK {
				t.Fatalf("/private: %d", status)
			}
		})
	}
}
