package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/authwire/authwire/auth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startExample runs the example on a free loopback port, with the
// environment variables of extra, and returns its base URL.
func startExample(t *testing.T, extra map[string]string) string {
	t.Helper()
	env := map[string]string{"ADDR": "127.0.0.1:0", "STATE_DIR": t.TempDir()}
	for k, v := range extra {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) string { return env[k] }, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var base string
	for lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "listening on "); ok {
			base = u
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		cancel()
		t.Fatalf("example did not print its address: %v", <-done)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("example did not stop")
		}
	})
	return base
}

func TestExample(t *testing.T) {
	checkAnswers(t, startExample(t, nil), []answerCase{
		{"/healthz", "", "", 200, "ok"},
		{"/public/docs/intro", "", "", 200, "public page docs/intro"},
		{"/", "", "", 401, "unauthenticated"},
		{"/", "admin", "admin", 200, `<p class="user" id="user">admin</p>`},
		{"/user/7/public", "", "", 200, "public profile of user 7"},
		{"/user/7/private", "", "", 401, "unauthenticated"},
		{"/api/whoami", "viewer", "viewer123", 200, `"user":"viewer"`},
		{"/admin", "viewer", "viewer123", 403, "forbidden"},
		{"/admin", "admin", "admin", 200, "welcome admin"},
		{"/admin", "admin", "wrong", 401, "unauthenticated"},
		{"/marketing", "viewer", "viewer123", 200, `id="section-marketing"`},
		{"/hr", "viewer", "viewer123", 403, "forbidden"},
		{"/hr", "admin", "admin", 200, `id="section-hr"`},
	})
}

// answerCase is a GET of path, with Basic credentials when user is set,
// and the status and a part of the body it must get.
type answerCase struct {
	path, user, pass string
	status           int
	body             string
}

// checkAnswers sends each case to the example at base on a fresh
// connection.
func checkAnswers(t *testing.T, base string, cases []answerCase) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, tt := range cases {
		req, _ := http.NewRequest("GET", base+tt.path, nil)
		if tt.user != "" {
			req.SetBasicAuth(tt.user, tt.pass)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.status || !strings.Contains(string(b), tt.body) {
			t.Errorf("%s as %q: %d %q, want %d containing %q", tt.path, tt.user, res.StatusCode, b, tt.status, tt.body)
		}
	}
}

// TestExampleSectionsFile runs the example with its users, groups and
// sections from files (HTPASSWD, HTGROUPS, HTSECTIONS): alice is in hr,
// bob in no section.
func TestExampleSectionsFile(t *testing.T) {
	dir := t.TempDir()
	hash, err := auth.HashPassword("secret")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, f := range [][2]string{
		{"HTPASSWD", "alice:" + hash + "\nbob:" + hash + "\n"},
		{"HTGROUPS", "staff: alice bob\n"},
		{"HTSECTIONS", "# section: users\nhr: alice\n"},
	} {
		path := filepath.Join(dir, f[0])
		if err := os.WriteFile(path, []byte(f[1]), 0o600); err != nil {
			t.Fatal(err)
		}
		env[f[0]] = path
	}
	checkAnswers(t, startExample(t, env), []answerCase{
		{"/hr", "alice", "secret", 200, `id="section-hr"`},
		{"/marketing", "alice", "secret", 403, "forbidden"},
		{"/hr", "bob", "secret", 403, "forbidden"},
		{"/api/whoami", "alice", "secret", 200, `"sections":["hr"]`},
		{"/api/whoami", "bob", "secret", 200, `"sections":[]`},
	})
}
