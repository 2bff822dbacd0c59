// Package browsertest runs tests against a real headless Chromium.
//
// Start launches one Chromium for the life of a test and connects to it over
// the DevTools protocol with chromedp. NewTab opens a tab for a test:
//
//	func TestLogin(t *testing.T) {
//		b := browsertest.Start(t)
//		tab := b.NewTab(t)
//		if err := chromedp.Do(tab, chromedp.Navigate(srv.URL)); err != nil {
//			t.Fatal(err)
//		}
//	}
//
// The package looks for the browser in $CHROMIUM, then for "chromium" and
// "chromium-browser" on the PATH, then at /usr/bin/chromium. When it finds
// none, Start skips the test, unless the environment variable CI is set: then
// the test fails, so that CI cannot pass by skipping every browser test.
//
// Chromium runs headless, without sandbox and GPU, with a fresh profile in
// t.TempDir(), in a process group of its own. At the end of the test the
// package stops the whole group and reaps its processes, so that no renderer,
// zygote or crash handler survives, not even as a zombie. The package works on
// Linux only; elsewhere Start skips (or fails when CI is set).
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/authwire/authwire/internal/testbin"

	"github.com/chromedp/chromedp"
)

// fallbackPath is where Debian and Ubuntu install Chromium.
const fallbackPath = "/usr/bin/chromium"

// TestHost is a host name that Chromium resolves to 127.0.0.1 (and
// nothing else does): a page at http://TestHost:port reaches a loopback
// server under a name that is not localhost, so the browser treats it as
// an ordinary insecure origin.
const TestHost = "authwire.test"

// chromiumFlags returns the command line flags of every Chromium that
// Start launches. Start adds --user-data-dir and --remote-debugging-port.
func chromiumFlags() []string {
	return []string{
		"--headless",
		"--no-sandbox",
		"--disable-gpu",
		"--disable-background-networking",
		"--no-first-run",
		"--disable-component-update",
		"--disable-sync",
		"--disable-quic",
		"--host-resolver-rules=MAP " + TestHost + " 127.0.0.1",
	}
}

// Browser is one headless Chromium driven over the DevTools protocol.
// Start makes it, and the cleanup of the test that started it stops it.
// A Browser is safe for concurrent use: tabs from NewTab can run in parallel.
type Browser struct {
	dir       string    // the --user-data-dir, unique to this browser
	configDir string    // $CHROME_CONFIG_HOME, where the crash handler keeps its database
	cmd       *exec.Cmd // the Chromium process, the leader of its process group
	exited    chan struct{}
	done      chan struct{} // closed when the stderr pipe reaches EOF
	stderr    *tail

	ctx         context.Context // the chromedp context attached to the browser
	cancel      context.CancelFunc
	allocCancel context.CancelFunc
	stopOnce    sync.Once
}

// NewTab opens a new tab and returns its chromedp context. Pass the context
// to chromedp.Run or chromedp.Do. The cleanup of t closes the tab.
//
// Each tab has a browser context of its own, like an incognito window, so tabs
// share no cookies or storage. To open a second tab that shares them, call
// chromedp.NewContext with the context of the first tab.
//
// Do not give the returned context a timeout for all of the test; derive a
// context with a timeout for one action instead (see chromedp.NewContext).
func (b *Browser) NewTab(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: opening a tab: %v", err)
	}
	return ctx
}

// Screenshot writes a PNG of the full page of the tab ctx, beyond the
// viewport, to path.
func (b *Browser) Screenshot(ctx context.Context, path string) error {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("browsertest: screenshot: %w", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return fmt.Errorf("browsertest: screenshot: %w", err)
	}
	return nil
}

// execPath finds the Chromium binary: $CHROMIUM, then "chromium" and
// "chromium-browser" on the PATH, then /usr/bin/chromium.
func execPath() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("$CHROMIUM is %q, which is not an executable: %w", p, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	if _, err := exec.LookPath(fallbackPath); err == nil {
		return fallbackPath, nil
	}
	return "", errors.New("no Chromium found ($CHROMIUM is empty, no chromium or chromium-browser on the PATH, no " + fallbackPath + ")")
}

// unavailable skips t because it cannot run Chromium, or fails t when the
// environment variable CI is set, so that CI cannot pass by skipping every
// browser test.
func unavailable(t testing.TB, err error) {
	t.Helper()
	testbin.Unavailable(t, fmt.Sprintf("browsertest: %v; install Chromium or set $CHROMIUM to run this test", err))
}

// tail keeps the last max lines written to it.
type tail struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (l *tail) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == l.max {
		l.lines = append(l.lines[:0], l.lines[1:]...)
	}
	l.lines = append(l.lines, line)
}

func (l *tail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
