package auth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/authwire/authwire/auth"
)

// swappableSource is a UserSource whose table or error the test changes.
type swappableSource struct {
	mu    sync.Mutex
	users *auth.Users
	err   error
	calls int
}

func (s *swappableSource) Users(context.Context) (*auth.Users, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	return s.users, s.err
}

func (s *swappableSource) set(u *auth.Users, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users, s.err = u, err
}

func mustUsers(t *testing.T, m map[string]string) *auth.Users {
	t.Helper()
	u, err := auth.NewUsers(m)
	if err != nil {
		t.Fatalf("NewUsers: %v", err)
	}
	return u
}

func TestNewUsersTellsHashesFromPlaintext(t *testing.T) {
	h, err := bcrypt.GenerateFromPassword([]byte("hashed-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	users := mustUsers(t, map[string]string{
		"hash":   string(h),
		"plain":  "pl4in",
		"dollar": "$ecret!",                           // a '$' that does not start "$id$" is plaintext
		"sha":    "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", // SHA-1 of "password"
	})
	if users.Len() != 4 {
		t.Fatalf("Len = %d, want 4", users.Len())
	}
	srv, _ := newServer(t, auth.WithUserSource(users))
	for _, c := range []struct {
		user, pass string
		want       int
	}{
		{"hash", "hashed-pw", 200},
		{"hash", string(h), 401}, // the hash itself is not the password
		{"plain", "pl4in", 200},
		{"dollar", "$ecret!", 200},
		{"sha", "password", 200},
		{"sha", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", 401},
		{"nobody", "pl4in", 401},
	} {
		if got := do(t, srv, request{path: "/", user: c.user, pass: c.pass}); got.status != c.want {
			t.Errorf("%s/%s: status %d, want %d", c.user, c.pass, got.status, c.want)
		}
	}
}

func TestNewUsersRefusesBadEntries(t *testing.T) {
	for name, m := range map[string]map[string]string{
		"broken bcrypt":     {"alice": "$2y$10$tooShortToBeAHashSECRETPART"},
		"unsupported crypt": {"alice": "$6$salt$SECRETPARTofasha512cryptvalue"},
		"broken sha":        {"alice": "{SHA}SECRETPART-not-base64"},
		"empty password":    {"alice": ""},
		"empty user":        {"": "pw"},
		"colon in user":     {"a:b": "pw"},
		"control in user":   {"a\x01": "pw"},
	} {
		_, err := auth.NewUsers(m)
		if !errors.Is(err, auth.ErrInvalidConfig) {
			t.Errorf("%s: err = %v, want ErrInvalidConfig", name, err)
			continue
		}
		if strings.Contains(err.Error(), "SECRETPART") {
			t.Errorf("%s: the error quotes the stored value: %v", name, err)
		}
	}
}

func TestEmptyUsersRefuseEveryone(t *testing.T) {
	srv, _ := newServer(t, auth.WithUserSource(mustUsers(t, map[string]string{})))
	if got := do(t, srv, request{path: "/", user: "admin", pass: "admin"}); got.status != 401 {
		t.Fatalf("an empty table let a caller in: %d", got.status)
	}
}

// TestUserSourceNewTableReplacesOld checks that a rotated password is
// refused as soon as the source returns the new table, even when the old
// header was remembered (fixed groups make the guard keep identities by
// header).
func TestUserSourceNewTableReplacesOld(t *testing.T) {
	for _, kind := range []string{"plaintext", "bcrypt"} {
		t.Run(kind, func(t *testing.T) {
			pw := func(p string) string {
				if kind == "plaintext" {
					return p
				}
				h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
				if err != nil {
					t.Fatal(err)
				}
				return string(h)
			}
			src := &swappableSource{}
			src.set(mustUsers(t, map[string]string{"alice": pw("old-pw")}), nil)
			srv, _ := newServer(t, auth.WithUserSource(src),
				auth.WithUserGroups(map[string][]string{"alice": {"admin"}}))
			for range 2 { // the second is answered from what the guard remembered
				if got := do(t, srv, request{path: "/admin", user: "alice", pass: "old-pw"}); got.status != 200 || got.body != "alice admin" {
					t.Fatalf("old password before rotation: %d %q", got.status, got.body)
				}
			}
			src.set(mustUsers(t, map[string]string{"alice": pw("new-pw")}), nil)
			if got := do(t, srv, request{path: "/", user: "alice", pass: "old-pw"}); got.status != 401 {
				t.Fatalf("old password after rotation: %d", got.status)
			}
			if got := do(t, srv, request{path: "/admin", user: "alice", pass: "new-pw"}); got.status != 200 {
				t.Fatalf("new password after rotation: %d", got.status)
			}
		})
	}
}

func TestUserSourceFailureKeepsLastTableAndDeniesWithNone(t *testing.T) {
	var logs bytes.Buffer
	src := &swappableSource{}
	src.set(nil, errors.New("parameter store unreachable"))
	srv, _ := newServer(t, auth.WithUserSource(src), auth.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))

	if got := do(t, srv, request{path: "/", user: "alice", pass: "TopSecretPw"}); got.status != 401 {
		t.Fatalf("no table yet: status %d, want 401", got.status)
	}
	if !strings.Contains(logs.String(), "parameter store unreachable") {
		t.Fatalf("the failure was not logged: %s", logs.String())
	}
	if strings.Contains(logs.String(), "TopSecretPw") {
		t.Fatalf("the password was logged: %s", logs.String())
	}

	src.set(mustUsers(t, map[string]string{"alice": "TopSecretPw"}), nil)
	if got := do(t, srv, request{path: "/", user: "alice", pass: "TopSecretPw"}); got.status != 200 {
		t.Fatalf("after the source recovered: %d", got.status)
	}
	src.set(nil, errors.New("throttled"))
	if got := do(t, srv, request{path: "/", user: "alice", pass: "TopSecretPw"}); got.status != 200 {
		t.Fatalf("a failing source dropped the last good table: %d", got.status)
	}
	if got := do(t, srv, request{path: "/", user: "alice", pass: "wrong"}); got.status != 401 {
		t.Fatalf("wrong password while the source fails: %d", got.status)
	}

	logs.Reset()
	src.set(nil, nil) // neither a table nor an error
	if got := do(t, srv, request{path: "/", user: "alice", pass: "TopSecretPw"}); got.status != 200 {
		t.Fatalf("a source returning nothing dropped the last good table: %d", got.status)
	}
	if !strings.Contains(logs.String(), "no table") {
		t.Fatalf("a nil table was not logged: %s", logs.String())
	}
}

func TestWithUserSourceMisconfigured(t *testing.T) {
	if _, err := auth.New(http.NewServeMux(), auth.WithUserSource(nil)); !errors.Is(err, auth.ErrInvalidConfig) {
		t.Fatalf("WithUserSource(nil): %v", err)
	}
	u := mustUsers(t, map[string]string{"a": "b"})
	_, err := auth.New(http.NewServeMux(), auth.WithUserSource(u), auth.WithUsers(map[string]string{"a": "b"}))
	if !errors.Is(err, auth.ErrInvalidConfig) || !strings.Contains(err.Error(), "WithUserSource") {
		t.Fatalf("two credential sources: %v", err)
	}
}
