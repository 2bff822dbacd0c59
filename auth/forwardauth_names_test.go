package auth_test

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// TestForwardAuthRefusesPosingNames checks, for identities from a custom
// authenticator, that a user name holding a comma, a control character
// or white space at an end is refused with 403 rather than sent as
// Remote-User, that such group names never reach Remote-Groups, and that
// groups reach it sorted.
func TestForwardAuthRefusesPosingNames(t *testing.T) {
	ids := map[string]*auth.Identity{
		"comma user":    {User: "admin,viewer", Groups: []string{"viewer"}},
		"padded user":   {User: "admin ", Groups: []string{"viewer"}},
		"control user":  {User: "admin\x01", Groups: []string{"viewer"}},
		"comma group":   {User: "eve", Groups: []string{"viewer,admin", "x"}},
		"padded group":  {User: "eve", Groups: []string{" admin", "x"}},
		"unsorted":      {User: "zed", Groups: []string{"zeta", "admin", "zeta"}},
		"comma email":   {User: "eve", Claims: map[string]any{"email": "eve@example.com,admin@example.com"}},
		"a clean email": {User: "eve", Claims: map[string]any{"email": "eve@example.com"}},
	}
	a, err := auth.New(http.NewServeMux(), auth.WithLogger(slog.New(slog.DiscardHandler)),
		auth.WithAuthenticator(headerAuthenticator(ids)), auth.WithForwardAuth(auth.ForwardAuthConfig{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		as, query    string
		status       int
		user, groups string
		email        string
	}{
		{"comma user", "", http.StatusForbidden, "", "", ""},
		{"padded user", "", http.StatusForbidden, "", "", ""},
		{"control user", "", http.StatusForbidden, "", "", ""},
		{"comma group", "", 200, "eve", "x", ""},
		{"comma group", "?allowed_groups=admin", http.StatusForbidden, "", "", ""},
		{"padded group", "", 200, "eve", "x", ""},
		{"padded group", "?allowed_groups=admin", http.StatusForbidden, "", "", ""},
		{"unsorted", "?allowed_groups=admin", 200, "zed", "admin,zeta", ""},
		{"comma email", "", 200, "eve", "", ""},
		{"a clean email", "", 200, "eve", "", "eve@example.com"},
	} {
		rec := verify(a.Handler(), "/auth/verify"+tc.query, untrustedAddr, map[string]string{"X-As": tc.as})
		got := [3]string{rec.Header().Get("Remote-User"), rec.Header().Get("Remote-Groups"), rec.Header().Get("Remote-Email")}
		if rec.Code != tc.status || got != [3]string{tc.user, tc.groups, tc.email} {
			t.Errorf("%s%s: %d %q, want %d %q", tc.as, tc.query, rec.Code, got, tc.status, [3]string{tc.user, tc.groups, tc.email})
		}
		if xr := rec.Header().Get("X-Auth-Request-User"); xr != tc.user {
			t.Errorf("%s%s: X-Auth-Request-User %q", tc.as, tc.query, xr)
		}
	}
}

// headerAuthenticator authenticates as the identity X-As names.
type headerAuthenticator map[string]*auth.Identity

func (h headerAuthenticator) Authenticate(x backends.Exchange) (*auth.Identity, error) {
	if id := h[x.Header("X-As")]; id != nil {
		return id, nil
	}
	return nil, auth.ErrNoCredentials
}
