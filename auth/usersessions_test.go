package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
)

// TestSessionsListedAndRevokedOneByOne logs one user in from two
// browsers, lists the sessions and ends one of them by its handle.
func TestSessionsListedAndRevokedOneByOne(t *testing.T) {
	srv, a, clk := sessionServer(t)
	first, second := newBrowser(t, srv), newBrowser(t, srv)
	first.login("admin", "admin", "/")
	clk.advance(2 * time.Second)
	second.login("admin", "admin", "/")
	newBrowser(t, srv).login("viewer", "viewer123", "/")

	ctx := auth.NewContext(t.Context(), &auth.Identity{User: "admin", SessionID: second.sessionID()})
	list, err := a.Sessions(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("admin's sessions: %+v", list)
	}
	newest, oldest := list[0], list[1]
	if newest.Handle != auth.SessionHandle(second.sessionID()) || oldest.Handle != auth.SessionHandle(first.sessionID()) {
		t.Fatalf("sessions not newest first, or handles wrong: %+v", list)
	}
	if !newest.Current || oldest.Current {
		t.Fatalf("current session not marked: %+v", list)
	}
	for _, s := range list {
		if s.Provider != "form" || s.Client != "127.0.0.1" || s.UserAgent == "" || s.Created.IsZero() || !s.Expires.After(s.Created) {
			t.Fatalf("record incomplete: %+v", s)
		}
		if s.Handle == first.sessionID() || s.Handle == second.sessionID() {
			t.Fatal("a handle is the session ID")
		}
	}

	// Another user's handle is refused, and ends nothing.
	if err := a.RevokeSession(t.Context(), "viewer", oldest.Handle); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("viewer revoking admin's session: %v", err)
	}
	if got := first.do("GET", "/", nil, jsonAccept); got.status != http.StatusOK {
		t.Fatalf("a refused revocation ended the session: %d", got.status)
	}
	if err := a.RevokeSession(t.Context(), "admin", oldest.Handle); err != nil {
		t.Fatal(err)
	}
	if got := first.do("GET", "/", nil, jsonAccept); got.status != http.StatusUnauthorized {
		t.Fatalf("revoked session still works: %d", got.status)
	}
	if got := second.do("GET", "/", nil, jsonAccept); got.status != http.StatusOK {
		t.Fatalf("the other session ended too: %d", got.status)
	}
	if list, _ := a.Sessions(t.Context(), "admin"); len(list) != 1 || list[0].Handle != newest.Handle {
		t.Fatalf("after revoking one: %+v", list)
	}
}

// TestRevokeUserEndsEverySession checks "log out everywhere": every
// session of the user ends, including one the index never saw (a cookie
// made by another process), and a login afterwards works.
func TestRevokeUserEndsEverySession(t *testing.T) {
	keys := testKeys()
	sessions := auth.WithSessions(auth.SessionConfig{Keys: keys, InsecureCookies: true})
	clk := &clock{t: time.Now()}
	process := func() (*httptest.Server, *auth.Auth) {
		return newServer(t, demoUsers, demoGroups, auth.WithClock(clk.now), sessions, auth.WithLoginForm(auth.LoginConfig{}))
	}
	srv, a := process()
	b1, b2, other := newBrowser(t, srv), newBrowser(t, srv), newBrowser(t, srv)
	b1.login("admin", "admin", "/")
	b2.login("admin", "admin", "/")
	other.login("viewer", "viewer123", "/")
	// A session this process's index never saw: made by another process
	// with the same keys, and not used here yet.
	elsewhere, _ := process()
	b3 := newBrowser(t, elsewhere)
	b3.login("admin", "admin", "/")
	unseen := newBrowser(t, srv)
	unseen.setCookie(auth.DefaultSessionCookie, b3.cookie(auth.DefaultSessionCookie))
	if got := unseen.do("GET", "/", nil, jsonAccept); got.status != http.StatusOK {
		t.Fatalf("the other process's cookie: %d", got.status)
	}

	var ended []string
	a.OnUserSessionsEnd(func(user string, _ time.Time) { ended = append(ended, user) })
	if err := a.RevokeUser(t.Context(), "admin"); err != nil {
		t.Fatal(err)
	}
	for i, b := range []*browser{b1, b2, unseen} {
		if got := b.do("GET", "/", nil, jsonAccept); got.status != http.StatusUnauthorized {
			t.Fatalf("session %d after RevokeUser: %d", i, got.status)
		}
	}
	if got := other.do("GET", "/", nil, jsonAccept); got.status != http.StatusOK {
		t.Fatalf("another user's session ended: %d", got.status)
	}
	if len(ended) != 1 || ended[0] != "admin" {
		t.Fatalf("OnUserSessionsEnd hooks: %v", ended)
	}
	if list, _ := a.Sessions(t.Context(), "admin"); len(list) != 0 {
		t.Fatalf("revoked sessions still listed: %+v", list)
	}
	clk.advance(time.Second)
	fresh := newBrowser(t, srv)
	fresh.login("admin", "admin", "/")
	if got := fresh.do("GET", "/", nil, jsonAccept); got.status != http.StatusOK {
		t.Fatalf("a login after RevokeUser: %d", got.status)
	}
}

// TestRevokeUserNeedsAUserRevocationList checks the error for a list
// that cannot revoke users.
func TestRevokeUserNeedsAUserRevocationList(t *testing.T) {
	_, a := newServer(t, demoUsers, auth.WithSessions(auth.SessionConfig{Keys: testKeys(), Revocations: onlyIDs{}}))
	if err := a.RevokeUser(t.Context(), "admin"); !errors.Is(err, auth.ErrCannotRevokeUsers) {
		t.Fatalf("RevokeUser: %v", err)
	}
}

type onlyIDs struct{}

func (onlyIDs) Revoke(context.Context, string, time.Time) error { return nil }
func (onlyIDs) Revoked(context.Context, string) (bool, error)   { return false, nil }

func TestMemoryRevocationsRevokeUser(t *testing.T) {
	clk := &clock{t: time.Unix(1_000_000, 0)}
	m := auth.NewMemoryRevocations(clk.now)
	ctx := t.Context()
	at := clk.now()
	if err := m.RevokeUser(ctx, "alice", at, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id, user string
		issued   time.Time
		want     bool
	}{
		{"s1", "alice", at.Add(-time.Minute), true},
		{"s2", "alice", at, true},
		{"s3", "alice", at.Add(time.Second), false},
		{"s4", "bob", at.Add(-time.Minute), false},
	} {
		if got, _ := m.SessionRevoked(ctx, c.id, c.user, c.issued); got != c.want {
			t.Errorf("%s of %s issued %v: revoked %v, want %v", c.id, c.user, c.issued.Sub(at), got, c.want)
		}
	}
	// An earlier before does not undo a later one.
	_ = m.RevokeUser(ctx, "alice", at.Add(-time.Hour), at.Add(time.Hour))
	if got, _ := m.SessionRevoked(ctx, "s2", "alice", at); !got {
		t.Fatal("an earlier RevokeUser undid a later one")
	}
	// A revoked ID is still revoked through SessionRevoked.
	_ = m.Revoke(ctx, "s9", at.Add(time.Hour))
	if got, _ := m.SessionRevoked(ctx, "s9", "bob", at); !got {
		t.Fatal("SessionRevoked ignores Revoke")
	}
	// After until, the entry is gone.
	clk.advance(2 * time.Hour)
	if got, _ := m.SessionRevoked(ctx, "s1", "alice", at.Add(-time.Minute)); got {
		t.Fatal("RevokeUser outlived its until")
	}
	if err := m.RevokeUser(ctx, "", at, at.Add(time.Hour)); err == nil {
		t.Fatal("empty user accepted")
	}
}

func TestMemorySessionIndex(t *testing.T) {
	clk := &clock{t: time.Unix(1_000_000, 0)}
	idx := auth.NewMemorySessionIndex(clk.now)
	ctx := t.Context()
	now := clk.now()
	rec := func(id, user string, created time.Time, sid string) auth.SessionRecord {
		return auth.SessionRecord{ID: id, User: user, Provider: "idp", ProviderSession: sid, Created: created, LastSeen: created, Expires: created.Add(time.Hour)}
	}
	for _, r := range []auth.SessionRecord{
		rec("a1", "alice", now.Add(-2*time.Minute), "sid-1"),
		rec("a2", "alice", now.Add(-time.Minute), "sid-2"),
		rec("b1", "bob", now, "sid-1"),
	} {
		if err := idx.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	list, _ := idx.List(ctx, "alice")
	if len(list) != 2 || list[0].ID != "a2" || list[1].ID != "a1" {
		t.Fatalf("alice: %+v", list)
	}
	// Put replaces the record with the same ID.
	moved := rec("a1", "alice", now.Add(-2*time.Minute), "sid-1")
	moved.LastSeen = now
	_ = idx.Put(ctx, moved)
	if list, _ := idx.List(ctx, "alice"); len(list) != 2 || !list[1].LastSeen.Equal(now) {
		t.Fatalf("after a refresh: %+v", list)
	}
	if found, _ := idx.Find(ctx, "idp", "sid-1"); len(found) != 2 {
		t.Fatalf("Find sid-1: %+v", found)
	}
	if found, _ := idx.Find(ctx, "other", "sid-1"); len(found) != 0 {
		t.Fatalf("Find matched another provider: %+v", found)
	}
	_ = idx.Remove(ctx, "alice", "a2")
	if list, _ := idx.List(ctx, "alice"); len(list) != 1 || list[0].ID != "a1" {
		t.Fatalf("after Remove: %+v", list)
	}
	clk.advance(2 * time.Hour)
	if list, _ := idx.List(ctx, "alice"); len(list) != 0 {
		t.Fatalf("expired records listed: %+v", list)
	}
	// A user's records are bounded.
	for i := range auth.MaxSessionsPerUser + 10 {
		_ = idx.Put(ctx, rec(string(rune('A'+i%26))+time.Duration(i).String(), "carol", clk.now().Add(time.Duration(i)*time.Second), ""))
	}
	if list, _ := idx.List(ctx, "carol"); len(list) != auth.MaxSessionsPerUser {
		t.Fatalf("carol has %d records", len(list))
	}
	if err := idx.Put(ctx, auth.SessionRecord{User: "x"}); err == nil {
		t.Fatal("a record without an ID was accepted")
	}
}
