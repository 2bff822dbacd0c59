package demo_test

import (
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/authwire/authwire/internal/oidctest"
	"github.com/authwire/authwire/internal/servetest"
)

// TestDemoOIDC runs the Fiber demo with two OpenID Connect providers
// (OIDC_* and OIDC2_* variables) and logs a browser in through each:
// from its link on the login page, to the provider, back to its callback
// and on to the dashboard as alice of that provider; then the
// dashboard's logout button ends the session here and at the provider
// (and revokes the refresh token that OIDC_SCOPES's offline_access got).
func TestDemoOIDC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program; skipped with -short")
	}
	p, p2 := oidctest.New(t), oidctest.New(t)
	exe := buildDemo(t, "fiber")
	addr := servetest.FreeAddr(t)
	base := start(t, exe, "ADDR="+addr, "INSECURE_COOKIES=1",
		"OIDC_ISSUER="+p.URL, "OIDC_CLIENT_ID="+p.ClientID, "OIDC_CLIENT_SECRET="+p.ClientSecret,
		"OIDC_REDIRECT_URL=http://"+addr+"/oidc/callback", "OIDC_POST_LOGOUT_REDIRECT_URL=http://"+addr+"/login",
		"OIDC_SCOPES=profile,email,offline_access",
		"OIDC2_ISSUER="+p2.URL, "OIDC2_CLIENT_ID="+p2.ClientID, "OIDC2_CLIENT_SECRET="+p2.ClientSecret,
		"OIDC2_REDIRECT_URL=http://"+addr+"/oidc/partner/callback", "OIDC2_NAME=partner", "OIDC2_LABEL=Partner")

	for _, tc := range []struct {
		label, user, provider string
		idp                   *oidctest.Provider
		afterLogout           string // post_logout_redirect_uri
		revoked               int    // refresh tokens revoked at logout
	}{
		{"single sign-on", "oidc:alice", "oidc", p, "http://" + addr + "/login", 1}, // OIDC_SCOPES asks for one
		{"Partner", "partner:alice", "partner", p2, "", 0},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			jar, _ := cookiejar.New(nil)
			b := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			browse := map[string]string{"Accept": "text/html"}
			absolute := func(loc string) string {
				if strings.HasPrefix(loc, "/") {
					return base + loc
				}
				return loc
			}
			step := func(what, u string, status int) result {
				t.Helper()
				r := get(t, b, u, browse)
				if r.status != status {
					t.Fatalf("%s: %d, want %d (%s)", what, r.status, status, r.header.Get("Location"))
				}
				return r
			}
			login := step("anonymous dashboard", base+"/", http.StatusSeeOther)
			page := step("login page", absolute(login.header.Get("Location")), http.StatusOK)
			if !strings.Contains(page.body, ">Sign in with single sign-on</a>") || !strings.Contains(page.body, ">Sign in with Partner</a>") {
				t.Fatalf("the login page does not list both providers: %s", page.body)
			}
			link := regexp.MustCompile(`<a href="([^"]+)">Sign in with ` + tc.label + `</a>`).FindStringSubmatch(page.body)
			if link == nil {
				t.Fatalf("no link for %s on the login page", tc.label)
			}
			toProvider := step("provider's link", absolute(html.UnescapeString(link[1])), http.StatusSeeOther)
			back := step("provider", toProvider.header.Get("Location"), http.StatusFound)
			home := step("callback", back.header.Get("Location"), http.StatusSeeOther)
			if loc := home.header.Get("Location"); loc != "/" {
				t.Fatalf("after the callback: Location %q, want /", loc)
			}
			if dash := step("dashboard", base+"/", http.StatusOK); !strings.Contains(dash.body, "alice") {
				t.Fatal("the dashboard does not show alice")
			}
			who := get(t, b, base+"/api/whoami", nil)
			if who.status != 200 || !strings.Contains(who.body, `"user":"`+tc.user+`"`) || !strings.Contains(who.body, `"provider":"`+tc.provider+`"`) ||
				!strings.Contains(who.body, `"admins"`) {
				t.Fatalf("whoami after the login: %d %s", who.status, who.body)
			}
			token := csrfField.FindStringSubmatch(step("dashboard", base+"/", http.StatusOK).body)
			if token == nil {
				t.Fatal("no logout form on the dashboard")
			}
			out := do(t, b, "POST", base+"/logout", url.Values{"csrf_token": {token[1]}}, browse)
			end, err := url.Parse(out.header.Get("Location"))
			tokens := tc.idp.IDTokens()
			if out.status != http.StatusSeeOther || err != nil || end.Scheme+"://"+end.Host+end.Path != tc.idp.URL+"/logout" ||
				end.Query().Get("id_token_hint") != tokens[len(tokens)-1] || end.Query().Get("post_logout_redirect_uri") != tc.afterLogout {
				t.Fatalf("logout: %d Location %q", out.status, out.header.Get("Location"))
			}
			if who := get(t, b, base+"/api/whoami", nil); who.status != http.StatusUnauthorized {
				t.Fatalf("whoami after logout: %d", who.status)
			}
			if len(tc.idp.Logouts()) != 0 {
				t.Fatal("the provider saw the logout before the browser went there")
			}
			if n := tc.idp.RevokedRefreshTokens(); n != tc.revoked {
				t.Fatalf("logout revoked %d refresh tokens at the provider, want %d", n, tc.revoked)
			}
			if tc.afterLogout != "" {
				step("provider's logout", end.String(), http.StatusFound)
				if len(tc.idp.Logouts()) != 1 {
					t.Fatal("the provider did not see the logout")
				}
			}
		})
	}
}
