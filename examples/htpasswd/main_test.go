package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
)

// TestLineWorksWithHtpasswdFile makes a line, writes it to a file and
// checks that authwire accepts the password through that file.
func TestLineWorksWithHtpasswdFile(t *testing.T) {
	for _, args := range [][]string{{"alice"}, {"-argon2id", "alice"}} {
		var out bytes.Buffer
		if err := run(args, strings.NewReader("pä:ss\n"), &out); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.HasPrefix(out.String(), "alice:$") {
			t.Fatalf("%v: line %q", args, out.String())
		}
		file := filepath.Join(t.TempDir(), "htpasswd")
		if err := os.WriteFile(file, out.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		a, err := auth.New(http.NotFoundHandler(), auth.WithHtpasswdFile(file))
		if err != nil {
			t.Fatal(err)
		}
		for pw, want := range map[string]int{"pä:ss": 404, "wrong": 401} {
			req := httptest.NewRequest("GET", "/", nil)
			req.SetBasicAuth("alice", pw)
			rec := httptest.NewRecorder()
			a.Handler().ServeHTTP(rec, req)
			if rec.Code != want {
				t.Errorf("%v: password %q → %d, want %d", args, pw, rec.Code, want)
			}
		}
	}
}

func TestRejectsBadUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"a:b"}, {"a", "b"}, {"-nope", "a"}} {
		if err := run(args, strings.NewReader("pw\n"), &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	if err := run([]string{"bob"}, strings.NewReader("\n"), &bytes.Buffer{}); err == nil {
		t.Error("empty password accepted")
	}
}
