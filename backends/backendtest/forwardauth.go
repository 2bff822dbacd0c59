package backendtest

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/authwire/authwire/auth"
)

// checkForwardAuth starts an application with the forward-auth endpoint
// and asks it as a proxy on loopback would: the answers, the Remote-*
// headers (Exchange.SetHeader) and ?allowed_groups= (Exchange.Query) must
// be the same on every backend.
func checkForwardAuth(t *testing.T, h Harness) {
	opts := append(append(Options(), h.Options...),
		auth.WithTrustedProxies("127.0.0.1/32", "::1/128"), auth.WithForwardAuth(auth.ForwardAuthConfig{}))
	s := &Setup{t: t, opts: opts}
	base := h.Start(t, s)
	if s.auth == nil {
		t.Fatal("backendtest: Harness.Start did not call Setup.Install")
	}
	basic := func(user, pass string) [2]string {
		return [2]string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}
	}
	original := [2]string{"X-Original-URI", "/app/page"}
	for _, tc := range []struct {
		name    string
		path    string
		headers [][2]string
		status  int
		user    string
		groups  string
	}{
		{"anonymous", "/auth/verify", [][2]string{original}, http.StatusUnauthorized, "", ""},
		{"admin", "/auth/verify", [][2]string{original, basic(AdminUser, AdminPassword)}, http.StatusOK, AdminUser, AdminGroup},
		{"viewer", "/auth/verify", [][2]string{original, basic(ViewerUser, ViewerPassword)}, http.StatusOK, ViewerUser, ViewerGroup},
		{"viewer outside allowed_groups", "/auth/verify?allowed_groups=" + AdminGroup, [][2]string{basic(ViewerUser, ViewerPassword)}, http.StatusForbidden, "", ""},
		{"admin inside allowed_groups", "/auth/verify?allowed_groups=" + AdminGroup, [][2]string{basic(AdminUser, AdminPassword)}, http.StatusOK, AdminUser, AdminGroup},
		{"wrong password", "/auth/verify", [][2]string{basic(AdminUser, "nope")}, http.StatusUnauthorized, "", ""},
	} {
		res, body := roundTrip(t, base, "GET", tc.path, "", tc.headers...)
		if res.StatusCode != tc.status {
			t.Fatalf("%s: %d, want %d (%s)", tc.name, res.StatusCode, tc.status, body)
		}
		for _, prefix := range []string{"Remote-", "X-Auth-Request-"} {
			if got := res.Header.Get(prefix + "User"); got != tc.user {
				t.Errorf("%s: %sUser %q, want %q", tc.name, prefix, got, tc.user)
			}
			if got := res.Header.Get(prefix + "Groups"); got != tc.groups {
				t.Errorf("%s: %sGroups %q, want %q", tc.name, prefix, got, tc.groups)
			}
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", tc.name, res.Header.Get("Cache-Control"))
		}
		if tc.status == http.StatusUnauthorized && res.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without a challenge", tc.name)
		}
	}
}
