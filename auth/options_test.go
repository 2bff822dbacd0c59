package auth

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/authwire/authwire/backends"
)

// serveBasic asks h for / with Basic credentials and returns the status.
func serveBasic(h http.Handler, user, pass string, headers ...[2]string) int {
	req := httptest.NewRequest("GET", "/", nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	for _, kv := range headers {
		req.Header.Set(kv[0], kv[1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

func okMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(FromContext(r.Context()).User)) })
	return mux
}

func TestWithVerifyCacheTTL(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts []Option
		runs uint64
	}{
		{"default: the second request is answered from the cache", nil, 1},
		{"zero: every request hashes", []Option{WithVerifyCacheTTL(0)}, 2},
	} {
		a, err := New(okMux(), append([]Option{WithHashedUsers(map[string]string{"u": string(hash)})}, tc.opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if st := serveBasic(a.Handler(), "u", "pw"); st != 200 {
				t.Fatalf("%s: %d", tc.name, st)
			}
		}
		if n := a.basic.passwords.creds.hashRuns.Load(); n != tc.runs {
			t.Errorf("%s: %d hash runs, want %d", tc.name, n, tc.runs)
		}
	}
	if _, err := New(okMux(), WithUsers(map[string]string{"u": "pw"}), WithVerifyCacheTTL(-time.Second)); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("a negative TTL: %v", err)
	}
}

func TestWithFileRecheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "htpasswd")
	write := func(pass, comment string) {
		sum := sha1.Sum([]byte(pass))
		line := comment + "u:{SHA}" + base64.StdEncoding.EncodeToString(sum[:]) + "\n"
		if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("pw", "")
	now := time.Unix(1_700_000_000, 0)
	a, err := New(okMux(), WithHtpasswdFile(path), WithFileRecheck(time.Hour), WithClock(func() time.Time { return now }), WithoutRegulation())
	if err != nil {
		t.Fatal(err)
	}
	if st := serveBasic(a.Handler(), "u", "pw"); st != 200 {
		t.Fatalf("before the change: %d", st)
	}
	write("other", "# changed\n")
	now = now.Add(30 * time.Minute)
	if st := serveBasic(a.Handler(), "u", "pw"); st != 200 {
		t.Fatalf("within the recheck interval the old password is gone already: %d", st)
	}
	now = now.Add(time.Hour)
	if st := serveBasic(a.Handler(), "u", "pw"); st != 401 {
		t.Fatalf("after the recheck interval the old password still works: %d", st)
	}
	if st := serveBasic(a.Handler(), "u", "other"); st != 200 {
		t.Fatalf("after the recheck interval the new password fails: %d", st)
	}
	if _, err := New(okMux(), WithHtpasswdFile(path), WithFileRecheck(-1)); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("a negative interval: %v", err)
	}
}

// apiKey is a custom authenticator: X-API-Key "sekret" is the user bot.
type apiKey struct{}

func (apiKey) Authenticate(x backends.Exchange) (*Identity, error) {
	switch x.Header("X-API-Key") {
	case "":
		return nil, ErrNoCredentials
	case "sekret":
		return &Identity{User: "bot", Provider: "api-key"}, nil
	case "broken":
		return nil, errors.New("key store down")
	}
	return nil, ErrBadCredentials
}

func (apiKey) Challenge() string { return `ApiKey realm="test"` }

func TestWithAuthenticator(t *testing.T) {
	a, err := New(okMux(), WithUsers(map[string]string{"u": "pw"}), WithAuthenticator(apiKey{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		user   string
		key    string
		status int
	}{
		{"the key", "", "sekret", 200},
		{"Basic still works", "u", "", 200},
		{"a wrong key", "", "nope", 401},
		{"the authenticator failing", "", "broken", 401},
		{"nothing", "", "", 401},
	} {
		var headers [][2]string
		if tc.key != "" {
			headers = append(headers, [2]string{"X-API-Key", tc.key})
		}
		pass := ""
		if tc.user != "" {
			pass = "pw"
		}
		if st := serveBasic(a.Handler(), tc.user, pass, headers...); st != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, st, tc.status)
		}
	}
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Header().Get("WWW-Authenticate"); got != `Basic realm="Restricted", charset="UTF-8", ApiKey realm="test"` {
		t.Errorf("challenges: %q", got)
	}
	if _, err := New(okMux(), WithAuthenticator(nil)); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("a nil authenticator: %v", err)
	}
}

func TestWithRegulationPolicy(t *testing.T) {
	a, err := New(okMux(), WithUsers(map[string]string{"u": "pw"}),
		WithRegulationPolicy(RegulationPolicy{MaxFailures: 2, Window: time.Minute, BanTime: time.Minute}))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if st := serveBasic(a.Handler(), "u", "wrong"); st != 401 {
			t.Fatalf("a wrong password: %d", st)
		}
	}
	if st := serveBasic(a.Handler(), "u", "pw"); st != 401 {
		t.Fatalf("the right password after two failures with MaxFailures 2: %d, want 401 (banned)", st)
	}
	if _, err := New(okMux(), WithUsers(map[string]string{"u": "pw"}), WithRegulationPolicy(RegulationPolicy{})); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("a zero policy: %v", err)
	}
}
