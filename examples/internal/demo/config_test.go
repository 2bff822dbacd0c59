package demo_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/examples/internal/demo"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// load is demo.Load with a state directory of the test's own, closed when
// the test ends.
func load(t *testing.T, vars map[string]string, out *bytes.Buffer) (demo.Config, error) {
	all := map[string]string{"STATE_DIR": t.TempDir()}
	for k, v := range vars {
		all[k] = v
	}
	cfg, err := demo.Load(env(all), out)
	t.Cleanup(func() { cfg.Close() })
	return cfg, err
}

// TestSessionSecret: a guessable SESSION_SECRET stops the demo with a
// message that says how to make one (finding 2 of issue 12: the demo's
// secret was found offline by a dictionary); without one, the warning
// says the same; a random one is taken.
func TestSessionSecret(t *testing.T) {
	const weak = "summer-dashboard-cookie2025"
	var out bytes.Buffer
	_, err := load(t, map[string]string{"SESSION_SECRET": weak}, &out)
	if !errors.Is(err, auth.ErrWeakSecret) || !strings.Contains(err.Error(), `export SESSION_SECRET="$(openssl rand -base64 32)"`) {
		t.Fatalf("weak SESSION_SECRET: %v", err)
	}
	if strings.Contains(err.Error(), weak) {
		t.Fatalf("the error quotes the secret: %v", err)
	}

	out.Reset()
	if _, err := load(t, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "SESSION_SECRET is not set") || !strings.Contains(out.String(), "openssl rand -base64 32") {
		t.Fatalf("no SESSION_SECRET: the log says %q", out.String())
	}

	out.Reset()
	if _, err := load(t, map[string]string{"SESSION_SECRET": "xJdxg2ZL9GhwcK8qdi1yWBO9svwHn0HZPbXwqywPLzM="}, &out); err != nil {
		t.Fatalf("random SESSION_SECRET: %v", err)
	}
}

// TestTLSConfig: TLS_CERT and TLS_KEY give a TLS configuration of TLS 1.2
// at least with that certificate; a missing, unreadable, non-PEM or
// mismatched file is an error that names the variable and the file; one
// variable without the other is an error; a certificate out of its dates
// and INSECURE_COOKIES=1 beside TLS are warned about.
func TestTLSConfig(t *testing.T) {
	good := makeCert(t, time.Time{}, time.Time{})
	var out bytes.Buffer
	cfg, err := load(t, map[string]string{"TLS_CERT": good.certFile, "TLS_KEY": good.keyFile}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLS == nil || cfg.TLS.MinVersion != tls.VersionTLS12 || len(cfg.TLS.Certificates) != 1 ||
		!bytes.Equal(cfg.TLS.Certificates[0].Certificate[0], good.cert.Raw) {
		t.Fatalf("TLS config: %+v", cfg.TLS)
	}
	if strings.Contains(out.String(), "TLS_CERT") || strings.Contains(out.String(), "INSECURE_COOKIES") {
		t.Errorf("a good certificate is warned about: %s", out.String())
	}
	if cfg, err := load(t, nil, &out); err != nil || cfg.TLS != nil {
		t.Fatalf("no TLS_CERT: TLS %v, %v", cfg.TLS, err)
	}

	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := makeCert(t, time.Time{}, time.Time{})
	for _, tc := range []struct {
		name        string
		cert, key   string
		is          error
		want, want2 string
	}{
		{"missing certificate", missing, good.keyFile, fs.ErrNotExist, "TLS_CERT: open " + missing, ""},
		{"missing key", good.certFile, missing, fs.ErrNotExist, "TLS_KEY: open " + missing, ""},
		{"directory as certificate", dir, good.keyFile, nil, "TLS_CERT: read " + dir, "is a directory"},
		{"directory as key", good.certFile, dir, nil, "TLS_KEY: read " + dir, "is a directory"},
		{"certificate not PEM", notPEM, good.keyFile, nil, "TLS_CERT " + notPEM + " and TLS_KEY " + good.keyFile, "certificate input"},
		{"key not PEM", good.certFile, notPEM, nil, "TLS_CERT " + good.certFile + " and TLS_KEY " + notPEM, "key input"},
		{"key of another certificate", good.certFile, other.keyFile, nil, "TLS_CERT " + good.certFile + " and TLS_KEY " + other.keyFile, "private key does not match public key"},
		{"the key as certificate", good.keyFile, good.keyFile, nil, "TLS_CERT " + good.keyFile, "certificate"},
		{"certificate only", good.certFile, "", nil, "TLS_CERT is set but TLS_KEY is not", ""},
		{"key only", "", good.keyFile, nil, "TLS_KEY is set but TLS_CERT is not", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			cfg, err := load(t, map[string]string{"TLS_CERT": tc.cert, "TLS_KEY": tc.key}, &out)
			if err == nil {
				t.Fatalf("loaded, TLS %v", cfg.TLS != nil)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.want2) {
				t.Errorf("error %q, want it to say %q and %q", err, tc.want, tc.want2)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
		})
	}

	for _, tc := range []struct {
		name      string
		notBefore time.Time
		notAfter  time.Time
		warning   string
	}{
		{"expired", time.Now().Add(-48 * time.Hour), time.Now().Add(-24 * time.Hour), "TLS_CERT has expired"},
		{"not yet valid", time.Now().Add(24 * time.Hour), time.Now().Add(48 * time.Hour), "TLS_CERT is not valid yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := makeCert(t, tc.notBefore, tc.notAfter)
			var out bytes.Buffer
			if _, err := load(t, map[string]string{"TLS_CERT": c.certFile, "TLS_KEY": c.keyFile}, &out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tc.warning) || !strings.Contains(out.String(), c.certFile) {
				t.Errorf("the log says %q, want %q about %s", out.String(), tc.warning, c.certFile)
			}
		})
	}

	out.Reset()
	if _, err := load(t, map[string]string{"TLS_CERT": good.certFile, "TLS_KEY": good.keyFile, "INSECURE_COOKIES": "1"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "INSECURE_COOKIES=1 is ignored") {
		t.Errorf("INSECURE_COOKIES=1 with TLS: the log says %q", out.String())
	}
}
