package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/redisstore"
	"github.com/authwire/authwire/internal/servetest"
)

// process is one instance of an application sharing Redis with others.
type process struct {
	a     *auth.Auth
	store *redisstore.Store
	srv   *httptest.Server

	mu         sync.Mutex
	ended      []string // sessions whose end this process's hooks saw
	usersEnded []string // "user before" of each user revocation they saw
}

func newProcess(t *testing.T, rdb redis.UniversalClient) *process {
	t.Helper()
	// No Keys: a server-side store needs none, and the logout form's CSRF
	// token is bound to the session ID without a key, so every process
	// takes every other's.
	p := &process{store: redisstore.New(rdb, redisstore.Config{})}
	reg, err := p.store.Regulator(auth.RegulationPolicy{MaxFailures: 3, Window: time.Minute, BanTime: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.a, err = auth.New(mux,
		auth.WithUsers(map[string]string{"alice": "alice-pw", "bob": "bob-pw"}),
		auth.WithSessions(auth.SessionConfig{Store: p.store, Revocations: p.store, InsecureCookies: true}),
		auth.WithRegulator(reg),
	)
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		id := auth.FromContext(r.Context())
		io.WriteString(w, id.User+" "+id.SessionID)
	})
	p.a.OnSessionEnd(func(id string) {
		p.mu.Lock()
		p.ended = append(p.ended, id)
		p.mu.Unlock()
	})
	p.a.OnUserSessionsEnd(func(user string, before time.Time) {
		p.mu.Lock()
		p.usersEnded = append(p.usersEnded, fmt.Sprintf("%s %d", user, before.Unix()))
		p.mu.Unlock()
	})
	p.srv = httptest.NewServer(p.a.Handler())
	t.Cleanup(p.srv.Close)
	return p
}

// get requests / with Basic credentials (user != "") or a session cookie,
// as a browser's navigation does.
func (p *process) get(t *testing.T, user, pass, cookie string) (int, string, []*http.Cookie) {
	t.Helper()
	return p.getWith(t, user, pass, cookie, http.Header{"Sec-Fetch-Mode": {"navigate"}})
}

// getWith is get with the given request headers.
func (p *process) getWith(t *testing.T, user, pass, cookie string, h http.Header) (int, string, []*http.Cookie) {
	t.Helper()
	req, _ := http.NewRequest("GET", p.srv.URL+"/", nil)
	req.Header = h
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: auth.DefaultSessionCookie, Value: cookie})
	}
	res, err := p.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Cookies()
}

// login logs user in with Basic, as a browser does, and returns the
// session cookie and ID.
func (p *process) login(t *testing.T, user, pass string) (cookie, sid string) {
	t.Helper()
	status, body, cookies := p.get(t, user, pass, "")
	for _, c := range cookies {
		if c.Name == auth.DefaultSessionCookie {
			cookie = c.Value
		}
	}
	if status != 200 || cookie == "" {
		t.Fatalf("login of %s: %d %q", user, status, body)
	}
	return cookie, body[len(user)+1:]
}

// apply runs p.store.ApplyRevocations(p.a) until t ends, and waits until
// it reads the stream: revocations through from, of throwaway sessions,
// reach p's hooks.
func (p *process) apply(t *testing.T, from *process) {
	t.Helper()
	p.applyFrom(t, p.store, from)
}

// applyFrom is apply with the stream read through store.
func (p *process) applyFrom(t *testing.T, store *redisstore.Store, from *process) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- store.ApplyRevocations(ctx, p.a) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("ApplyRevocations returned %v after its context ended", err)
		}
	})
	deadline := time.Now().Add(safetyNet)
	for len(p.endedSessions()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("ApplyRevocations never applied a revocation")
		}
		if err := from.a.Revoke(ctx, randomID(t)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *process) usersEndedSeen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.usersEnded...)
}

func (p *process) endedSessions() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.ended...)
}

// TestProcessesShareSessionsLogoutsAndBans runs two application
// processes on one Redis: a session made by one is good on the other, its
// revocation on one ends it on both (and the other's session-end hooks
// run, as its WebSocket hub needs), and failed passwords add up across
// them. With Redis gone, cookies are refused but kept.
func TestProcessesShareSessionsLogoutsAndBans(t *testing.T) {
	srv := servetest.Redis(t)
	one, two := newProcess(t, srv.Client(t)), newProcess(t, srv.Client(t))
	ctx, cancel := context.WithCancel(context.Background())
	watching := make(chan error, 1)
	go func() { watching <- two.store.WatchRevocations(ctx, func(id string) { two.a.Revoke(ctx, id) }) }()
	t.Cleanup(func() {
		cancel()
		<-watching
	})

	cookie, sid := one.login(t, "alice", "alice-pw")
	if cookie != sid {
		t.Fatalf("the cookie %q is not the session ID %q", cookie, sid)
	}
	if status, body, _ := two.get(t, "", "", cookie); status != 200 || body != "alice "+sid {
		t.Fatalf("the session on two: %d %q", status, body)
	}

	// Revoking on one ends the session on both, and two hears of it.
	// The watcher may not read the stream yet when the first revocation is
	// announced: revoke throwaway sessions until one reaches two.
	deadline := time.Now().Add(safetyNet)
	for i := 0; len(two.endedSessions()) == 0; i++ {
		if time.Now().After(deadline) {
			t.Fatal("two never heard of a revocation")
		}
		if err := one.a.Revoke(ctx, newID(t, byte(i))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := one.a.Revoke(ctx, sid); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := two.get(t, "", "", cookie); status != 401 {
		t.Fatalf("the revoked session on two: %d", status)
	}
	for !contains(two.endedSessions(), sid) {
		if time.Now().After(deadline) {
			t.Fatalf("two's hooks never saw the session end: %q", two.endedSessions())
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Failed passwords add up: two on one, one on two, and alice is
	// banned on both, even with the right password.
	for _, p := range []*process{one, one, two} {
		if status, _, _ := p.get(t, "alice", "wrong", ""); status != 401 {
			t.Fatalf("wrong password: %d", status)
		}
	}
	for _, p := range []*process{one, two} {
		if status, _, _ := p.get(t, "alice", "alice-pw", ""); status != 401 {
			t.Fatalf("banned alice with the right password: %d", status)
		}
	}

	// Redis gone: a session cookie is not trusted, and not cleared.
	srv.Stop()
	status, _, cookies := one.get(t, "", "", cookie)
	if status != 401 {
		t.Fatalf("a session with Redis gone: %d", status)
	}
	for _, c := range cookies {
		if c.Name == auth.DefaultSessionCookie {
			t.Fatalf("the cookie was cleared while Redis was away: %+v", c)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestScriptBasicLeavesNoKeys: Basic requests from a client without a
// cookie jar (no Fetch Metadata, no HTML asked for) start no session, so
// they leave nothing in Redis however many there are; a browser's login
// leaves its session, and its record in the user's session index.
func TestScriptBasicLeavesNoKeys(t *testing.T) {
	srv := servetest.Redis(t)
	p := newProcess(t, srv.Client(t))
	rdb := srv.Client(t)
	for range 50 {
		status, body, cookies := p.getWith(t, "alice", "alice-pw", "", http.Header{"Accept": {"application/json"}})
		if status != 200 || body != "alice " || len(cookies) != 0 {
			t.Fatalf("script request: %d %q, cookies %v", status, body, cookies)
		}
	}
	if keys, err := rdb.Keys(t.Context(), "*").Result(); err != nil || len(keys) != 0 {
		t.Fatalf("50 script requests left keys %q (%v)", keys, err)
	}
	status, _, cookies := p.get(t, "alice", "alice-pw", "")
	if status != 200 || len(cookies) != 1 {
		t.Fatalf("browser login: %d, cookies %v", status, cookies)
	}
	keys, err := rdb.Keys(t.Context(), "*").Result()
	slices.Sort(keys)
	want := []string{"authwire:ix:{" + hashHex("alice") + "}:d", "authwire:ix:{" + hashHex("alice") + "}:e", "authwire:s:" + cookies[0].Value}
	if err != nil || !slices.Equal(keys, want) {
		t.Fatalf("a browser login left keys %q (%v), want its session and its record in alice's index %q", keys, err, want)
	}
}

// TestProcessesShareSessionListsAndLogoutEverywhere runs two application
// processes on one Redis, each applying the other's revocations: the
// sessions a user started on one are listed on the other, one ended by
// its handle on the other is refused on both, and "log out everywhere"
// on one ends every session of the user on both, runs the other's
// hooks once with the same time, and spares other users and later
// logins.
func TestProcessesShareSessionListsAndLogoutEverywhere(t *testing.T) {
	srv := servetest.Redis(t)
	one, two := newProcess(t, srv.Client(t)), newProcess(t, srv.Client(t))
	one.apply(t, two)
	two.apply(t, one)
	ctx := context.Background()

	c1, s1 := one.login(t, "alice", "alice-pw")
	c2, s2 := one.login(t, "alice", "alice-pw")
	list, err := two.a.Sessions(ctx, "alice")
	if err != nil || len(list) != 2 {
		t.Fatalf("alice's sessions on two: %+v %v", list, err)
	}
	handles := map[string]bool{auth.SessionHandle(s1): true, auth.SessionHandle(s2): true}
	for _, s := range list {
		if !handles[s.Handle] || s.Provider != "basic" || s.Client != "127.0.0.1" {
			t.Fatalf("a session listed on two: %+v", s)
		}
	}

	// One session ended on two, by its handle.
	if err := two.a.RevokeSession(ctx, "alice", auth.SessionHandle(s1)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*process{one, two} {
		if status, _, _ := p.get(t, "", "", c1); status != 401 {
			t.Fatalf("the ended session: %d", status)
		}
		if status, _, _ := p.get(t, "", "", c2); status != 200 {
			t.Fatalf("the other session: %d", status)
		}
	}
	if list, err := one.a.Sessions(ctx, "alice"); err != nil || len(list) != 1 || list[0].Handle != auth.SessionHandle(s2) {
		t.Fatalf("alice's sessions on one after one ended: %+v %v", list, err)
	}

	// Log out everywhere, on one.
	cb, _ := two.login(t, "bob", "bob-pw")
	if err := one.a.RevokeUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	seen := one.usersEndedSeen()
	if len(seen) == 0 {
		t.Fatal("one's hooks did not see its own RevokeUser")
	}
	deadline := time.Now().Add(safetyNet)
	for len(two.usersEndedSeen()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("two never heard of alice's revocation")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, p := range []*process{one, two} {
		if status, _, _ := p.get(t, "", "", c2); status != 401 {
			t.Fatalf("alice's session after RevokeUser: %d", status)
		}
		if status, _, _ := p.get(t, "", "", cb); status != 200 {
			t.Fatalf("bob's session after alice's RevokeUser: %d", status)
		}
	}
	if list, err := two.a.Sessions(ctx, "alice"); err != nil || len(list) != 0 {
		t.Fatalf("alice's sessions after RevokeUser: %+v %v", list, err)
	}
	// A login after the second of the revocation works everywhere.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	c3, _ := one.login(t, "alice", "alice-pw")
	if status, _, _ := two.get(t, "", "", c3); status != 200 {
		t.Fatalf("a login after RevokeUser, on two: %d", status)
	}
	// Each process applied the revocation once, with the same time.
	marker := randomID(t) // once it is applied, what came before it has been
	if err := one.a.Revoke(ctx, marker); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*process{one, two} {
		for !contains(p.endedSessions(), marker) {
			if time.Now().After(deadline) {
				t.Fatal("the marker never arrived")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	want := seen[:1]
	if got := two.usersEndedSeen(); !slices.Equal(got, want) {
		t.Fatalf("two's hooks saw %q, want %q", got, want)
	}
	if got := one.usersEndedSeen(); !slices.Equal(got, []string{want[0], want[0]}) {
		t.Fatalf("one's hooks saw %q, want its own call and the announcement of it", got)
	}
}
