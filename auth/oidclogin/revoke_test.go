package oidclogin_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authwire/authwire/internal/oidctest"
	"github.com/authwire/authwire/internal/testclock"
)

// TestLogoutRevokesTheRefreshToken: logging out of a session that holds
// a refresh token revokes it at the provider's revocation_endpoint
// (RFC 7009), so that a copy of it redeems nothing; a provider that
// cannot be reached then does not hold the logout up or make it fail.
func TestLogoutRevokesTheRefreshToken(t *testing.T) {
	p := oidctest.New(t)
	app := refreshApp(t, p, testclock.New(time.Now()), nil)
	b := newBrowser(t)
	b.login(app.URL + "/oidc/login")
	if g := groupsOf(t, b, app.URL); g != "admins,ops" {
		t.Fatalf("after login: %q", g)
	}
	if status, _ := b.logout(app.URL); status != http.StatusSeeOther && status != http.StatusFound {
		t.Fatalf("logout: %d", status)
	}
	if n := p.RevokedRefreshTokens(); n != 1 {
		t.Fatalf("logout revoked %d refresh tokens at the provider, want 1", n)
	}
	if g := groupsOf(t, b, app.URL); g != http.StatusText(http.StatusUnauthorized) {
		t.Fatalf("after logout: %q", g)
	}

	// Again, with the provider gone by the time of the logout.
	b = newBrowser(t)
	b.login(app.URL + "/oidc/login")
	p.Close()
	began := time.Now()
	status, _ := b.logout(app.URL)
	if status >= 400 {
		t.Fatalf("logout with the provider down: %d", status)
	}
	if g := groupsOf(t, b, app.URL); g != http.StatusText(http.StatusUnauthorized) {
		t.Fatalf("after logout with the provider down: %q", g)
	}
	t.Logf("logout with the provider down answered in %v", time.Since(began))
}
