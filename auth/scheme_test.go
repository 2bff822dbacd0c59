package auth_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authwire/authwire/auth"
)

// TestRequestScheme checks that X-Forwarded-Proto says the scheme only
// from a trusted proxy, once, as http or https.
func TestRequestScheme(t *testing.T) {
	a, err := auth.New(http.NewServeMux(), auth.WithUsers(map[string]string{"u": "pw"}), auth.WithTrustedProxies("192.0.2.10/32"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		peer   string
		tls    bool
		protos []string
		want   string
	}{
		{untrustedAddr, false, nil, "http"},
		{untrustedAddr, true, nil, "https"},
		{untrustedAddr, false, []string{"https"}, "http"},
		{untrustedAddr, true, []string{"http"}, "https"},
		{proxyAddr, false, nil, "http"},
		{proxyAddr, false, []string{"https"}, "https"},
		{proxyAddr, false, []string{" HTTPS "}, "https"},
		{proxyAddr, true, []string{"http"}, "http"},
		{proxyAddr, false, []string{"https", "https"}, "http"},
		{proxyAddr, false, []string{"https, http"}, "http"},
		{proxyAddr, true, []string{"wss"}, "https"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		}
		r.Header["X-Forwarded-Proto"] = tc.protos
		if got := a.RequestScheme(r); got != tc.want {
			t.Errorf("peer %s, TLS %v, X-Forwarded-Proto %q: %q, want %q", tc.peer, tc.tls, tc.protos, got, tc.want)
		}
	}
}
