//go:build linux

package demo_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/authwire/authwire/internal/browsertest"
)

// TestBrowserDashboardHTTPS runs the viewer's part of TestBrowserDashboard
// once over HTTPS: the Gin demo serves a certificate the test made, which
// Chromium trusts by its key (--ignore-certificate-errors-spki-list), and
// no other. The page must load over https, keep the session in a Secure
// cookie, fill its chart over wss:// and show that the session ended when
// a second tab logs out. Screenshots go to artifacts/https/.
func TestBrowserDashboardHTTPS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program and runs Chromium; skipped with -short")
	}
	cert := makeCert(t, time.Time{}, time.Time{})
	b := browsertest.Start(t, "--ignore-certificate-errors-spki-list="+cert.spki())
	base := start(t, buildDemo(t, "gin"), cert.env()...)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("the demo with TLS_CERT prints %q", base)
	}
	tab := b.NewTab(t)
	// The login page first: that the browser reached it at all says it
	// took the certificate; an untrusted one gives an error page.
	browsertest.Do(t, tab, chromedp.Navigate(base+"/login"))
	if got := browsertest.Do(t, tab, chromedp.Evaluate[string](`location.protocol + " " + !!document.getElementById("username")`)); got != "https: true" {
		t.Fatalf("the login page over https: %q", got)
	}

	checkViewerDashboard(t, tab, base, filepath.Join(repoRoot(t), "artifacts", "https"))

	// Log in again, and read the session cookie the browser keeps: it is
	// Secure and HttpOnly.
	login(t, tab, base, "admin", "admin")
	cookies := browsertest.Do(t, tab, func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		r, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
		return r.Cookies, err
	})
	var found bool
	for _, c := range cookies {
		if c.Name == "authwire_session" {
			found = true
			if !c.Secure || !c.HTTPOnly {
				t.Errorf("the browser's session cookie: Secure %v, HttpOnly %v", c.Secure, c.HTTPOnly)
			}
		}
	}
	if !found {
		t.Errorf("the browser keeps no authwire_session cookie for %s: %d cookies", base, len(cookies))
	}
}
