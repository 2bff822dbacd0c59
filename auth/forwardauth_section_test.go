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

// TestForwardAuthSectionQuery checks ?section=: the caller's sections
// decide, _all_ passes, a bad parameter forbids, and an original path
// that is not clean forbids, so that an encoded path cannot cross from
// one section's location into another's.
func TestForwardAuthSectionQuery(t *testing.T) {
	mux := http.NewServeMux()
	a, err := auth.New(mux,
		auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123", "nobody": "nobody"}),
		auth.WithUserSections(map[string][]string{"admin": {auth.AllSections}, "viewer": {"marketing"}}),
		auth.WithTrustedProxies("192.0.2.10/32"),
		auth.WithoutRegulation(),
		auth.WithForwardAuth(auth.ForwardAuthConfig{}),
	)
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler()
	viewer, admin, nobody := basic("viewer", "viewer123"), basic("admin", "admin"), basic("nobody", "nobody")
	for _, tc := range []struct {
		name, target, auth, uri string
		peer                    string
		want                    int
	}{
		{"viewer in marketing", "/auth/verify?section=marketing", viewer, "/marketing/x", proxyAddr, 200},
		{"viewer in hr", "/auth/verify?section=hr", viewer, "/hr/x", proxyAddr, 403},
		{"admin in hr", "/auth/verify?section=hr", admin, "/hr/x", proxyAddr, 200},
		{"no sections", "/auth/verify?section=marketing", nobody, "/marketing/x", proxyAddr, 403},
		{"no section asked", "/auth/verify", nobody, "/anything", proxyAddr, 200},
		{"anonymous", "/auth/verify?section=marketing", "", "/marketing/x", proxyAddr, 401},
		{"without an original path", "/auth/verify?section=marketing", viewer, "", proxyAddr, 200},
		{"untrusted peer: the path is not read", "/auth/verify?section=marketing", viewer, "/marketing/..%2fhr", untrustedAddr, 200},
		{"untrusted peer, hr", "/auth/verify?section=hr", viewer, "/marketing/x", untrustedAddr, 403},
		{"two sections", "/auth/verify?section=marketing&section=hr", admin, "/hr/x", proxyAddr, 403},
		{"a list", "/auth/verify?section=marketing,hr", admin, "/hr/x", proxyAddr, 403},
		{"empty", "/auth/verify?section=", admin, "/hr/x", proxyAddr, 403},
		{"with allowed_groups", "/auth/verify?section=marketing&allowed_groups=admin", viewer, "/marketing/x", proxyAddr, 403},
		{"bad query", "/auth/verify?section=%zz", admin, "/hr/x", proxyAddr, 403},
		// Encoded-path tricks: a proxy that matched the marketing
		// location on one reading of the path must not pass a path the
		// application may read as an hr page.
		{"escaped slash", "/auth/verify?section=marketing", viewer, "/marketing/..%2fhr/x", proxyAddr, 403},
		{"escaped upper slash", "/auth/verify?section=marketing", viewer, "/marketing%2F..%2Fhr", proxyAddr, 403},
		{"escaped dots", "/auth/verify?section=marketing", viewer, "/marketing/%2e%2e/hr/x", proxyAddr, 403},
		{"dot segment", "/auth/verify?section=marketing", viewer, "/marketing/../hr/x", proxyAddr, 403},
		{"double slash", "/auth/verify?section=marketing", viewer, "/marketing//../hr", proxyAddr, 403},
		{"backslash", "/auth/verify?section=marketing", viewer, "/marketing/..%5chr", proxyAddr, 403},
		{"raw backslash", "/auth/verify?section=marketing", viewer, `/marketing\..\hr`, proxyAddr, 403},
		{"NUL", "/auth/verify?section=marketing", viewer, "/marketing/%00", proxyAddr, 403},
		{"double escape", "/auth/verify?section=marketing", viewer, "/marketing/%252e%252e/hr", proxyAddr, 403}, // for an application that decodes twice
		{"escaped letter", "/auth/verify?section=marketing", viewer, "/%6darketing/x", proxyAddr, 200},
		{"query is no path", "/auth/verify?section=marketing", viewer, "/marketing/x?next=/../hr", proxyAddr, 200},
	} {
		hdr := map[string]string{}
		if tc.auth != "" {
			hdr["Authorization"] = tc.auth
		}
		if tc.uri != "" {
			hdr["X-Original-URI"] = tc.uri
		}
		rec := verify(h, tc.target, tc.peer, hdr)
		if rec.Code != tc.want {
			t.Errorf("%s: %d, want %d (%s)", tc.name, rec.Code, tc.want, rec.Body)
		}
		if rec.Code == 200 && rec.Header().Get("Remote-User") == "" {
			t.Errorf("%s: allowed without Remote-User", tc.name)
		}
	}
	// The full URL form is judged the same way.
	rec := verify(h, "/auth/verify?section=marketing", proxyAddr, map[string]string{
		"Authorization": viewer, "X-Original-URL": "https://app.example.com/marketing/..%2Fhr/x",
	})
	if rec.Code != 403 {
		t.Errorf("X-Original-URL with an escaped slash: %d", rec.Code)
	}
	rec = verify(h, "/auth/verify?section=marketing", proxyAddr, map[string]string{
		"Authorization": viewer, "X-Original-URL": "https://app.example.com/marketing/x",
	})
	if rec.Code != 200 {
		t.Errorf("X-Original-URL in marketing: %d", rec.Code)
	}
}

// FuzzForwardAuthSection asks the endpoint, as the trusted proxy, with
// arbitrary ?section queries and original paths for a user in section
// marketing alone: the answer is 200, 401 or 403, and a 200 means the
// query named marketing, once, and the original path, if any, reads the
// same raw, decoded and cleaned (so the application behind the proxy
// cannot take it for a page of another section).
func FuzzForwardAuthSection(f *testing.F) {
	for _, seed := range [][2]string{
		{"section=marketing", "/marketing/x"},
		{"section=hr", "/hr/x"},
		{"section=marketing", "/marketing/..%2fhr"},
		{"section=marketing", "/marketing/%2e%2e/hr"},
		{"section=marketing&section=marketing", "/marketing"},
		{"section=%6darketing", "/marketing/"},
		{"section=_all_", "/x"},
		{"section=marketing", "/marketing//hr"},
		{"section=marketing", "/%2fhr"},
		{"section=marketing", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	mux := http.NewServeMux()
	a, err := auth.New(mux,
		auth.WithUsers(map[string]string{"viewer": "viewer123"}),
		auth.WithUserSections(map[string][]string{"viewer": {"marketing"}}),
		auth.WithTrustedProxies("192.0.2.10/32"),
		auth.WithoutRegulation(),
		auth.WithForwardAuth(auth.ForwardAuthConfig{}),
	)
	if err != nil {
		f.Fatal(err)
	}
	h := a.Handler()
	f.Fuzz(func(t *testing.T, query, uri string) {
		if strings.ContainsAny(query, "#\r\n\x00 ") || strings.ContainsAny(uri, "\r\n\x00") {
			return
		}
		req := httptest.NewRequest("GET", "/auth/verify", nil)
		req.URL.RawQuery = query
		req.RemoteAddr = proxyAddr
		req.SetBasicAuth("viewer", "viewer123")
		if uri != "" {
			req.Header.Set("X-Original-URI", uri)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusUnauthorized, http.StatusForbidden:
		default:
			t.Fatalf("query %q URI %q: %d", query, uri, rec.Code)
		}
		if rec.Code != http.StatusOK {
			return
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			t.Fatalf("allowed an unparsable query %q", query)
		}
		if v, ok := q["section"]; ok && (len(v) != 1 || v[0] != "marketing") {
			t.Fatalf("allowed section %q for a user in marketing", v)
		}
		target := strings.TrimSpace(req.Header.Get("X-Original-URI"))
		if target == "" || !q.Has("section") {
			return
		}
		raw, _, _ := strings.Cut(target, "?")
		decoded, err := url.PathUnescape(raw)
		if err != nil {
			t.Fatalf("allowed an undecodable path %q", raw)
		}
		for _, p := range []string{raw, decoded} {
			c := path.Clean(p)
			if strings.HasSuffix(p, "/") && c != "/" {
				c += "/"
			}
			if c != p || strings.Contains(p, `\`) || strings.Contains(decoded, "%2") {
				t.Fatalf("query %q: allowed the path %q, which reads as %q", query, raw, c)
			}
		}
	})
}
