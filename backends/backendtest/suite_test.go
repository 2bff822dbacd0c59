package backendtest_test

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/backends/backendtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// brokenBackend is a net/http backend with one deliberate bug, to show
// that the suite notices it.
type brokenBackend struct {
	bug   string // "open": never runs the guard; "lost identity": drops the attached request
	next  http.Handler
	guard backends.Guard
}

func (b *brokenBackend) Name() string                   { return "broken: " + b.bug }
func (b *brokenBackend) Routing() backends.Routing      { return backends.Routing{} }
func (b *brokenBackend) Install(g backends.Guard) error { b.guard = g; return nil }

func (b *brokenBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.bug == "open" || b.guard(backends.HTTPExchange(w, r)) {
		b.next.ServeHTTP(w, r) // the request without the attached identity
	}
}

func brokenHarness(bug string) backendtest.Harness {
	return backendtest.Harness{
		Name: "broken",
		Start: func(t *testing.T, s *backendtest.Setup) string {
			mux := http.NewServeMux()
			b := &brokenBackend{bug: bug, next: mux}
			if s.Auth() != nil {
				t.Fatal("Setup.Auth before Install is not nil")
			}
			a := s.Install(b)
			if s.Auth() != a {
				t.Fatal("Setup.Auth does not return the installed Auth")
			}
			for _, r := range s.Routes() {
				var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
					w.Write(r.Echo(req.URL.Path, req.Context(), auth.FromContext(req.Context())))
				})
				if len(r.Rule) > 0 {
					h = a.Require(r.Rule...)(h)
				}
				mux.Handle(r.ServeMuxPattern(), h)
			}
			return backendtest.ServeHandler(t, b)
		},
	}
}

// TestBrokenBackendHelper runs the suite against a broken backend when
// the parent test asks for it through the environment, and does nothing
// otherwise.
func TestBrokenBackendHelper(t *testing.T) {
	if bug := os.Getenv("BACKENDTEST_BROKEN"); bug != "" {
		backendtest.Run(t, brokenHarness(bug))
	}
}

func TestSuiteFailsBrokenBackends(t *testing.T) {
	for bug, symptom := range map[string]string{
		"open":          "an anonymous caller got a protected handler's response",
		"lost identity": `the echo lacks "user=admin"`,
	} {
		t.Run(bug, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenBackendHelper$", "-test.v")
			cmd.Env = append(os.Environ(), "BACKENDTEST_BROKEN="+bug)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a backend that is %s:\n%s", bug, out)
			}
			if !strings.Contains(string(out), symptom) {
				t.Fatalf("the suite failed without reporting %q:\n%s", symptom, out)
			}
		})
	}
}

func TestRouteSyntax(t *testing.T) {
	for _, tc := range []struct {
		r               backendtest.Route
		colon, servemux string
	}{
		{backendtest.Route{Method: "GET", Pattern: "/"}, "/", "GET /{$}"},
		{backendtest.Route{Pattern: "/public/{rest...}"}, "/public/*rest", "/public/{rest...}"},
		{backendtest.Route{Pattern: "/user/{id}/public"}, "/user/:id/public", "/user/{id}/public"},
	} {
		if got := tc.r.ColonPath(); got != tc.colon {
			t.Errorf("%s: ColonPath = %q, want %q", tc.r.Pattern, got, tc.colon)
		}
		if got := tc.r.ServeMuxPattern(); got != tc.servemux {
			t.Errorf("%s: ServeMuxPattern = %q, want %q", tc.r.Pattern, got, tc.servemux)
		}
	}
}
