package auth_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/sessions"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

func TestIdentityInSection(t *testing.T) {
	for _, tc := range []struct {
		sections []string
		section  string
		want     bool
	}{
		{[]string{"hr", "marketing"}, "marketing", true},
		{[]string{"hr", "marketing"}, "hr", true},
		{[]string{"hr", "marketing"}, "finance", false},
		{[]string{"marketing", "hr"}, "hr", true}, // built by hand, out of order
		{[]string{"zeta", "hr", "alpha"}, "alpha", true},
		{[]string{auth.AllSections}, "hr", true},
		{[]string{"marketing", auth.AllSections}, "finance", true},
		{[]string{"marketing"}, "Marketing", false},
		{[]string{"marketing"}, "market", false},
		{[]string{"marketing"}, "", false},
		{[]string{auth.AllSections}, "", false},
		{nil, "hr", false},
		{[]string{}, "hr", false},
	} {
		id := &auth.Identity{User: "u", Sections: tc.sections}
		if got := id.InSection(tc.section); got != tc.want {
			t.Errorf("Sections %q: InSection(%q) = %v, want %v", tc.sections, tc.section, got, tc.want)
		}
	}
	var none *auth.Identity
	if none.InSection("hr") {
		t.Error("a nil identity is in a section")
	}
}

func TestInSectionRequirement(t *testing.T) {
	viewer := &auth.Identity{User: "viewer", Groups: []string{"viewer"}, Sections: []string{"marketing"}}
	admin := &auth.Identity{User: "admin", Groups: []string{"admin"}, Sections: []string{auth.AllSections}}
	nobody := &auth.Identity{User: "nobody", Groups: []string{"viewer"}}
	for _, tc := range []struct {
		req  auth.Requirement
		id   *auth.Identity
		want auth.Decision
	}{
		{auth.InSection("marketing"), viewer, auth.DecisionAllow},
		{auth.InSection("hr"), viewer, auth.DecisionForbidden},
		{auth.InSection("hr"), admin, auth.DecisionAllow},
		{auth.InSection("hr"), nobody, auth.DecisionForbidden},
		{auth.InSection("hr"), nil, auth.DecisionUnauthenticated},
		{auth.InSection(auth.AllSections), admin, auth.DecisionAllow},
		{auth.InSection(auth.AllSections), viewer, auth.DecisionForbidden},
		// Names that can never be sections forbid everyone, _all_ too.
		{auth.InSection(""), admin, auth.DecisionForbidden},
		{auth.InSection("hr,marketing"), admin, auth.DecisionForbidden},
		{auth.InSection(" hr"), admin, auth.DecisionForbidden},
		{auth.InSection("hr\x00"), admin, auth.DecisionForbidden},
		{auth.InSection("\xff"), admin, auth.DecisionForbidden},
		{auth.InSection(""), nil, auth.DecisionUnauthenticated},
	} {
		if got := tc.req.Check(tc.id); got != tc.want {
			t.Errorf("%v.Check(%v) = %v, want %v", tc.req, tc.id, got, tc.want)
		}
	}
	if s := auth.InSection("hr").(interface{ String() string }).String(); s != `InSection("hr")` {
		t.Errorf("String = %q", s)
	}
}

// sectionServer guards a mux whose handlers echo the caller's user and
// sections; /hr and /marketing require their section, /staff-hr group
// staff and section hr.
func sectionServer(t *testing.T, opts ...auth.Option) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	a, err := auth.New(mux, append([]auth.Option{auth.WithoutRegulation()}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := auth.FromContext(r.Context())
		io.WriteString(w, r.URL.Path+" "+id.User+" ["+strings.Join(id.Sections, ",")+"]")
	})
	mux.Handle("GET /{$}", echo)
	mux.Handle("GET /hr", a.Require(auth.InSection("hr"))(echo))
	mux.Handle("GET /marketing", a.Require(auth.InSection("marketing"))(echo))
	mux.Handle("GET /staff-hr", a.Require(auth.OneOf("staff"), auth.InSection("hr"))(echo))
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// sectionUsers are the users of the section tests: admin in every
// section, viewer in marketing, alice in hr and group staff, bob in hr
// but no group.
var sectionUsers = []auth.Option{
	auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123", "alice": "alice", "bob": "bob"}),
	auth.WithUserGroups(map[string][]string{"admin": {"admin"}, "viewer": {"viewer"}, "alice": {"staff"}}),
}

func TestSectionSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sections")
	if err := os.WriteFile(file, []byte("# sections\n_all_: admin\nmarketing: viewer\nhr: alice bob\nmarketing: bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	table := map[string][]string{
		"admin": {auth.AllSections}, "viewer": {"marketing"}, "alice": {"hr"}, "bob": {"marketing", "hr", "hr"},
	}
	sources := map[string]auth.Option{
		"map":  auth.WithUserSections(table),
		"file": auth.WithSectionsFile(file),
		"func": auth.WithSectionsFunc(func(_ context.Context, user string) ([]string, error) {
			// Unsorted, repeated, with names that cannot be sections:
			// they are dropped as the sections enter.
			return append(slices.Clone(table[user]), "", "a,b"), nil
		}),
	}
	for name, source := range sources {
		t.Run(name, func(t *testing.T) {
			srv := sectionServer(t, append(slices.Clone(sectionUsers), source)...)
			for _, tc := range []struct {
				user, pass, path string
				status           int
				body             string
			}{
				{"viewer", "viewer123", "/", 200, "/ viewer [marketing]"},
				{"viewer", "viewer123", "/marketing", 200, "/marketing viewer [marketing]"},
				{"viewer", "viewer123", "/hr", 403, `"forbidden"`},
				{"admin", "admin", "/hr", 200, "/hr admin [_all_]"},
				{"admin", "admin", "/marketing", 200, "/marketing admin [_all_]"},
				{"admin", "admin", "/staff-hr", 403, `"forbidden"`}, // _all_ is no group
				{"alice", "alice", "/staff-hr", 200, "/staff-hr alice [hr]"},
				{"bob", "bob", "/", 200, "/ bob [hr,marketing]"},
				{"bob", "bob", "/staff-hr", 403, `"forbidden"`},
				{"", "", "/hr", 401, `"unauthenticated"`},
			} {
				got := do(t, srv, request{path: tc.path, user: tc.user, pass: tc.pass})
				if got.status != tc.status || !strings.Contains(got.body, tc.body) {
					t.Errorf("%s %s: %d %q, want %d with %q", tc.user, tc.path, got.status, got.body, tc.status, tc.body)
				}
			}
		})
	}
}

func TestSectionsFileIsReread(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sections")
	if err := os.WriteFile(file, []byte("marketing: viewer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := sectionServer(t, append(slices.Clone(sectionUsers), auth.WithSectionsFile(file), auth.WithFileRecheck(0))...)
	viewer := request{path: "/hr", user: "viewer", pass: "viewer123"}
	if got := do(t, srv, viewer); got.status != 403 {
		t.Fatalf("before the change: %d %q", got.status, got.body)
	}
	// A new size and a later modification time, so the change is seen
	// whatever the file system's time resolution.
	if err := os.WriteFile(file, []byte("marketing: viewer\nhr: viewer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
	if got := do(t, srv, viewer); got.status != 200 || got.body != "/hr viewer [hr,marketing]" {
		t.Fatalf("after the change: %d %q", got.status, got.body)
	}
	// Broken content keeps the previous sections.
	if err := os.WriteFile(file, []byte("hr viewer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := do(t, srv, viewer); got.status != 200 {
		t.Fatalf("after a broken change: %d %q", got.status, got.body)
	}
}

// TestSectionsFuncAskedEveryTime checks that the sections of a function
// are not kept by the caches of verified credentials: with hashed
// passwords the identity of a header seen before is reused only when
// groups and sections are fixed.
func TestSectionsFuncAskedEveryTime(t *testing.T) {
	hash, err := auth.HashPassword("viewer123")
	if err != nil {
		t.Fatal(err)
	}
	var hr atomic.Bool
	srv := sectionServer(t,
		auth.WithHashedUsers(map[string]string{"viewer": hash}),
		auth.WithSectionsFunc(func(context.Context, string) ([]string, error) {
			if hr.Load() {
				return []string{"hr"}, nil
			}
			return []string{"marketing"}, nil
		}))
	viewer := request{path: "/hr", user: "viewer", pass: "viewer123"}
	if got := do(t, srv, viewer); got.status != 403 {
		t.Fatalf("in marketing: %d %q", got.status, got.body)
	}
	hr.Store(true)
	if got := do(t, srv, viewer); got.status != 200 || got.body != "/hr viewer [hr]" {
		t.Fatalf("moved to hr: %d %q", got.status, got.body)
	}
}

func TestSectionsFuncErrorDenies(t *testing.T) {
	srv := sectionServer(t, append(slices.Clone(sectionUsers),
		auth.WithSectionsFunc(func(context.Context, string) ([]string, error) { return nil, errors.New("directory down") }),
		auth.WithLogger(slog.New(slog.DiscardHandler)))...)
	if got := do(t, srv, request{path: "/", user: "viewer", pass: "viewer123"}); got.status != 401 {
		t.Fatalf("a failed section lookup: %d %q", got.status, got.body)
	}
}

func TestSectionOptionErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sections")
	os.WriteFile(file, []byte("hr: alice\n"), 0o600)
	broken := filepath.Join(t.TempDir(), "broken")
	os.WriteFile(broken, []byte("hr: alice\nmarketing bob\n"), 0o600)
	badName := filepath.Join(t.TempDir(), "badname")
	os.WriteFile(badName, []byte("hr,marketing: alice\n"), 0o600)
	users := auth.WithUsers(map[string]string{"alice": "alice"})
	for _, tc := range []struct {
		name string
		opts []auth.Option
		want string
	}{
		{"two sources", []auth.Option{users, auth.WithUserSections(nil), auth.WithSectionsFile(file)}, "WithUserSections and WithSectionsFile are section sources"},
		{"nil func", []auth.Option{users, auth.WithSectionsFunc(nil)}, "WithSectionsFunc(nil)"},
		{"no credentials", []auth.Option{auth.WithUserSections(map[string][]string{"alice": {"hr"}}), auth.WithAuthenticator(handAuth{})}, "WithUserSections needs a credential source"},
		{"empty name", []auth.Option{users, auth.WithUserSections(map[string][]string{"alice": {""}})}, `section name ""`},
		{"comma", []auth.Option{users, auth.WithUserSections(map[string][]string{"alice": {"hr,marketing"}})}, `section name "hr,marketing"`},
		{"padded", []auth.Option{users, auth.WithUserSections(map[string][]string{"alice": {"hr "}})}, `section name "hr "`},
		{"empty user", []auth.Option{users, auth.WithUserSections(map[string][]string{"": {"hr"}})}, "empty user name"},
		{"missing file", []auth.Option{users, auth.WithSectionsFile(filepath.Join(t.TempDir(), "none"))}, "sections file"},
		{"broken file", []auth.Option{users, auth.WithSectionsFile(broken)}, "line 2: no ':' after the section name"},
		{"bad name in file", []auth.Option{users, auth.WithSectionsFile(badName)}, "section name holds a comma"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auth.New(http.NewServeMux(), tc.opts...)
			if !errors.Is(err, auth.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want ErrInvalidConfig saying %q", err, tc.want)
			}
		})
	}
}

// handAuth authenticates every request carrying X-Hand as an identity
// built by hand, with its sections out of order and one that cannot be
// a section.
type handAuth struct{}

func (handAuth) Authenticate(x backends.Exchange) (*auth.Identity, error) {
	if x.Header("X-Hand") == "" {
		return nil, auth.ErrNoCredentials
	}
	return &auth.Identity{User: "hand", Groups: []string{"staff"}, Sections: []string{"marketing", "hr", "a,b", "hr"}}, nil
}

func TestCustomAuthenticatorSectionsNormalised(t *testing.T) {
	srv := sectionServer(t, auth.WithAuthenticator(handAuth{}))
	got := do(t, srv, request{path: "/staff-hr", headers: map[string]string{"X-Hand": "1"}})
	if got.status != 200 || got.body != "/staff-hr hand [hr,marketing]" {
		t.Fatalf("custom authenticator: %d %q", got.status, got.body)
	}
}

// TestSessionCarriesSections checks that a session started by a login
// keeps the sections, so its cookie alone reaches the same sections,
// and that a session does not outlive its source's map: the cookie
// stands for what the map said at login.
func TestSessionCarriesSections(t *testing.T) {
	for _, name := range []string{"cookie store", "gorilla store"} {
		t.Run(name, func(t *testing.T) {
			sessions := auth.SessionConfig{Keys: testKeys(), InsecureCookies: true}
			if name == "gorilla store" {
				sessions = auth.SessionConfig{Store: auth.GorillaStore(gorillaStore(t), auth.DefaultSessionCookie), InsecureCookies: true}
			}
			srv := sectionServer(t, append(slices.Clone(sectionUsers),
				auth.WithUserSections(map[string][]string{"viewer": {"marketing"}, "admin": {auth.AllSections}}),
				auth.WithSessions(sessions))...)
			login := do(t, srv, request{path: "/", user: "viewer", pass: "viewer123", headers: browserNavigation})
			var cookie string
			for _, c := range (&http.Response{Header: login.header}).Cookies() {
				if c.Name == auth.DefaultSessionCookie {
					cookie = c.Name + "=" + c.Value
				}
			}
			if login.status != 200 || cookie == "" {
				t.Fatalf("login: %d, cookie %q", login.status, cookie)
			}
			with := map[string]string{"Cookie": cookie}
			for range 2 { // the second time from the session cache
				if got := do(t, srv, request{path: "/marketing", headers: with}); got.status != 200 || got.body != "/marketing viewer [marketing]" {
					t.Fatalf("cookie alone at /marketing: %d %q", got.status, got.body)
				}
				if got := do(t, srv, request{path: "/hr", headers: with}); got.status != 403 {
					t.Fatalf("cookie alone at /hr: %d %q", got.status, got.body)
				}
			}
		})
	}
}

// gorillaStore is a gorilla/sessions filesystem store, which keeps the
// session's values server-side under their own names.
func gorillaStore(t *testing.T) sessions.Store {
	hk, bk := auth.GenerateKeyPair()
	return sessions.NewFilesystemStore(t.TempDir(), hk, bk)
}
