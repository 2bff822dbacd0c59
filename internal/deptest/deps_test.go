// Package deptest holds the test that keeps authwire's core light: a
// program that imports auth, ws, callbacks and auth/redisstore compiles
// no web framework, no OpenID Connect library and nothing beyond what
// the core itself uses.
package deptest

import (
	"os/exec"
	"strings"
	"testing"
)

// core is what a net/http program imports.
var core = []string{
	"github.com/authwire/authwire/auth",
	"github.com/authwire/authwire/ws",
	"github.com/authwire/authwire/callbacks",
	"github.com/authwire/authwire/auth/redisstore",
}

// allowed are the module path prefixes the core may depend on, besides
// the standard library: golang.org/x (but see never), gorilla's
// securecookie and sessions, coder/websocket, SipHash, and go-redis with
// its own three dependencies (auth/redisstore).
var allowed = []string{
	"github.com/authwire/authwire/",
	"golang.org/x/",
	"github.com/gorilla/securecookie",
	"github.com/gorilla/sessions",
	"github.com/coder/websocket",
	"github.com/dchest/siphash",
	"github.com/redis/go-redis/",
	"github.com/cespare/xxhash/",
	"github.com/dgryski/go-rendezvous",
	"go.uber.org/atomic",
}

// never must not appear, whatever allowed says: the frameworks, which
// their adapter packages bring, and OpenID Connect (go-oidc, go-jose,
// x/oauth2), which package auth/oidclogin brings.
var never = []string{
	"github.com/gin-gonic/", "github.com/gofiber/", "github.com/valyala/",
	"github.com/quic-go/", "go.mongodb.org/", "github.com/authwire/authwire/backends/ginbackend",
	"github.com/authwire/authwire/backends/fiberbackend",
	"github.com/coreos/go-oidc/", "github.com/go-jose/go-jose/", "golang.org/x/oauth2",
	"github.com/authwire/authwire/auth/oidclogin",
}

// deps lists the packages outside std that pkgs compile.
func deps(t *testing.T, pkgs ...string) []string {
	t.Helper()
	args := append([]string{"list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}, pkgs...)
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	d := strings.Fields(string(out))
	if len(d) < len(pkgs) {
		t.Fatalf("go list listed %d packages: %q", len(d), d)
	}
	return d
}

// banned returns the entry of never that d falls under, or "".
func banned(d string) string {
	for _, n := range never {
		if strings.HasPrefix(d, n) {
			return n
		}
	}
	return ""
}

func TestCoreCompilesNoFramework(t *testing.T) {
	for _, d := range deps(t, core...) {
		if banned(d) != "" {
			t.Errorf("%s is compiled into every program that imports the core", d)
		}
		ok := false
		for _, a := range allowed {
			ok = ok || strings.HasPrefix(d, a)
		}
		if !ok {
			t.Errorf("%s is not a dependency the core is allowed", d)
		}
	}
}

// TestOIDCLivesInItsPackage checks that never names what OIDC really
// brings: a program that imports auth/oidclogin compiles go-oidc, go-jose
// and x/oauth2, which TestCoreCompilesNoFramework keeps out of the core.
func TestOIDCLivesInItsPackage(t *testing.T) {
	found := map[string]bool{}
	for _, d := range deps(t, "github.com/authwire/authwire/auth/oidclogin") {
		found[banned(d)] = true
	}
	for _, want := range []string{"github.com/coreos/go-oidc/", "github.com/go-jose/go-jose/", "golang.org/x/oauth2"} {
		if !found[want] {
			t.Errorf("auth/oidclogin compiles nothing under %s: the core's check of it proves nothing", want)
		}
	}
}
