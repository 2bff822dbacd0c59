package auth_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
)

// FuzzForwardAuthTarget asks the forward-auth endpoint, as the trusted
// proxy, about arbitrary original requests for a user limited to the
// /marketing section: the answer is 200, 401 or 403, never a 3xx to
// nginx or a 5xx, and a 200 means the original path, as any upstream
// would clean it, is inside /marketing.
func FuzzForwardAuthTarget(f *testing.F) {
	for _, seed := range [][3]string{
		{"", "/marketing/x", ""},
		{"", "/marketing/../hr", ""},
		{"", "/marketing%2f..%2fhr", ""},
		{"http://h/marketing/x", "", ""},
		{"https://h@evil/marketing", "", ""},
		{"", "/marketingx", ""},
		{"", "//marketing", ""},
		{"", "/marketing/x?y=/../hr", "https"},
		{"", "/Marketing", ""},
		{"", "/marketing/%2e%2e/hr", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	h := forwardHandler(f, auth.ForwardAuthConfig{Sections: map[string][]string{"viewer": {"/marketing"}}})
	f.Fuzz(func(t *testing.T, originalURL, originalURI, proto string) {
		req := httptest.NewRequest("GET", "/auth/verify", nil)
		req.RemoteAddr = proxyAddr
		req.SetBasicAuth("viewer", "viewer123")
		for name, v := range map[string]string{"X-Original-URL": originalURL, "X-Original-URI": originalURI, "X-Forwarded-Proto": proto} {
			if v != "" && !strings.ContainsAny(v, "\r\n\x00") {
				req.Header.Set(name, v)
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusUnauthorized, http.StatusForbidden:
		default:
			t.Fatalf("URL %q URI %q: %d", originalURL, originalURI, rec.Code)
		}
		if rec.Code != http.StatusOK {
			return
		}
		// The endpoint reads header values as an HTTP parser leaves them,
		// without surrounding blanks; a blank X-Original-URL is absent.
		target := strings.TrimSpace(req.Header.Get("X-Original-URI"))
		if full := strings.TrimSpace(req.Header.Get("X-Original-URL")); full != "" {
			u, err := url.Parse(full)
			if err != nil {
				t.Fatalf("allowed an unparsable X-Original-URL %q", full)
			}
			target = u.RequestURI()
		}
		raw, _, _ := strings.Cut(target, "?")
		decoded, err := url.PathUnescape(raw)
		if err != nil {
			t.Fatalf("allowed an undecodable path %q", raw)
		}
		for _, p := range []string{raw, decoded} {
			if c := path.Clean(p); c != "/marketing" && !strings.HasPrefix(c, "/marketing/") {
				t.Fatalf("URL %q URI %q: allowed %q, outside /marketing", originalURL, originalURI, c)
			}
		}
	})
}
