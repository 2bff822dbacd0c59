package backendtest

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// posers are the identities the suite's custom authenticator hands out,
// by the value of an X-Backendtest-As header: names a comma-separated
// header would split or a proxy would trim, and groups out of order.
var posers = map[string]*auth.Identity{
	"comma user":   {User: AdminUser + "," + ViewerUser, Groups: []string{ViewerGroup}},
	"padded user":  {User: AdminUser + " ", Groups: []string{ViewerGroup}},
	"control user": {User: AdminUser + "\x01", Groups: []string{ViewerGroup}},
	"comma group":  {User: "poser", Groups: []string{ViewerGroup + "," + AdminGroup, "x"}},
	"unsorted":     {User: "unsorted", Groups: []string{"zeta", AdminGroup, "zeta"}},
}

// poserAuthenticator authenticates as posers[X-Backendtest-As].
type poserAuthenticator struct{}

func (poserAuthenticator) Authenticate(x backends.Exchange) (*auth.Identity, error) {
	if id := posers[x.Header("X-Backendtest-As")]; id != nil {
		return id, nil
	}
	return nil, auth.ErrNoCredentials
}

// checkForwardAuth starts an application with the forward-auth endpoint
// and asks it as a proxy on loopback would: the answers, the Remote-*
// headers (Exchange.SetHeader), ?allowed_groups= and ?section=
// (Exchange.Query) must be the same on every backend. A custom authenticator's identities show
// that a user name holding a comma, a control character or white space
// at an end is refused (403), that such group names never reach
// Remote-Groups, and that groups are checked and sent in order whatever
// order the authenticator gave.
func checkForwardAuth(t *testing.T, h Harness) {
	_, base := startWith(t, h,
		auth.WithTrustedProxies("127.0.0.1/32", "::1/128"), auth.WithForwardAuth(auth.ForwardAuthConfig{}),
		auth.WithAuthenticator(poserAuthenticator{}))
	basic := func(user, pass string) [2]string {
		return [2]string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}
	}
	original := [2]string{"X-Original-URI", "/app/page"}
	as := func(name string) [2]string { return [2]string{"X-Backendtest-As", name} }
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
		{"user name with a comma", "/auth/verify", [][2]string{original, as("comma user")}, http.StatusForbidden, "", ""},
		{"user name with a trailing space", "/auth/verify", [][2]string{original, as("padded user")}, http.StatusForbidden, "", ""},
		{"user name with a control character", "/auth/verify", [][2]string{original, as("control user")}, http.StatusForbidden, "", ""},
		{"group name with a comma", "/auth/verify", [][2]string{original, as("comma group")}, http.StatusOK, "poser", "x"},
		{"group name with a comma is no admin", "/auth/verify?allowed_groups=" + AdminGroup, [][2]string{as("comma group")}, http.StatusForbidden, "", ""},
		{"unsorted groups", "/auth/verify?allowed_groups=" + AdminGroup, [][2]string{as("unsorted")}, http.StatusOK, "unsorted", AdminGroup + ",zeta"},
		{"viewer in own section", "/auth/verify?section=" + MarketingSection, [][2]string{{"X-Original-URI", "/marketing/q3"}, basic(ViewerUser, ViewerPassword)}, http.StatusOK, ViewerUser, ViewerGroup},
		{"viewer in another section", "/auth/verify?section=" + HRSection, [][2]string{{"X-Original-URI", "/hr/pay"}, basic(ViewerUser, ViewerPassword)}, http.StatusForbidden, "", ""},
		{"admin in every section", "/auth/verify?section=" + HRSection, [][2]string{{"X-Original-URI", "/hr/pay"}, basic(AdminUser, AdminPassword)}, http.StatusOK, AdminUser, AdminGroup},
		{"escaped slash out of a section", "/auth/verify?section=" + MarketingSection, [][2]string{{"X-Original-URI", "/marketing/..%2fhr/pay"}, basic(ViewerUser, ViewerPassword)}, http.StatusForbidden, "", ""},
		{"escaped dots out of a section", "/auth/verify?section=" + MarketingSection, [][2]string{{"X-Original-URI", "/marketing/%2e%2e/hr/pay"}, basic(ViewerUser, ViewerPassword)}, http.StatusForbidden, "", ""},
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
