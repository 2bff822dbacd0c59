// Package readmetest holds tests of the README's code as written.
package readmetest

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authwire/authwire/internal/servetest"
)

// snippet returns the first ```go block after heading in README.md.
func snippet(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q", heading)
	}
	_, rest, ok = strings.Cut(rest, "```go\n")
	code, _, ok2 := strings.Cut(rest, "```\n")
	if !ok || !ok2 {
		t.Fatalf("no go block under %q", heading)
	}
	return code
}

// TestREADMEQuickStart builds the net/http quick start exactly as README
// gives it (only its listen address is changed, to a free port), runs it,
// and checks what it answers: the public route, anonymous and logged-in
// callers, and a group rule.
func TestREADMEQuickStart(t *testing.T) {
	code := snippet(t, "## Quick start (net/http)")
	const addr = `"127.0.0.1:8050"`
	if !strings.Contains(code, addr) {
		t.Fatalf("the quick start no longer listens on %s", addr)
	}
	free := servetest.FreeAddr(t)
	dir, err := os.MkdirTemp(".", "quickstart-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(strings.Replace(code, addr, `"`+free+`"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "quickstart")
	if out, err := exec.Command("go", "build", "-o", bin, "./"+dir).CombinedOutput(); err != nil {
		t.Fatalf("the README quick start does not build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })

	base := "http://" + free
	get := func(method, path, user, pass string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := http.Get(base + "/healthz"); err == nil {
			c.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the quick start never answered")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, tc := range []struct {
		method, path, user, pass string
		status                   int
		body                     string
	}{
		{"GET", "/healthz", "", "", 200, "ok\n"},
		{"HEAD", "/healthz", "", "", 200, ""},
		{"GET", "/", "", "", 401, ""},
		{"GET", "/", "admin", "admin", 200, "hello admin\n"},
		{"GET", "/admin", "admin", "admin", 200, "admin area\n"},
		{"GET", "/admin", "viewer", "viewer123", 403, ""},
		{"GET", "/no-such-page", "", "", 401, ""},
	} {
		status, body := get(tc.method, tc.path, tc.user, tc.pass)
		if status != tc.status || tc.body != "" && body != tc.body {
			t.Errorf("%s %s as %q: %d %q, want %d %q", tc.method, tc.path, tc.user, status, body, tc.status, tc.body)
		}
	}
}
