//go:build linux

package demo_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authwire/authwire/internal/browsertest"
	"github.com/authwire/authwire/internal/hydratest"
	"github.com/authwire/authwire/internal/servetest"
)

// TestBrowserTwoHydras runs the Gin demo with two real OpenID providers,
// two Ory Hydras, and logs headless Chromium in through each from the
// login page's list of providers: the dashboard shows alice of that
// provider and its socket streams ticks; the logout button ends the
// session here and at the provider, which sends the browser back to the
// login page. Screenshots go to artifacts/oidc/.
func TestBrowserTwoHydras(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program, runs two Ory Hydras and Chromium; skipped with -short")
	}
	one, two := hydratest.Start(t), hydratest.Start(t)
	// Hydra makes its signing keys at the first use of its key set; on a
	// loaded machine that can outlast the demo's 10 s token exchange, so
	// let it happen now.
	for _, h := range []*hydratest.Hydra{one, two} {
		res, err := http.Get(h.Issuer + "/.well-known/jwks.json")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s's key set: %d", h.Issuer, res.StatusCode)
		}
	}
	addr := servetest.FreeAddr(t)
	site := "http://" + addr
	id1, secret1 := one.Client(t, site+"/oidc/callback", site+"/login")
	id2, secret2 := two.Client(t, site+"/oidc/partner/callback", site+"/login")
	b := browsertest.Start(t)
	base := start(t, buildDemo(t, "gin"), "ADDR="+addr,
		"OIDC_ISSUER="+one.Issuer, "OIDC_CLIENT_ID="+id1, "OIDC_CLIENT_SECRET="+secret1, "OIDC_LABEL=Hydra One",
		"OIDC_REDIRECT_URL="+site+"/oidc/callback", "OIDC_POST_LOGOUT_REDIRECT_URL="+site+"/login",
		"OIDC2_ISSUER="+two.Issuer, "OIDC2_CLIENT_ID="+id2, "OIDC2_CLIENT_SECRET="+secret2, "OIDC2_LABEL=Hydra Two",
		"OIDC2_NAME=partner", "OIDC2_REDIRECT_URL="+site+"/oidc/partner/callback", "OIDC2_POST_LOGOUT_REDIRECT_URL="+site+"/login")
	artifacts := filepath.Join(repoRoot(t), "artifacts", "oidc")
	tab := b.NewTab(t)
	check := watchExceptions(t, tab, "oidc tab")
	browsertest.Do(t, tab, chromedp.EmulateViewport(1200, 800))

	for _, p := range []struct {
		label, user string
		hydra       *hydratest.Hydra
	}{
		{"Hydra One", "oidc:alice", one},
		{"Hydra Two", "partner:alice", two},
	} {
		browsertest.Do(t, tab, chromedp.Navigate(base+"/login"))
		waitFor(t, tab, "both providers on the login page", `document.querySelectorAll("ul.sso a").length === 2`, 10*time.Second)
		browsertest.Do(t, tab, chromedp.Evaluate[bool](
			`[...document.querySelectorAll("ul.sso a")].find(a => a.textContent.includes(`+jsString(p.label)+`)).click(), true`))
		waitFor(t, tab, "the dashboard after "+p.label, `location.pathname === "/" && document.readyState === "complete" && !document.getElementById("btn-whoami").disabled`, 20*time.Second)
		if got := strings.TrimSpace(text(t, tab, "user")); got != p.user {
			t.Fatalf("logged in through %s as %q, want %q", p.label, got, p.user)
		}
		ticksAtLeast(t, tab, 2, 15*time.Second)
		screenshot(t, tab, filepath.Join(artifacts, strings.ReplaceAll(strings.ToLower(p.label), " ", "-")+".png"))

		before := p.hydra.Logouts()
		browsertest.Do(t, tab, chromedp.Evaluate[bool](`document.getElementById("logout").click(), true`))
		waitFor(t, tab, "the login page after logging out at "+p.label, `location.pathname === "/login" && document.readyState === "complete"`, 20*time.Second)
		if got := p.hydra.Logouts(); got != before+1 {
			t.Fatalf("%s accepted %d logouts, want %d: the session did not end at the provider", p.label, got, before+1)
		}
		browsertest.Do(t, tab, chromedp.Navigate(base+"/api/whoami"))
		if got := browsertest.Do(t, tab, chromedp.Evaluate[string](`location.pathname`)); got != "/login" {
			t.Fatalf("after logout, /api/whoami in the browser ends at %q, want the login page", got)
		}
	}
	check()
}
