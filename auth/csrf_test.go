package auth_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/authwire/authwire/auth"
)

// TestCSRFTokensCarryNoKey is the second half of the fix for finding 2 of
// issue 12: the login page handed every visitor a random cookie and an
// HMAC of it under a key derived from the session keys, which let a
// dictionary be checked offline against the page. Now nothing the login
// page or the logout token shows depends on the keys: two applications
// with different keys hand out the same token for the same cookie and
// the same session, and take each other's (so processes need no shared
// secret for them either).
func TestCSRFTokensCarryNoKey(t *testing.T) {
	app := func() (*httptest.Server, *auth.Auth) {
		hashKey, blockKey := auth.GenerateKeyPair() // each app its own keys
		return newServer(t, demoUsers, demoGroups,
			auth.WithSessions(auth.SessionConfig{Keys: [][]byte{hashKey, blockKey}, InsecureCookies: true}),
			auth.WithLoginForm(auth.LoginConfig{}))
	}
	one, aOne := app()
	two, aTwo := app()
	const bind = "Jd2b8l0o3Yx1V5Zq7nT4rC9wK6sF0aHm2pE8uG3iL1y"
	token := func(srv *browser) string {
		srv.setCookie("authwire_login", bind)
		page := srv.do("GET", "/login", nil, nil)
		m := csrfField.FindStringSubmatch(page.body)
		if page.status != 200 || m == nil {
			t.Fatalf("login page: %d", page.status)
		}
		return m[1]
	}
	b1, b2 := newBrowser(t, one), newBrowser(t, two)
	tok1, tok2 := token(b1), token(b2)
	if tok1 != tok2 {
		t.Fatalf("the login token depends on the session keys: %q and %q for one cookie", tok1, tok2)
	}
	// One's token logs in on two.
	got := b2.do("POST", "/login", url.Values{"username": {"admin"}, "password": {"admin"}, "csrf_token": {tok1}, "next": {"/"}}, nil)
	if got.status != 303 {
		t.Fatalf("login on two with one's token: %d", got.status)
	}

	ctx := auth.NewContext(context.Background(), &auth.Identity{User: "admin", SessionID: "6sV0uQm1Rk3Xo8Lb4Zt7Ny2Ja5Wc9Hd0Pg3Ef6Ti1Y"})
	if l1, l2 := aOne.CSRFToken(ctx), aTwo.CSRFToken(ctx); l1 == "" || l1 != l2 {
		t.Fatalf("the logout token depends on the session keys: %q and %q for one session", l1, l2)
	}
}
