package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/redisstore"
	"github.com/authwire/authwire/internal/servetest"
)

// regAttempt makes one attempt and checks its answer.
func regAttempt(t *testing.T, r *redisstore.Regulator, key string, wantAllowed, wantBanned bool) {
	t.Helper()
	allowed, banned, err := r.Attempt(context.Background(), key)
	if err != nil || allowed != wantAllowed || banned != wantBanned {
		t.Fatalf("Attempt(%q) = %v, %v, %v; want %v, %v, nil", key, allowed, banned, err, wantAllowed, wantBanned)
	}
}

func regBanned(t *testing.T, r *redisstore.Regulator, key string, want bool) {
	t.Helper()
	if banned, err := r.Banned(context.Background(), key); err != nil || banned != want {
		t.Fatalf("Banned(%q) = %v, %v; want %v", key, banned, err, want)
	}
}

func regRefund(t *testing.T, r *redisstore.Regulator, key string) {
	t.Helper()
	if err := r.Refund(context.Background(), key); err != nil {
		t.Fatalf("Refund(%q): %v", key, err)
	}
}

func TestRegulator(t *testing.T) {
	srv := servetest.Redis(t)
	rdb := srv.Client(t)
	policy := auth.RegulationPolicy{MaxFailures: 3, Window: time.Minute, BanTime: 300 * time.Millisecond}
	r1, err := redisstore.New(rdb, redisstore.Config{}).Regulator(policy)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := redisstore.New(srv.Client(t), redisstore.Config{}).Regulator(policy) // another process
	ctx := context.Background()
	key := "user:alice"

	regAttempt(t, r1, key, true, false) // attempts add up across processes
	regAttempt(t, r2, key, true, false)
	regRefund(t, r1, "user:bob") // another key changes nothing; nothing to refund
	regAttempt(t, r1, key, true, true)
	regBanned(t, r2, key, true) // the other process sees the ban
	regAttempt(t, r2, key, false, true)

	// The attempt that began the ban proved right: the ban is lifted, the
	// other two still count.
	regRefund(t, r2, key)
	regBanned(t, r1, key, false)
	regAttempt(t, r1, key, true, true)
	regAttempt(t, r1, key, false, true)

	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.Contains(k, "alice") || strings.Contains(k, "bob") {
			t.Errorf("a regulation key names its subject: %s", k)
		}
	}
	deadline := time.Now().Add(safetyNet)
	for banned, _ := r1.Banned(ctx, key); banned; banned, _ = r1.Banned(ctx, key) {
		if time.Now().After(deadline) {
			t.Fatal("the ban never ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// After the ban the count starts over.
	regAttempt(t, r1, key, true, false)
	regAttempt(t, r1, key, true, false)

	// Refunding every attempt removes the count.
	regRefund(t, r1, key)
	regRefund(t, r1, key)
	regRefund(t, r1, key) // nothing left: no effect
	if n, _ := rdb.Exists(ctx, keys...).Result(); n != 0 {
		t.Fatalf("%d regulation keys left after every attempt was refunded", n)
	}

	if _, err := redisstore.New(rdb, redisstore.Config{}).Regulator(auth.RegulationPolicy{}); !errors.Is(err, auth.ErrInvalidConfig) {
		t.Fatalf("a zero policy: %v", err)
	}
}

// TestRegulatorRefundAfterWindow lifts a ban whose window ended while the
// last attempt was checked: the ban goes, and so does the count.
func TestRegulatorRefundAfterWindow(t *testing.T) {
	srv := servetest.Redis(t)
	rdb := srv.Client(t)
	policy := auth.RegulationPolicy{MaxFailures: 2, Window: 200 * time.Millisecond, BanTime: time.Minute}
	r, _ := redisstore.New(rdb, redisstore.Config{}).Regulator(policy)
	ctx := context.Background()
	regAttempt(t, r, "user:carol", true, false)
	regAttempt(t, r, "user:carol", true, true)
	time.Sleep(300 * time.Millisecond) // past the window, within the ban
	regBanned(t, r, "user:carol", true)
	regRefund(t, r, "user:carol")
	regBanned(t, r, "user:carol", false)
	if n := rdb.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("%d keys left after a ban lifted past its window", n)
	}
}

// TestRegulatorConcurrentAttempts races attempts from two processes on one
// key: the script is atomic, so exactly MaxFailures are allowed.
func TestRegulatorConcurrentAttempts(t *testing.T) {
	srv := servetest.Redis(t)
	policy := auth.RegulationPolicy{MaxFailures: 5, Window: time.Minute, BanTime: time.Minute}
	regs := make([]*redisstore.Regulator, 2)
	for i := range regs {
		regs[i], _ = redisstore.New(srv.Client(t), redisstore.Config{}).Regulator(policy)
	}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			ok, _, err := regs[i%2].Attempt(context.Background(), "user:alice")
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != int64(policy.MaxFailures) {
		t.Fatalf("64 concurrent attempts: %d allowed, want %d", n, policy.MaxFailures)
	}
}

// TestConcurrentGuessesWithRedisRegulator is issue 12's attack on two
// processes sharing one Redis regulator: 40 Basic guesses for one user at
// once, split between them, each from its own address, the right password
// among them. The password check (here an outside one that takes a while,
// as a hash does) runs at most MaxFailures times for wrong passwords.
func TestConcurrentGuessesWithRedisRegulator(t *testing.T) {
	srv := servetest.Redis(t)
	policy := auth.RegulationPolicy{MaxFailures: 5, Window: time.Minute, BanTime: time.Minute}
	var checks, wrong atomic.Int64
	verify := func(_ context.Context, user, password string) (bool, error) {
		checks.Add(1)
		time.Sleep(20 * time.Millisecond)
		ok := user == "admin" && password == "right"
		if !ok {
			wrong.Add(1)
		}
		return ok, nil
	}
	handlers := make([]http.Handler, 2)
	for i := range handlers {
		reg, err := redisstore.New(srv.Client(t), redisstore.Config{}).Regulator(policy)
		if err != nil {
			t.Fatal(err)
		}
		a, err := auth.New(http.NewServeMux(), auth.WithVerifyFunc(verify), auth.WithRegulator(reg))
		if err != nil {
			t.Fatal(err)
		}
		handlers[i] = a.Handler()
	}
	send := func(i int, password string) int {
		r := httptest.NewRequest("GET", "/", nil)
		r.SetBasicAuth("admin", password)
		r.Header.Set("Accept", "application/json")
		r.RemoteAddr = fmt.Sprintf("198.51.100.%d:40000", i%250+1)
		rec := httptest.NewRecorder()
		handlers[i%2].ServeHTTP(rec, r)
		return rec.Code
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			<-start
			password := fmt.Sprintf("wrong-%d", i)
			if i == 39 {
				password = "right"
			}
			// The right password may pass (404: no route) only if it was
			// one of the checks allowed.
			if st := send(i, password); st != 401 && (i != 39 || st != 404) {
				t.Errorf("guess %d: %d", i, st)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := wrong.Load(); n > int64(policy.MaxFailures) {
		t.Errorf("40 concurrent guesses checked %d wrong passwords (%d checks in all), want at most %d",
			n, checks.Load(), policy.MaxFailures)
	}
	// One more failure, in case the right password was checked and gave
	// its attempt back; then it is refused on both processes.
	if st := send(200, "wrong-again"); st != 401 {
		t.Fatalf("a wrong password after the storm: %d", st)
	}
	for i := range 2 {
		if st := send(201+i, "right"); st != 401 {
			t.Fatalf("the right password once banned, on process %d: %d, want 401", i+1, st)
		}
	}
}
