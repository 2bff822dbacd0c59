package auth_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
)

// TestLoginSessionsEnd checks what a login method can end: the sessions it
// started for one provider session (EndProviderSession), never another
// method's with the same provider session; and every session of one of
// its users (EndUser), never another method's user or the local user of
// the same name. Each ended session runs the revocation hooks that close
// its WebSockets.
func TestLoginSessionsEnd(t *testing.T) {
	link, other := newLinkLogin("link", "carol"), newLinkLogin("other", "carol")
	srv, a := methodServer(t, nil, auth.WithUsers(map[string]string{"carol": "carol-pw"}), auth.WithLoginForm(auth.LoginConfig{}),
		auth.WithLoginMethod(link), auth.WithLoginMethod(other))
	var mu sync.Mutex
	var ended []string
	a.OnSessionEnd(func(id string) {
		mu.Lock()
		defer mu.Unlock()
		ended = append(ended, id)
	})
	var usersEnded []string
	a.OnUserSessionsEnd(func(user string, _ time.Time) {
		mu.Lock()
		defer mu.Unlock()
		usersEnded = append(usersEnded, user)
	})
	in := func(l *linkLogin, sid string) (*browser, string) {
		t.Helper()
		l.mu.Lock()
		l.sid = sid
		l.mu.Unlock()
		b := newBrowser(t, srv)
		linkIn(t, b, l.info.StartPath)
		id := whoIs(t, b)
		if id == nil || id.Provider != l.info.Name {
			t.Fatalf("login through %s: %+v", l.info.Name, id)
		}
		return b, id.SessionID
	}
	b1, s1 := in(link, "p-1")
	b2, s2 := in(link, "p-1")
	b3, _ := in(link, "p-2")
	b4, _ := in(other, "p-1")
	b5 := newBrowser(t, srv)
	if got := b5.login("carol", "carol-pw", "/"); got.status != 303 {
		t.Fatalf("password login: %d", got.status)
	}
	loggedIn := func(want ...bool) {
		t.Helper()
		for i, b := range []*browser{b1, b2, b3, b4, b5} {
			if got := whoIs(t, b) != nil; got != want[i] {
				t.Errorf("browser %d logged in: %v, want %v", i+1, got, want[i])
			}
		}
	}
	ctx := context.Background()
	for _, ps := range []string{"", "p-3"} {
		if n, err := link.sessions.EndProviderSession(ctx, ps); n != 0 || err != nil {
			t.Fatalf("EndProviderSession(%q) = %d, %v", ps, n, err)
		}
	}
	n, err := link.sessions.EndProviderSession(ctx, "p-1")
	mu.Lock()
	hooks := slices.Clone(ended)
	mu.Unlock()
	slices.Sort(hooks)
	want := []string{s1, s2}
	slices.Sort(want)
	if n != 2 || err != nil || !slices.Equal(hooks, want) {
		t.Fatalf("EndProviderSession(p-1) = %d, %v; the hooks ran for %q, want %q", n, err, hooks, want)
	}
	loggedIn(false, false, true, true, true)

	for _, bad := range []string{"", "carol,admin", " carol"} {
		if err := link.sessions.EndUser(ctx, bad); err != nil {
			t.Fatalf("EndUser(%q): %v", bad, err)
		}
	}
	if err := link.sessions.EndUser(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	users := slices.Clone(usersEnded)
	mu.Unlock()
	if !slices.Equal(users, []string{"link:carol"}) {
		t.Fatalf("the user hooks ran for %q, want [link:carol]", users)
	}
	loggedIn(false, false, false, true, true)
}

// TestLoginSessionsEndUserNeedsUserRevocations checks that EndUser says
// so when the revocation list cannot revoke users.
func TestLoginSessionsEndUserNeedsUserRevocations(t *testing.T) {
	link := newLinkLogin("link", "carol")
	methodServer(t, idOnlyRevocations{auth.NewMemoryRevocations(time.Now)}, auth.WithLoginMethod(link))
	if err := link.sessions.EndUser(context.Background(), "carol"); !errors.Is(err, auth.ErrCannotRevokeUsers) {
		t.Fatalf("EndUser with a list that revokes IDs only: %v", err)
	}
}

// idOnlyRevocations hides every method of a revocation list but the two
// of auth.RevocationList.
type idOnlyRevocations struct{ auth.RevocationList }
