package backendtest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/authwire/authwire/backends"
)

// ConfusionCase is a request path that tries to reach a protected route
// through a public pattern ("..", "//", escapes, case and trailing-slash
// variants, ";" and NUL), sent byte for byte as its request-target.
type ConfusionCase struct {
	// Name identifies the case in test output and in Harness.Expect.
	Name string
	// Target is the request-target as sent.
	Target string
	// Status is the expected status for a router with exact,
	// case-sensitive routing on the percent-decoded path, as
	// net/http's ServeMux does.
	Status int
	// FoldedCase and IgnoredSlash, when not zero, replace Status for
	// a backend whose Routing reports CaseInsensitive or
	// IgnoreTrailingSlash.
	FoldedCase   int
	IgnoredSlash int
}

// Want returns the status expected from a backend that routes as r says.
func (c ConfusionCase) Want(r backends.Routing) int {
	switch {
	case r.CaseInsensitive && c.FoldedCase != 0:
		return c.FoldedCase
	case r.IgnoreTrailingSlash && c.IgnoredSlash != 0:
		return c.IgnoredSlash
	}
	return c.Status
}

// ConfusionCases returns the path-confusion table. Every case is also
// sent by the viewer, who must never reach the admin handler.
func ConfusionCases() []ConfusionCase {
	return []ConfusionCase{
		{Name: "dot-dot", Target: "/public/../admin", Status: 401},
		{Name: "dot-dot to root", Target: "/public/..", Status: 401},
		{Name: "dot segment", Target: "/public/./x", Status: 401},
		{Name: "double slash", Target: "//admin", Status: 401},
		{Name: "double slash public", Target: "//public/x", Status: 401},
		{Name: "inner double slash", Target: "/public//x", Status: 401},
		{Name: "escaped letter", Target: "/%61dmin", Status: 401},
		{Name: "escaped public", Target: "/%70ublic/x", Status: 200},
		{Name: "escaped dot-dot", Target: "/public/%2e%2e/admin", Status: 401},
		{Name: "escaped upper dot-dot", Target: "/public/%2E%2E/admin", Status: 401},
		{Name: "escaped slash", Target: "/public%2f..%2fadmin", Status: 401},
		{Name: "dot-dot escaped slash", Target: "/public/..%2fadmin", Status: 401},
		{Name: "escaped backslash", Target: "/public/..%5cadmin", Status: 401},
		{Name: "upper-case public", Target: "/PUBLIC/x", Status: 401, FoldedCase: 200},
		{Name: "mixed-case user public", Target: "/User/1/Public", Status: 401, FoldedCase: 200},
		{Name: "upper-case admin", Target: "/ADMIN", Status: 401},
		{Name: "public trailing slash", Target: "/public/x/", Status: 200},
		{Name: "user public trailing slash", Target: "/user/1/public/", Status: 401, IgnoredSlash: 200},
		{Name: "user public two trailing slashes", Target: "/user/1/public//", Status: 401},
		{Name: "admin trailing slash", Target: "/admin/", Status: 401},
		{Name: "user dot-dot", Target: "/user/1/public/../private", Status: 401},
		{Name: "semicolon", Target: "/user/1/public;x", Status: 401},
		{Name: "semicolon dot-dot", Target: "/user/1/public;/../private", Status: 401},
		{Name: "NUL in public", Target: "/public/x%00", Status: 401},
		{Name: "NUL after admin", Target: "/admin%00", Status: 401},
		{Name: "fragment", Target: "/public/x#/../admin", Status: 401},
		{Name: "query", Target: "/public/x?/../admin", Status: 200},
		{Name: "public path in the query", Target: "/admin?/public/x", Status: 401},
		{Name: "public path in a query value", Target: "/admin?next=/public/x", Status: 401},
		{Name: "public path in a fragment", Target: "/admin#/public/x", Status: 401},
		{Name: "absolute form", Target: "http://127.0.0.1/admin", Status: 401},
	}
}

// checkConfusion sends cc anonymously, expecting status want, and as the
// viewer, who must not reach the admin handler either.
func checkConfusion(t *testing.T, c *client, cc ConfusionCase, want int) {
	t.Helper()
	res, err := c.send(request{target: cc.Target})
	if err != nil {
		t.Fatalf("GET %s: %v", cc.Target, err)
	}
	invariants(t, res, true)
	if res.status != want {
		t.Fatalf("GET %s: status %d, want %d; body %q", cc.Target, res.status, want, res.body)
	}
	if res.status == 200 && !strings.HasPrefix(res.body, "public:") {
		t.Fatalf("GET %s: 200 from a handler that is not public: %q", cc.Target, res.body)
	}
	vres, err := c.send(request{target: cc.Target, user: ViewerUser, pass: ViewerPassword})
	if err != nil {
		t.Fatalf("GET %s as viewer: %v", cc.Target, err)
	}
	invariants(t, vres, false)
	if strings.HasPrefix(vres.body, adminMarker) {
		t.Fatalf("GET %s: the viewer reached the admin handler (status %d)", cc.Target, vres.status)
	}
	t.Logf("GET %s: anonymous %s; viewer %s", cc.Target, outcome(res), outcome(vres))
}

// outcome summarises a response for the log: its status and the handler
// that answered, or where it redirects.
func outcome(r response) string {
	switch {
	case strings.HasPrefix(r.body, "public:") || strings.HasPrefix(r.body, "protected:"):
		return fmt.Sprintf("%d %s path=%q", r.status, firstLine(r.body), echoed(r.body, "path="))
	case r.status >= 300 && r.status < 400:
		return fmt.Sprintf("%d -> %s", r.status, r.header.Get("Location"))
	}
	return fmt.Sprint(r.status)
}

// echoed returns the value of the echo line that starts with key.
func echoed(body, key string) string {
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			return v
		}
	}
	return ""
}

// checkConcurrent sends requests from both users at once over kept-alive
// connections and checks that each handler saw the identity of its own
// request, through auth.FromContext and the framework's store alike.
func checkConcurrent(t *testing.T, baseURL string) {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr}
	users := [][2]string{{AdminUser, AdminPassword}, {ViewerUser, ViewerPassword}}
	const workers, each = 8, 25
	errs := make(chan error, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				u := users[(w+i)%2]
				if err := whoami(cl, baseURL, u[0], u[1]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// whoami asks for / as user and checks the echoed identity.
func whoami(cl *http.Client, baseURL, user, pass string) error {
	req, err := http.NewRequest(http.MethodGet, baseURL+"/", nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(user, pass)
	res, err := cl.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	body := string(b)
	if res.StatusCode != 200 || !strings.Contains(body, "\nuser="+user+"\n") || !strings.Contains(body, "\nidiom="+user+"\n") {
		return fmt.Errorf("request as %s: status %d, echo %q", user, res.StatusCode, body)
	}
	return nil
}
