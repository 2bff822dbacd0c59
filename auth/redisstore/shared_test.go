package redisstore_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
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

	mu    sync.Mutex
	ended []string // sessions whose end this process's hooks saw
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
		auth.WithUsers(map[string]string{"alice": "alice-pw"}),
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

	status, body, cookies := one.get(t, "alice", "alice-pw", "")
	var cookie string
	for _, c := range cookies {
		if c.Name == auth.DefaultSessionCookie {
			cookie = c.Value
		}
	}
	if status != 200 || cookie == "" {
		t.Fatalf("login on one: %d %q", status, body)
	}
	sid := body[len("alice "):]
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
	status, _, cookies = one.get(t, "", "", cookie)
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
// leaves its session.
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
	if status, _, cookies := p.get(t, "alice", "alice-pw", ""); status != 200 || len(cookies) != 1 {
		t.Fatalf("browser login: %d, cookies %v", status, cookies)
	}
	if keys, err := rdb.Keys(t.Context(), "*").Result(); err != nil || len(keys) != 1 {
		t.Fatalf("a browser login left keys %q (%v), want its session", keys, err)
	}
}
