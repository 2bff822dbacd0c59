package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authwire/authwire/backends"
)

// TestRequirementsIgnoreGroupOrder checks OneOf, AllOf and NoneOf on
// identities built by hand with their groups out of order: a binary
// search got ["users","blocked"] past NoneOf("blocked"), and kept
// ["zeta","admin"] out of OneOf("admin").
func TestRequirementsIgnoreGroupOrder(t *testing.T) {
	blocked := &Identity{User: "u", Groups: []string{"users", "blocked"}}
	zeta := &Identity{User: "z", Groups: []string{"zeta", "admin"}}
	for _, tc := range []struct {
		req  Requirement
		id   *Identity
		want Decision
	}{
		{NoneOf("blocked"), blocked, DecisionForbidden},
		{OneOf("blocked"), blocked, DecisionAllow},
		{AllOf("blocked", "users"), blocked, DecisionAllow},
		{OneOf("admin"), zeta, DecisionAllow},
		{AllOf("admin", "zeta"), zeta, DecisionAllow},
		{NoneOf("admin"), zeta, DecisionForbidden},
		{NoneOf("other"), zeta, DecisionAllow},
	} {
		if got := tc.req.Check(tc.id); got != tc.want {
			t.Errorf("%v.Check(%q) = %v, want %v", tc.req, tc.id.Groups, got, tc.want)
		}
	}
	if !zeta.InGroup("admin") || !blocked.InGroup("blocked") || zeta.InGroup("blocked") {
		t.Error("InGroup depends on the order of Groups")
	}
}

// TestRequirementsRefuseImpossibleNames checks that a rule naming a group
// no identity can hold forbids everyone instead of letting NoneOf pass.
func TestRequirementsRefuseImpossibleNames(t *testing.T) {
	id := newIdentity("u", "basic", []string{"users"})
	for _, req := range []Requirement{
		NoneOf("contractors, guests"), NoneOf("a,b"), NoneOf(""), NoneOf(" admin"), NoneOf("x\x01"),
		OneOf("users", "a,b"), AllOf("users", "\xff"),
	} {
		if got := req.Check(id); got != DecisionForbidden {
			t.Errorf("%v.Check = %v, want forbidden", req, got)
		}
		if got := req.Check(nil); got != DecisionUnauthenticated {
			t.Errorf("%v.Check(nil) = %v, want unauthenticated", req, got)
		}
	}
	if got := NoneOf("domain users").Check(id); got != DecisionAllow {
		t.Errorf("a name with an inner space: %v", got)
	}
}

// handAuthenticator answers with the same identity, built by hand, for
// every request that carries X-Hand.
type handAuthenticator struct{ id *Identity }

func (h handAuthenticator) Authenticate(x backends.Exchange) (*Identity, error) {
	if x.Header("X-Hand") == "" {
		return nil, ErrNoCredentials
	}
	return h.id, nil
}

// TestCustomAuthenticatorGroupsNormalised checks that the groups of a
// custom authenticator's identity are normalised as they enter, without
// changing the identity the authenticator keeps.
func TestCustomAuthenticatorGroupsNormalised(t *testing.T) {
	for _, tc := range []struct {
		groups []string
		req    Requirement
		status int
		seen   string
	}{
		{[]string{"users", "blocked"}, NoneOf("blocked"), http.StatusForbidden, ""},
		{[]string{"zeta", "admin"}, OneOf("admin"), http.StatusOK, "admin,zeta"},
		{[]string{"zeta", "viewer,admin", "zeta"}, OneOf("zeta"), http.StatusOK, "zeta"},
		{nil, AllOf(), http.StatusOK, ""},
	} {
		id := &Identity{User: "hand", Groups: slices.Clone(tc.groups), Provider: "hand"}
		mux := http.NewServeMux()
		a, err := New(mux, WithAuthenticator(handAuthenticator{id}))
		if err != nil {
			t.Fatal(err)
		}
		var seen *Identity
		mux.Handle("/", a.Require(tc.req)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = FromContext(r.Context())
		})))
		status := serveBasic(a.Handler(), "", "", [2]string{"X-Hand", "1"})
		if status != tc.status {
			t.Errorf("%q with %v: %d, want %d", tc.groups, tc.req, status, tc.status)
		}
		if !slices.Equal(id.Groups, tc.groups) {
			t.Errorf("the authenticator's identity was changed: %q", id.Groups)
		}
		if tc.status == http.StatusOK && (seen == nil || seen.Groups == nil || strings.Join(seen.Groups, ",") != tc.seen) {
			t.Errorf("%q: the handler sees %+v, want groups %q", tc.groups, seen, tc.seen)
		}
	}
}

// shuffledStore is a session store that hands back a session with its
// groups out of order and doubled, as a custom store may.
type shuffledStore struct{ groups []string }

func (s shuffledStore) Save(context.Context, *Session) (string, error) { return "v", nil }
func (s shuffledStore) Delete(context.Context, *Session) error         { return nil }
func (s shuffledStore) Load(_ context.Context, cookie string) (*Session, error) {
	if cookie != "v" {
		return nil, ErrNoSession
	}
	now := time.Now().Unix()
	return &Session{ID: "sid", User: "u", Groups: slices.Clone(s.groups), Provider: "sso", IssuedAt: now, LastSeen: now, ExpiresAt: now + 3600}, nil
}

// TestSessionStoreGroupsNormalised checks that groups loaded from a store
// are normalised before any rule sees them.
func TestSessionStoreGroupsNormalised(t *testing.T) {
	for _, tc := range []struct {
		groups []string
		req    Requirement
		status int
	}{
		{[]string{"users", "blocked", "users"}, NoneOf("blocked"), http.StatusForbidden},
		{[]string{"zeta", "admin"}, OneOf("admin"), http.StatusOK},
		{[]string{"zeta", "admin"}, AllOf("admin", "zeta"), http.StatusOK},
	} {
		mux := http.NewServeMux()
		a, err := New(mux, WithUsers(map[string]string{"u": "pw"}),
			WithSessions(SessionConfig{Store: shuffledStore{tc.groups}, InsecureCookies: true}))
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		mux.Handle("/", a.Require(tc.req)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = FromContext(r.Context()).Groups
		})))
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(&http.Cookie{Name: DefaultSessionCookie, Value: "v"})
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.status {
			t.Errorf("session groups %q with %v: %d, want %d", tc.groups, tc.req, rec.Code, tc.status)
		}
		if rec.Code == http.StatusOK && (!slices.IsSorted(seen) || len(slices.Compact(slices.Clone(seen))) != len(seen)) {
			t.Errorf("session groups %q reach the handler as %q", tc.groups, seen)
		}
	}
}

// TestGroupsFuncNormalised checks a GroupsFunc's answer: sorted, without
// duplicates, without names that cannot be group names.
func TestGroupsFuncNormalised(t *testing.T) {
	mux := http.NewServeMux()
	a, err := New(mux, WithUsers(map[string]string{"u": "pw"}),
		WithGroupsFunc(func(context.Context, string) ([]string, error) {
			return []string{"users", "blocked", "users", "", "viewer,admin"}, nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	mux.Handle("/", a.Require(OneOf("users"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = FromContext(r.Context()).Groups
	})))
	if st := serveBasic(a.Handler(), "u", "pw"); st != http.StatusOK || !slices.Equal(seen, []string{"blocked", "users"}) {
		t.Fatalf("%d, groups %q", st, seen)
	}
	mux = http.NewServeMux()
	b, err := New(mux, WithUsers(map[string]string{"u": "pw"}),
		WithGroupsFunc(func(context.Context, string) ([]string, error) { return []string{"users", "blocked"}, nil }))
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", b.Require(NoneOf("blocked"))(okMux()))
	if st := serveBasic(b.Handler(), "u", "pw"); st != http.StatusForbidden {
		t.Fatalf("NoneOf(blocked) for a blocked user: %d", st)
	}
}

// TestConfiguredGroupNamesChecked checks that a static group map and an
// htgroup file refuse names a comma-separated header would split.
func TestConfiguredGroupNamesChecked(t *testing.T) {
	for _, name := range []string{"viewer,admin", "", " admin", "admin\x01", "\xff"} {
		_, err := New(http.NewServeMux(), WithUsers(map[string]string{"u": "pw"}),
			WithUserGroups(map[string][]string{"u": {"ok", name}}))
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("WithUserGroups with %q: %v", name, err)
		}
	}
	dir := t.TempDir()
	for i, line := range []string{"viewer,admin: alice", "admin,: alice", "\xffx: alice"} {
		path := filepath.Join(dir, "g"+string(rune('0'+i)))
		if err := os.WriteFile(path, []byte("ok: alice\n"+line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := New(http.NewServeMux(), WithUsers(map[string]string{"alice": "pw"}), WithHtgroupFile(path)); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("htgroup line %q: %v", line, err)
		}
	}
}
