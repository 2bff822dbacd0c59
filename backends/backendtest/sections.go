package backendtest

import (
	"strings"
	"testing"
)

// SectionCrossingTargets returns request-targets that try to reach the
// hr section's handler (GET /hr/{page}) from the marketing section's
// path, or to reach it under another spelling: "..", escaped slashes and
// dots, escaped letters, case, slashes, ";", NUL, the query and the
// fragment. The viewer, who holds only the marketing section, sends each.
func SectionCrossingTargets() []string {
	return []string{
		"/marketing/../hr/x",
		"/marketing/x/../../hr/x",
		"/marketing/%2e%2e/hr/x",
		"/marketing/.%2E/hr/x",
		"/marketing/..%2fhr",
		"/marketing/..%2Fhr%2Fx",
		"/marketing%2f..%2fhr%2fx",
		"/marketing/..%5chr",
		"/marketing/..\\hr",
		"/%68r/x",
		"/%68%72/x",
		"/hr%2fx",
		"/HR/x",
		"/Hr/x",
		"/hr/x/",
		"//hr/x",
		"/hr//x",
		"/./hr/x",
		"/hr/./x",
		"/hr;x/y",
		"/hr/x;marketing",
		"/hr/x%00",
		"/marketing/x?/../../hr/x",
		"/marketing/x#/../../hr/x",
		"/hr/x?section=marketing",
		"http://127.0.0.1/hr/x",
	}
}

// checkSectionCrossing sends target as the viewer, who must never get
// the hr handler's response, whatever status the framework answers; and
// anonymously, who must get no protected handler's response.
func checkSectionCrossing(t *testing.T, c *client, target string) {
	t.Helper()
	vres, err := c.send(request{target: target, user: ViewerUser, pass: ViewerPassword})
	if err != nil {
		t.Fatalf("GET %s as viewer: %v", target, err)
	}
	invariants(t, vres, false)
	if strings.HasPrefix(vres.body, hrMarker) {
		t.Fatalf("GET %s: the viewer reached the hr section's handler (status %d):\n%s", target, vres.status, vres.body)
	}
	res, err := c.send(request{target: target})
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	invariants(t, res, true)
	t.Logf("GET %s: viewer %s; anonymous %s", target, outcome(vres), outcome(res))
}
