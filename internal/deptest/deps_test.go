// Package deptest holds the test that keeps authwire's core light: a
// program that imports auth, ws, callbacks and auth/redisstore compiles
// no web framework and nothing beyond what the core itself uses.
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
// the standard library: golang.org/x, gorilla's securecookie and
// sessions, coder/websocket, SipHash, go-oidc and go-jose, and
// go-redis with its own three dependencies (auth/redisstore).
var allowed = []string{
	"github.com/authwire/authwire/",
	"golang.org/x/",
	"github.com/gorilla/securecookie",
	"github.com/gorilla/sessions",
	"github.com/coder/websocket",
	"github.com/dchest/siphash",
	"github.com/coreos/go-oidc/",
	"github.com/go-jose/go-jose/",
	"github.com/redis/go-redis/",
	"github.com/cespare/xxhash/",
	"github.com/dgryski/go-rendezvous",
	"go.uber.org/atomic",
}

// frameworks must never appear, whatever allowed says.
var frameworks = []string{
	"github.com/gin-gonic/", "github.com/gofiber/", "github.com/valyala/",
	"github.com/quic-go/", "go.mongodb.org/", "github.com/authwire/authwire/backends/ginbackend",
	"github.com/authwire/authwire/backends/fiberbackend",
}

func TestCoreCompilesNoFramework(t *testing.T) {
	args := append([]string{"list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}, core...)
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < len(core) {
		t.Fatalf("go list listed %d packages: %q", len(deps), deps)
	}
	for _, d := range deps {
		for _, f := range frameworks {
			if strings.HasPrefix(d, f) {
				t.Errorf("%s is compiled into every program that imports the core", d)
			}
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
