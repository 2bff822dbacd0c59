package demo_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/examples/internal/demo"
	"github.com/authwire/authwire/internal/testbin"
)

// TestTLSDemos runs each demo with TLS_CERT and TLS_KEY naming a
// certificate the test made, and drives it with a client that trusts that
// certificate and nothing else: every answer carries HSTS, the form login
// works and its cookie is Secure, a wss:// socket opens and is closed with
// 4401 at logout. The same program on plain HTTP sends no HSTS. A missing,
// unreadable or mismatched file stops it before it listens.
func TestTLSDemos(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three programs; skipped with -short")
	}
	for _, name := range demos {
		t.Run(name, func(t *testing.T) {
			exe := buildDemo(t, name)
			cert := makeCert(t, time.Time{}, time.Time{})
			// INSECURE_COOKIES=1 is given, and must be overruled: over
			// TLS, cookies are Secure.
			base := start(t, exe, append(cert.env(), "INSECURE_COOKIES=1")...)
			checkTLSDemo(t, base, httpsClient(t, cert.certFile))

			t.Run("plain HTTP", func(t *testing.T) {
				checkNoHSTS(t, start(t, exe, "INSECURE_COOKIES=1"))
			})
			t.Run("refuses", func(t *testing.T) {
				checkTLSRefusals(t, exe, name+" demo", cert)
			})
		})
	}
}

func checkTLSDemo(t *testing.T, base string, c *http.Client) {
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("the demo with TLS_CERT prints %q, want https://", base)
	}
	hsts := func(what string, r result) {
		t.Helper()
		if got := r.header.Values("Strict-Transport-Security"); len(got) != 1 || got[0] != demo.HSTS {
			t.Errorf("%s over TLS: Strict-Transport-Security %q, want %q", what, got, demo.HSTS)
		}
	}
	if r := get(t, c, base+"/healthz", nil); r.status != 200 || r.body != "ok" {
		t.Fatalf("healthz over TLS: %d %q", r.status, r.body)
	} else {
		hsts("healthz", r)
	}
	// The guard's own answers carry it too.
	if r := get(t, c, base+"/", nil); r.status != 401 {
		t.Errorf("anonymous API call: %d", r.status)
	} else {
		hsts("the guard's 401", r)
	}

	// TLS 1.2 at least: a client that offers at most TLS 1.1 is refused.
	old := c.Transport.(*http.Transport).Clone()
	old.TLSClientConfig.MinVersion, old.TLSClientConfig.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if res, err := (&http.Client{Transport: old}).Get(base + "/healthz"); err == nil {
		res.Body.Close()
		t.Errorf("a TLS 1.1 client got %d", res.StatusCode)
	}
	old.CloseIdleConnections()

	// The form login, as a browser sends it: same Origin.
	html := map[string]string{"Accept": "text/html"}
	page := get(t, c, base+"/login", html)
	m := csrfField.FindStringSubmatch(page.body)
	if page.status != 200 || m == nil {
		t.Fatalf("login page over TLS: %d", page.status)
	}
	hsts("login page", page)
	r := do(t, c, "POST", base+"/login", url.Values{"username": {"admin"}, "password": {"admin"}, "csrf_token": {m[1]}, "next": {"/"}},
		map[string]string{"Accept": "text/html", "Origin": base})
	if r.status != 303 || r.header.Get("Location") != "/" {
		t.Fatalf("login over TLS: %d %q %q", r.status, r.header.Get("Location"), r.body)
	}
	hsts("login", r)
	var session *http.Cookie
	for _, k := range (&http.Response{Header: r.header}).Cookies() {
		if k.Name == "authwire_session" {
			session = k
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly {
		t.Fatalf("session cookie over TLS: %+v (Set-Cookie %q), want Secure and HttpOnly", session, r.header.Values("Set-Cookie"))
	}
	dash := get(t, c, base+"/", html)
	if dash.status != 200 || !strings.Contains(dash.body, `id="user">admin<`) {
		t.Fatalf("dashboard over TLS: %d", dash.status)
	}
	hsts("dashboard", dash)
	m = csrfField.FindStringSubmatch(dash.body)
	if m == nil {
		t.Fatal("no logout token on the dashboard")
	}

	// A socket over wss://, with the session's cookie (from the client's
	// jar) and the page's Origin, as the dashboard opens it.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wsBase := "wss" + strings.TrimPrefix(base, "https")
	dial := func(origin string) (*websocket.Conn, *http.Response, error) {
		return websocket.Dial(ctx, wsBase+"/ws/echo", &websocket.DialOptions{
			HTTPClient: c,
			HTTPHeader: http.Header{"Origin": {origin}},
		})
	}
	// A page of the same host on plain http is another origin.
	if conn, res, err := dial("http" + strings.TrimPrefix(base, "https")); err == nil {
		conn.CloseNow()
		t.Error("an http:// origin opened a wss:// socket")
	} else if res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("an http:// origin on wss://: %v", err)
	}
	echo, _, err := dial(base)
	if err != nil {
		t.Fatalf("dial wss://: %v", err)
	}
	defer echo.CloseNow()
	if err := echo.Write(ctx, websocket.MessageText, []byte("over tls")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := echo.Read(ctx); err != nil || string(b) != "over tls" {
		t.Fatalf("echo over wss://: %q %v", b, err)
	}

	if r := do(t, c, "POST", base+"/logout", url.Values{"csrf_token": {m[1]}}, map[string]string{"Accept": "text/html", "Origin": base}); r.status != 303 || r.header.Get("Location") != "/login" {
		t.Errorf("logout over TLS: %d %q", r.status, r.header.Get("Location"))
	}
	if _, _, err := echo.Read(ctx); websocket.CloseStatus(err) != 4401 {
		t.Errorf("the wss:// socket after logout: %v, want close 4401", err)
	}
	replay := get(t, c, base+"/api/whoami", map[string]string{"Cookie": "authwire_session=" + session.Value})
	if replay.status != 401 {
		t.Errorf("cookie replayed after logout: %d", replay.status)
	}
}

// checkNoHSTS checks that a demo on plain HTTP sends no
// Strict-Transport-Security, even to a client that claims, without a
// trusted proxy, to have come over https.
func checkNoHSTS(t *testing.T, base string) {
	if !strings.HasPrefix(base, "http://") {
		t.Fatalf("the demo without TLS_CERT prints %q, want http://", base)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		path    string
		headers map[string]string
		status  int
	}{
		{"/healthz", nil, 200},
		{"/healthz", map[string]string{"X-Forwarded-Proto": "https"}, 200},
		{"/", nil, 401},
		{"/login", map[string]string{"Accept": "text/html"}, 200},
		{"/api/whoami", basic("admin", "admin"), 200},
	} {
		r := get(t, c, base+tc.path, tc.headers)
		if r.status != tc.status {
			t.Errorf("GET %s %v over plain HTTP: %d, want %d", tc.path, tc.headers, r.status, tc.status)
		}
		if v, ok := r.header["Strict-Transport-Security"]; ok {
			t.Errorf("GET %s %v over plain HTTP sends Strict-Transport-Security %q", tc.path, tc.headers, v)
		}
	}
}

// checkTLSRefusals starts exe with TLS files that cannot serve: each time
// it must exit with status 1 before it listens, and say on stderr which
// variable and file are wrong, and why.
func checkTLSRefusals(t *testing.T, exe, prefix string, good testCert) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	other := makeCert(t, time.Time{}, time.Time{})
	cases := []refusalCase{
		{"missing certificate", []string{"TLS_CERT=" + missing, "TLS_KEY=" + good.keyFile},
			[]string{prefix + ": TLS_CERT: open " + missing + ": no such file or directory"}},
		{"missing key", []string{"TLS_CERT=" + good.certFile, "TLS_KEY=" + missing},
			[]string{prefix + ": TLS_KEY: open " + missing + ": no such file or directory"}},
		// A directory cannot be read as a file, even by root.
		{"unreadable certificate", []string{"TLS_CERT=" + dir, "TLS_KEY=" + good.keyFile},
			[]string{prefix + ": TLS_CERT: read " + dir + ": is a directory"}},
		{"key of another certificate", []string{"TLS_CERT=" + good.certFile, "TLS_KEY=" + other.keyFile},
			[]string{prefix + ": TLS_CERT " + good.certFile + " and TLS_KEY " + other.keyFile, "private key does not match public key"}},
		{"key only", []string{"TLS_KEY=" + good.keyFile},
			[]string{prefix + ": TLS_KEY is set but TLS_CERT is not"}},
	}
	if os.Geteuid() != 0 { // root reads a file of mode 0
		locked := filepath.Join(dir, "locked.pem")
		if err := os.WriteFile(locked, nil, 0); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, refusalCase{"unreadable key", []string{"TLS_CERT=" + good.certFile, "TLS_KEY=" + locked},
			[]string{prefix + ": TLS_KEY: open " + locked + ": permission denied"}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stderr := refusal(t, exe, tc.env...)
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not say %q", stderr, w)
				}
			}
		})
	}
}

// refusalCase is an environment the demo must refuse, and what its
// message must say.
type refusalCase struct {
	name string
	env  []string
	want []string
}

// refusal runs exe with env, which must make it exit with status 1
// without listening, and returns its stderr.
func refusal(t *testing.T, exe string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), append([]string{"ADDR=127.0.0.1:0", "STATE_DIR=" + t.TempDir()}, env...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("the demo with %q: %v, want exit status 1; stderr: %s", env, err, stderr.String())
	}
	if strings.Contains(stdout.String(), "listening on") {
		t.Errorf("the demo with %q listened before it refused: %s", env, stdout.String())
	}
	return stderr.String()
}

// TestHSTSFor: HSTS over TLS only, and never for localhost, whose HSTS a
// browser would apply to every development server on the machine.
func TestHSTSFor(t *testing.T) {
	for _, tc := range []struct {
		tls  bool
		host string
		want string
	}{
		{true, "127.0.0.1:8050", demo.HSTS},
		{true, "[::1]:8050", demo.HSTS},
		{true, "example.com", demo.HSTS},
		{true, "dashboard.example.com:443", demo.HSTS},
		{true, "localhost.example.com", demo.HSTS},
		{true, "", demo.HSTS},
		{true, "localhost:8050", ""},
		{true, "LOCALHOST", ""},
		{true, "localhost.:8050", ""},
		{true, "demo.localhost:8050", ""},
		{false, "127.0.0.1:8050", ""},
		{false, "example.com", ""},
	} {
		if got := demo.HSTSFor(tc.tls, tc.host); got != tc.want {
			t.Errorf("HSTSFor(%v, %q) = %q, want %q", tc.tls, tc.host, got, tc.want)
		}
	}
}

// opensslCert is the command README gives for a local certificate.
var opensslCert = []string{"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-days", "30", "-nodes",
	"-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"}

// TestOpenSSLCertificate makes a certificate with the real openssl, as
// README says, serves the net/http demo with it, and reaches it as
// https://127.0.0.1 and https://localhost with a client that trusts that
// file: the certificate is ECDSA P-256 signed with SHA-256, and localhost
// gets no HSTS (see demo.HSTSFor).
func TestOpenSSLCertificate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program; skipped with -short")
	}
	openssl := testbin.Find(t, "openssl", "openssl")
	dir := t.TempDir()
	cmd := exec.Command(openssl, opensslCert...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(opensslCert, " "), err, out)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatalf("openssl wrote no PEM to cert.pem: %q", pemBytes)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if pub, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() || cert.SignatureAlgorithm != x509.ECDSAWithSHA256 {
		t.Fatalf("openssl made a %T key, signed %v", cert.PublicKey, cert.SignatureAlgorithm)
	}

	base := start(t, buildDemo(t, "nethttp"), "TLS_CERT="+certFile, "TLS_KEY="+keyFile)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(base, "https://"))
	if err != nil {
		t.Fatalf("the demo prints %q: %v", base, err)
	}
	c := httpsClient(t, certFile)
	for host, hsts := range map[string]string{"127.0.0.1": demo.HSTS, "localhost": ""} {
		r := get(t, c, "https://"+net.JoinHostPort(host, port)+"/healthz", nil)
		if r.status != 200 || r.header.Get("Strict-Transport-Security") != hsts {
			t.Errorf("https://%s: %d, Strict-Transport-Security %q, want 200 and %q", host, r.status, r.header.Get("Strict-Transport-Security"), hsts)
		}
	}
}
