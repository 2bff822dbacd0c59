package auth

import (
	"crypto/tls"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/authwire/authwire/backends"
)

// TestOriginCheckRules is the table of the cross-origin rules, after
// those of Go's http.CrossOriginProtection, with one trusted origin.
func TestOriginCheckRules(t *testing.T) {
	trusted, err := parseTrustedOrigin("HTTPS://Login.Example.com:443")
	if err != nil {
		t.Fatal(err)
	}
	c := newOriginCheck([]string{trusted})
	for _, tc := range []struct {
		name, method, host, site, origin string
		tls                              bool
		refused                          bool
	}{
		{"no headers (curl, servers)", "POST", "app.example.com", "", "", false, false},
		{"same-origin", "POST", "app.example.com", "same-origin", "http://app.example.com", false, false},
		{"typed or bookmarked", "POST", "app.example.com", "none", "", false, false},
		{"cross-site", "POST", "app.example.com", "cross-site", "https://evil.example", false, true},
		{"cross-site without Origin", "POST", "app.example.com", "cross-site", "", false, true},
		{"same-site: another port", "POST", "127.0.0.1:8050", "same-site", "http://127.0.0.1:9999", false, true},
		{"same-site: a sibling host", "POST", "app.example.com", "same-site", "https://blog.example.com", false, true},
		{"unknown Sec-Fetch-Site", "POST", "app.example.com", "sideways", "http://app.example.com", false, true},
		{"old browser, Origin is Host", "POST", "127.0.0.1:8050", "", "http://127.0.0.1:8050", false, false},
		{"old browser, https Origin behind a TLS proxy", "POST", "app.example.com", "", "https://app.example.com", false, false},
		{"old browser, http Origin on a TLS request", "POST", "app.example.com", "", "http://app.example.com", true, true},
		{"old browser, default port in Host", "POST", "app.example.com:443", "", "https://app.example.com", true, false},
		{"old browser, another port", "POST", "127.0.0.1:8050", "", "http://127.0.0.1:9999", false, true},
		{"old browser, foreign Origin", "POST", "app.example.com", "", "https://evil.example", false, true},
		{"old browser, Origin null", "POST", "app.example.com", "", "null", false, true},
		{"old browser, Origin with user info", "POST", "app.example.com", "", "http://x@app.example.com", false, true},
		{"old browser, Origin with a path", "POST", "app.example.com", "", "http://app.example.com/", false, true},
		{"trusted origin, cross-site", "POST", "app.example.com", "same-site", "https://login.example.com", false, false},
		{"trusted origin, old browser", "POST", "app.example.com", "", "https://login.example.com", false, false},
		{"trusted host with another scheme", "POST", "app.example.com", "same-site", "http://login.example.com", false, true},
		{"trusted host with another port", "POST", "app.example.com", "same-site", "https://login.example.com:8443", false, true},
		{"GET is safe", "GET", "app.example.com", "cross-site", "https://evil.example", false, false},
		{"HEAD is safe", "HEAD", "app.example.com", "cross-site", "https://evil.example", false, false},
		{"OPTIONS is safe", "OPTIONS", "app.example.com", "cross-site", "https://evil.example", false, false},
		{"PUT", "PUT", "app.example.com", "cross-site", "https://evil.example", false, true},
		{"DELETE", "DELETE", "app.example.com", "", "https://evil.example", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "http://"+tc.host+"/login", nil)
			req.Host = tc.host
			if tc.tls {
				req.TLS = &tls.ConnectionState{}
			}
			if tc.site != "" {
				req.Header.Set("Sec-Fetch-Site", tc.site)
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			err := c.check(backends.HTTPExchange(httptest.NewRecorder(), req))
			if tc.refused != (err != nil) {
				t.Fatalf("refused %v, want %v (%v)", err != nil, tc.refused, err)
			}
			if err != nil && !errors.Is(err, ErrCrossOrigin) {
				t.Fatalf("%v does not wrap ErrCrossOrigin", err)
			}
		})
	}
}

func TestParseTrustedOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://login.example.com":      "https://login.example.com",
		"HTTPS://Login.Example.COM":      "https://login.example.com",
		"https://login.example.com:443":  "https://login.example.com",
		"http://login.example.com:80":    "http://login.example.com",
		"http://127.0.0.1:8050":          "http://127.0.0.1:8050",
		"https://login.example.com:8443": "https://login.example.com:8443",
		"https://[::1]:443":              "https://[::1]",
		"http://[::1]:8080":              "http://[::1]:8080",
	} {
		if got, err := parseTrustedOrigin(in); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{
		"", "login.example.com", "//login.example.com", "ftp://login.example.com", "https://",
		"https://user@login.example.com", "https://login.example.com/", "https://login.example.com/path",
		"https://login.example.com?x", "https://login.example.com#x", "https://:443", "null", "*",
	} {
		if got, err := parseTrustedOrigin(bad); err == nil {
			t.Errorf("%q accepted as %q", bad, got)
		}
	}
}
