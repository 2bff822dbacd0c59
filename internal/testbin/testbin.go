// Package testbin finds the real programs that tests drive (htpasswd,
// openssl, nginx, redis-server, chromium). A developer's machine may lack
// them: the test is then skipped, saying what to install. Under CI (the
// CI environment variable set) .ci/run installs every one of them, so a
// missing program fails the test instead: CI cannot pass by skipping.
package testbin

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Find returns the path of the first of names that is an executable on the
// PATH (or, for a name with a slash, at that path). When none is, it calls
// [Unavailable] with a message naming the Debian package to install.
func Find(t testing.TB, debianPackage string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	Unavailable(t, strings.Join(names, " or ")+" not found (install Debian's "+debianPackage+"; .ci/run does)")
	return ""
}

// Unavailable skips t because something it needs is missing, or fails it
// when the CI environment variable is set.
func Unavailable(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s; CI is set, so this fails instead of skipping", reason)
	}
	t.Skip(reason)
}
