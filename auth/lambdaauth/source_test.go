package lambdaauth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/lambdaauth"
	"github.com/authwire/authwire/internal/testclock"
)

func newClock() *testclock.Clock { return testclock.New(time.Unix(1_800_000_000, 0)) }

// table is a FetchFunc whose answer the test sets, counting calls.
type table struct {
	mu    sync.Mutex
	users map[string]string
	err   error
	calls int
}

func (f *table) fetch(context.Context) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	m := make(map[string]string, len(f.users))
	for k, v := range f.users {
		m[k] = v
	}
	return m, nil
}

func (f *table) set(users map[string]string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users, f.err = users, err
}

func (f *table) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func newTestSource(t *testing.T, f *table, clock *testclock.Clock, logs *bytes.Buffer) *lambdaauth.Source {
	t.Helper()
	log := quiet
	if logs != nil {
		log = slog.New(slog.NewTextHandler(logs, nil))
	}
	s, err := lambdaauth.NewSource(f.fetch, lambdaauth.SourceConfig{
		Name: "test-table", TTL: time.Minute, RetryAfter: 10 * time.Second, Logger: log, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSourceKeepsTableForTTL(t *testing.T) {
	clock := newClock()
	f := &table{users: map[string]string{"alice": "one"}}
	s := newTestSource(t, f, clock, nil)
	ctx := context.Background()

	u1, err := s.Users(ctx)
	if err != nil || u1 == nil || u1.Len() != 1 {
		t.Fatalf("first Users: %v, %v", u1, err)
	}
	clock.Advance(59 * time.Second)
	if u, _ := s.Users(ctx); u != u1 || f.count() != 1 {
		t.Fatalf("within the TTL: fetched %d times, same table %v", f.count(), u == u1)
	}
	// Due again, and unchanged: the same table is kept.
	clock.Advance(time.Second)
	if u, _ := s.Users(ctx); u != u1 || f.count() != 2 {
		t.Fatalf("after the TTL, unchanged: fetched %d times, same table %v", f.count(), u == u1)
	}
	// Rotated: a new table after the next TTL.
	f.set(map[string]string{"alice": "two", "bob": "three"}, nil)
	if u, _ := s.Users(ctx); u != u1 {
		t.Fatal("the rotated value was fetched before the TTL")
	}
	clock.Advance(time.Minute)
	u2, err := s.Users(ctx)
	if err != nil || u2 == u1 || u2.Len() != 2 {
		t.Fatalf("after rotation: %v (len %d), %v", u2 == u1, u2.Len(), err)
	}
}

func TestSourceFailureKeepsLastGoodTable(t *testing.T) {
	clock := newClock()
	var logs bytes.Buffer
	f := &table{users: map[string]string{"alice": "TopSecretPw"}}
	s := newTestSource(t, f, clock, &logs)
	ctx := context.Background()
	good, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}

	f.set(nil, errors.New("parameter store unreachable"))
	clock.Advance(time.Minute)
	if u, err := s.Users(ctx); u != good || err != nil {
		t.Fatalf("failed fetch: %v, %v; want the last good table", u == good, err)
	}
	if !strings.Contains(logs.String(), "parameter store unreachable") || !strings.Contains(logs.String(), "keeping the last good table") {
		t.Fatalf("the failure was not logged: %s", logs.String())
	}
	// Not tried again before RetryAfter, then tried.
	clock.Advance(9 * time.Second)
	s.Users(ctx)
	if n := f.count(); n != 2 {
		t.Fatalf("fetched %d times before RetryAfter passed, want 2", n)
	}
	clock.Advance(time.Second)
	s.Users(ctx)
	if n := f.count(); n != 3 {
		t.Fatalf("fetched %d times after RetryAfter, want 3", n)
	}

	// A table that does not parse is a failure too.
	f.set(map[string]string{"alice": "$2y$05$broken"}, nil)
	clock.Advance(10 * time.Second)
	if u, err := s.Users(ctx); u != good || err != nil {
		t.Fatalf("malformed table: %v, %v; want the last good table", u == good, err)
	}
	if !strings.Contains(logs.String(), "malformed password hash") {
		t.Fatalf("the malformed table was not logged: %s", logs.String())
	}
	if strings.Contains(logs.String(), "TopSecretPw") || strings.Contains(logs.String(), "broken") {
		t.Fatalf("a password or hash was logged: %s", logs.String())
	}
}

func TestSourceWithNoTableRefuses(t *testing.T) {
	clock := newClock()
	var logs bytes.Buffer
	f := &table{err: errors.New("AccessDeniedException")}
	s := newTestSource(t, f, clock, &logs)
	ctx := context.Background()
	if u, err := s.Users(ctx); u != nil || err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Fatalf("no table: %v, %v", u, err)
	}
	if !strings.Contains(logs.String(), "every request is refused") {
		t.Fatalf("not logged: %s", logs.String())
	}
	// Within RetryAfter the error is answered at once, without a fetch.
	if _, err := s.Users(ctx); err == nil || f.count() != 1 {
		t.Fatalf("within RetryAfter: fetched %d times, err %v", f.count(), err)
	}
	f.set(map[string]string{"alice": "pw"}, nil)
	clock.Advance(10 * time.Second)
	if u, err := s.Users(ctx); err != nil || u.Len() != 1 {
		t.Fatalf("after recovery: %v, %v", u, err)
	}
}

func TestSourceWaitersShareOneFetch(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 8)
	var calls sync.Mutex
	n := 0
	fetch := func(ctx context.Context) (map[string]string, error) {
		calls.Lock()
		n++
		calls.Unlock()
		started <- struct{}{}
		<-release
		return map[string]string{"alice": "pw"}, nil
	}
	clock := newClock()
	s, err := lambdaauth.NewSource(fetch, lambdaauth.SourceConfig{Logger: quiet, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make(chan *auth.Users, 4)
	for range 4 {
		wg.Go(func() {
			u, err := s.Users(ctx)
			if err != nil {
				t.Error(err)
			}
			results <- u
		})
	}
	<-started
	// A caller whose context ends while it waits for the first table
	// gives up with its context's error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Users(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	close(release)
	wg.Wait()
	close(results)
	var first *auth.Users
	for u := range results {
		if first == nil {
			first = u
		}
		if u == nil || u != first {
			t.Fatal("the waiters did not all get the one fetched table")
		}
	}
	if n != 1 {
		t.Fatalf("%d fetches for 4 concurrent first requests, want 1", n)
	}

	// With a table, a request that finds a fetch running goes on with the
	// table in force instead of waiting.
	clock.Advance(lambdaauth.DefaultSourceTTL)
	release = make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Users(ctx)
	}()
	<-started
	if u, err := s.Users(ctx); u != first || err != nil {
		t.Fatalf("during a refresh: %v, %v; want the table in force", u == first, err)
	}
	close(release)
	<-done
}

func TestNewSourceRefusesBadConfig(t *testing.T) {
	f := &table{}
	for name, c := range map[string]struct {
		fetch lambdaauth.FetchFunc
		cfg   lambdaauth.SourceConfig
	}{
		"nil fetch":      {nil, lambdaauth.SourceConfig{}},
		"negative TTL":   {f.fetch, lambdaauth.SourceConfig{TTL: -time.Second}},
		"negative retry": {f.fetch, lambdaauth.SourceConfig{RetryAfter: -time.Second}},
	} {
		if _, err := lambdaauth.NewSource(c.fetch, c.cfg); !errors.Is(err, auth.ErrInvalidConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestSourceBehindAuthorizer drives rotation and outage through the
// authorizer itself: the answers API Gateway would see.
func TestSourceBehindAuthorizer(t *testing.T) {
	clock := newClock()
	f := &table{err: errors.New("unreachable")}
	s := newTestSource(t, f, clock, nil)
	a, err := lambdaauth.New(lambdaauth.Config{Logger: quiet}, auth.WithUserSource(s), auth.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ask := func(user, pw string) error {
		_, err := a.Request(ctx, restEvent(basic(user, pw)))
		return err
	}
	if err := ask("alice", "old"); !errors.Is(err, lambdaauth.ErrUnauthorized) {
		t.Fatalf("no table yet: %v", err)
	}
	f.set(map[string]string{"alice": "old"}, nil)
	clock.Advance(10 * time.Second)
	if err := ask("alice", "old"); err != nil {
		t.Fatalf("first table: %v", err)
	}
	f.set(map[string]string{"alice": bcryptOf(t, "new")}, nil)
	if err := ask("alice", "old"); err != nil {
		t.Fatalf("old password within the TTL: %v", err)
	}
	clock.Advance(time.Minute)
	if err := ask("alice", "old"); !errors.Is(err, lambdaauth.ErrUnauthorized) {
		t.Fatalf("old password after the TTL: %v", err)
	}
	if err := ask("alice", "new"); err != nil {
		t.Fatalf("new password after the TTL: %v", err)
	}
	f.set(nil, errors.New("throttled"))
	clock.Advance(time.Minute)
	if err := ask("alice", "new"); err != nil {
		t.Fatalf("during an outage, the last good table: %v", err)
	}
}
