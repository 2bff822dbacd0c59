package auth_test

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
)

// shaEntry is an htpasswd line in the {SHA} format, cheap to check.
func shaEntry(user, password string) string {
	sum := sha1.Sum([]byte(password))
	return user + ":{SHA}" + base64.StdEncoding.EncodeToString(sum[:]) + "\n"
}

// TestSessionRightsFollowTheFiles: a session started with a password
// follows the htpasswd and htgroup files: a group taken away is gone for
// the session within RecheckInterval (plus the file recheck), and a user
// removed from the htpasswd file loses the session.
func TestSessionRightsFollowTheFiles(t *testing.T) {
	dir := t.TempDir()
	users, groups := filepath.Join(dir, "htpasswd"), filepath.Join(dir, "htgroup")
	write := func(path, content string) {
		t.Helper()
		// A new file, renamed over the old one, as editors do.
		tmp := path + ".new"
		if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write(users, shaEntry("alice", "pw")+shaEntry("bob", "pw"))
	write(groups, "admin: alice\n")
	clk := &clock{t: time.Now()}
	srv, _ := newServer(t,
		auth.WithHtpasswdFile(users), auth.WithHtgroupFile(groups),
		auth.WithClock(clk.now),
		auth.WithSessions(auth.SessionConfig{Keys: testKeys(), InsecureCookies: true}),
		auth.WithLoginForm(auth.LoginConfig{}),
	)
	b := newBrowser(t, srv)
	b.login("alice", "pw", "/")
	if got := b.do("GET", "/admin", nil, jsonAccept); got.status != http.StatusOK {
		t.Fatalf("admin at login: %d %s", got.status, got.body)
	}

	write(groups, "admin: bob\nops: alice\n")
	clk.advance(auth.DefaultFileRecheck)
	if got := b.do("GET", "/admin", nil, jsonAccept); got.status != http.StatusOK {
		t.Fatalf("within the recheck interval, the rights read last hold: %d", got.status)
	}
	clk.advance(auth.DefaultRecheckInterval)
	if got := b.do("GET", "/admin", nil, jsonAccept); got.status != http.StatusForbidden {
		t.Fatalf("admin after the group was taken away: %d", got.status)
	}
	if got := b.do("GET", "/", nil, jsonAccept); got.status != http.StatusOK || !strings.Contains(got.body, "alice ops") {
		t.Fatalf("the session after the change: %d %q", got.status, got.body)
	}

	stolen := b.cookie(auth.DefaultSessionCookie)
	write(users, shaEntry("bob", "pw"))
	clk.advance(auth.DefaultRecheckInterval + auth.DefaultFileRecheck)
	if got := b.do("GET", "/", nil, jsonAccept); got.status != http.StatusUnauthorized {
		t.Fatalf("a removed user's session: %d", got.status)
	}
	// It stays ended when the user comes back: a new login is needed.
	write(users, shaEntry("alice", "pw")+shaEntry("bob", "pw"))
	clk.advance(auth.DefaultFileRecheck)
	replay := newBrowser(t, srv)
	replay.setCookie(auth.DefaultSessionCookie, stolen)
	if got := replay.do("GET", "/", nil, jsonAccept); got.status != http.StatusUnauthorized {
		t.Fatalf("the removed user's old cookie after the user came back: %d", got.status)
	}
}

// TestGroupsFuncCanEndSessions: a GroupsFunc that answers ErrUnknownUser
// ends the user's sessions (the way to say a user was removed when
// passwords are checked by a VerifyFunc).
func TestGroupsFuncCanEndSessions(t *testing.T) {
	var gone atomic.Bool
	clk := &clock{t: time.Now()}
	srv, _ := newServer(t,
		auth.WithUsers(map[string]string{"carol": "pw"}),
		auth.WithGroupsFunc(func(_ context.Context, user string) ([]string, error) {
			if gone.Load() {
				return nil, auth.ErrUnknownUser
			}
			return []string{"staff"}, nil
		}),
		auth.WithClock(clk.now),
		auth.WithSessions(auth.SessionConfig{Keys: testKeys(), InsecureCookies: true}),
		auth.WithLoginForm(auth.LoginConfig{}),
	)
	b := newBrowser(t, srv)
	b.login("carol", "pw", "/")
	if got := b.do("GET", "/", nil, jsonAccept); got.status != http.StatusOK {
		t.Fatalf("after login: %d", got.status)
	}
	gone.Store(true)
	clk.advance(auth.DefaultRecheckInterval)
	if got := b.do("GET", "/", nil, jsonAccept); got.status != http.StatusUnauthorized {
		t.Fatalf("after the GroupsFunc said the user is unknown: %d", got.status)
	}
}
