package auth_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
)

// refreshingLogin is a linkLogin whose sessions follow a source, as an
// OpenID Connect provider's do: Refresh answers the groups the source
// has now, fails while down is set, and ends the session once ended is.
type refreshingLogin struct {
	*linkLogin
	mu     sync.Mutex
	groups []string
	down   bool
	ended  bool
	calls  []string // the session of each call
}

func (r *refreshingLogin) Refresh(_ context.Context, id *auth.Identity) (*auth.Identity, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, id.SessionID)
	switch {
	case r.ended:
		return nil, auth.ErrSessionEnded
	case r.down:
		return id, errors.New("the source cannot be reached")
	}
	c := id.Clone()
	c.Groups = slices.Clone(r.groups)
	return c, nil
}

// set changes the source under the lock.
func (r *refreshingLogin) set(f func(r *refreshingLogin)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r)
}

// called returns how many times Refresh ran.
func (r *refreshingLogin) called() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// TestRefresher checks the hook of a login method whose sessions follow
// their source: Refresh runs on the session's first request here and then
// once per RecheckInterval, on requests and on Recheck alike; the groups
// it gives replace the session's; a source that is down keeps the last
// ones; and ErrSessionEnded ends the session, with the revocation hooks
// that close its sockets. A session of another method is not handed to it.
func TestRefresher(t *testing.T) {
	ref := &refreshingLogin{linkLogin: newLinkLogin("link", "carol", "ops"), groups: []string{"ops"}}
	plain := newLinkLogin("plain", "dave", "ops")
	clk := &clock{t: time.Now()}
	srv, a := methodServer(t, nil, auth.WithClock(clk.now), auth.WithLoginMethod(ref), auth.WithLoginMethod(plain))
	var mu sync.Mutex
	var ended []string
	a.OnSessionEnd(func(id string) {
		mu.Lock()
		defer mu.Unlock()
		ended = append(ended, id)
	})
	groups := func(b *browser) string {
		t.Helper()
		id := whoIs(t, b)
		if id == nil {
			return "logged out"
		}
		return strings.Join(id.Groups, ",")
	}
	b := newBrowser(t, srv)
	linkIn(t, b, "/link/start")
	other := newBrowser(t, srv)
	linkIn(t, other, "/plain/start")
	if g := groups(b); g != "ops" || ref.called() != 1 {
		t.Fatalf("the first request: groups %q, Refresh called %d times", g, ref.called())
	}
	ref.set(func(r *refreshingLogin) { r.groups = []string{"admin", "ops"} })
	if g := groups(b); g != "ops" || ref.called() != 1 {
		t.Fatalf("within the recheck interval: groups %q, Refresh called %d times", g, ref.called())
	}
	clk.advance(auth.DefaultRecheckInterval)
	if g := groups(b); g != "admin,ops" || ref.called() != 2 {
		t.Fatalf("after the recheck interval: groups %q, Refresh called %d times", g, ref.called())
	}
	id := whoIs(t, b)

	// A socket's recheck asks the source too, once the interval is over.
	ref.set(func(r *refreshingLogin) { r.groups = []string{"admin"} })
	if now, err := a.Recheck(context.Background(), id); err != nil || now != id {
		t.Fatalf("Recheck within the interval: %+v, %v", now, err)
	}
	clk.advance(auth.DefaultRecheckInterval)
	now, err := a.Recheck(context.Background(), id)
	if err != nil || strings.Join(now.Groups, ",") != "admin" || ref.called() != 3 || groups(b) != "admin" {
		t.Fatalf("Recheck after the interval: %+v, %v, Refresh called %d times", now, err, ref.called())
	}

	// A source that is down keeps the rights read last.
	ref.set(func(r *refreshingLogin) { r.down = true })
	clk.advance(auth.DefaultRecheckInterval)
	if g := groups(b); g != "admin" || ref.called() != 4 {
		t.Fatalf("with the source down: groups %q, Refresh called %d times", g, ref.called())
	}

	// The source ends the session.
	ref.set(func(r *refreshingLogin) { r.down, r.ended = false, true })
	clk.advance(auth.DefaultRecheckInterval)
	if got := b.do("GET", "/", nil, map[string]string{"Accept": "application/json"}); got.status != http.StatusUnauthorized {
		t.Fatalf("the session its source ended: %d", got.status)
	}
	mu.Lock()
	if !slices.Equal(ended, []string{id.SessionID}) {
		t.Errorf("the revocation hooks ran for %q, want [%s]", ended, id.SessionID)
	}
	mu.Unlock()
	if _, err := a.Recheck(context.Background(), id); !errors.Is(err, auth.ErrSessionEnded) {
		t.Fatalf("Recheck of the ended session: %v", err)
	}
	if g := groups(other); g != "ops" {
		t.Fatalf("the other method's session: %q", g)
	}
	for _, s := range ref.calls {
		if s != id.SessionID {
			t.Fatalf("Refresh was handed session %q, not only %q", s, id.SessionID)
		}
	}
}

// TestRefresherEndsSocketSessions checks that a session ended by its
// source at a socket's recheck, with no request, is revoked: its cookie
// is refused afterwards.
func TestRefresherEndsSocketSessions(t *testing.T) {
	ref := &refreshingLogin{linkLogin: newLinkLogin("link", "carol"), ended: true}
	clk := &clock{t: time.Now()}
	srv, a := methodServer(t, nil, auth.WithClock(clk.now), auth.WithLoginMethod(ref))
	b := newBrowser(t, srv)
	ref.set(func(r *refreshingLogin) { r.ended = false })
	linkIn(t, b, "/link/start")
	id := whoIs(t, b)
	if id == nil {
		t.Fatal("not logged in")
	}
	ref.set(func(r *refreshingLogin) { r.ended = true })
	clk.advance(auth.DefaultRecheckInterval)
	if _, err := a.Recheck(context.Background(), id); !errors.Is(err, auth.ErrSessionEnded) {
		t.Fatalf("Recheck: %v", err)
	}
	ref.set(func(r *refreshingLogin) { r.ended = false })
	clk.advance(auth.DefaultRecheckInterval)
	if whoIs(t, b) != nil {
		t.Fatal("the session its source ended at a recheck still works")
	}
}
