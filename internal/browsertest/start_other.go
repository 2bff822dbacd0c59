//go:build !linux

package browsertest

import (
	"errors"
	"testing"
)

// Start launches Chromium, with flags added to its command line, for the
// life of t and connects to it. On this system it cannot: it skips t, or
// fails t when the environment variable CI is set. See the Linux version
// for the behavior there.
func Start(t testing.TB, flags ...string) *Browser {
	t.Helper()
	unavailable(t, errors.New("browsertest runs Chromium on Linux only"))
	return nil
}
