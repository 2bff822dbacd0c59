package demo_test

import (
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
)

// crossings records the requests an upstream behind nginx got from the
// viewer for a path that some reading (raw, decoded, cleaned, with
// backslashes as slashes, case folded) puts in the hr section.
type crossings struct {
	mu    sync.Mutex
	paths []string
}

// note records r if it crossed.
func (c *crossings) note(r *http.Request) {
	if r.Header.Get("Remote-User") != "viewer" {
		return
	}
	raw := r.URL.EscapedPath()
	decoded, err := url.PathUnescape(raw)
	if err != nil {
		decoded = raw
	}
	for _, p := range []string{raw, decoded, strings.ReplaceAll(decoded, `\`, "/")} {
		if cleaned := strings.ToLower(path.Clean(p)); cleaned == "/hr" || strings.HasPrefix(cleaned, "/hr/") {
			c.mu.Lock()
			c.paths = append(c.paths, r.URL.RequestURI())
			c.mu.Unlock()
			return
		}
	}
}

// list returns the crossings recorded so far.
func (c *crossings) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.paths)
}

// checkSectionsBehindNginx drives the sections' location of
// examples/forwardauth/nginx.conf: the viewer (section marketing) reaches
// /marketing/ and is refused /hr/, the admin (_all_) reaches both, and no
// encoding of the path brings a viewer's request to the upstream as an
// hr page.
func checkSectionsBehindNginx(t *testing.T, proxy string, crossed *crossings) {
	viewer, admin := basic("viewer", "viewer123"), basic("admin", "admin")
	for _, tc := range []struct {
		name, path string
		headers    map[string]string
		status     int
		body       string
	}{
		{"viewer in marketing", "/marketing/q3", viewer, 200, "user=viewer groups=viewer path=/marketing/q3"},
		{"viewer in hr", "/hr/pay", viewer, 403, ""},
		{"admin in hr", "/hr/pay", admin, 200, "user=admin groups=admin path=/hr/pay"},
		{"admin in marketing", "/marketing/q3", admin, 200, "user=admin groups=admin path=/marketing/q3"},
		{"anonymous in marketing", "/marketing/q3", nil, 401, ""},
	} {
		got := get(t, http.DefaultClient, proxy+tc.path, tc.headers)
		if got.status != tc.status || tc.body != "" && got.body != tc.body {
			t.Errorf("%s: %d %q, want %d %q", tc.name, got.status, got.body, tc.status, tc.body)
		}
	}
	for _, target := range []string{
		"/marketing/../hr/pay",
		"/marketing/x/../../hr/pay",
		"/marketing/..%2fhr/pay",
		"/marketing/..%2Fhr%2Fpay",
		"/marketing%2f..%2fhr/pay",
		"/marketing/%2e%2e/hr/pay",
		"/marketing/.%2e/hr/pay",
		"/marketing/%252e%252e/hr/pay",
		"/marketing/..%5chr/pay",
		"/marketing/..\\hr/pay",
		"/marketing//../hr/pay",
		"/%68r/pay",
		"/%6d%61rketing/..%2fhr/pay",
		"//hr/pay",
		"/HR/pay",
		"/hr%2fpay",
		"/marketing/q3?/../../hr/pay",
		"/marketing/q3;/../../hr/pay",
	} {
		got := raw(t, proxy, target, viewer)
		if got.status >= 500 || strings.Contains(got.body, "path=/hr") {
			t.Errorf("GET %s as viewer through nginx: %d %q", target, got.status, got.body)
		}
		t.Logf("GET %s as viewer through nginx: %d %q", target, got.status, got.body)
	}
	if c := crossed.list(); len(c) > 0 {
		t.Errorf("the upstream got the viewer's requests for hr pages: %q", c)
	}
}
