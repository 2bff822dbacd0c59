package auth

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func bcryptHash(t testing.TB, pw string, cost int) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func newTestVerifier(t testing.TB, entries []userEntry, hashed bool, ttl time.Duration, now func() time.Time) *verifier {
	t.Helper()
	src, err := newStaticCredentials(entries, hashed)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := newVerifiedCache(ttl, now)
	if err != nil {
		t.Fatal(err)
	}
	return newVerifier(src, cache, 2, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestVerifiedCacheSkipsSecondHash(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	v := newTestVerifier(t, []userEntry{{"alice", bcryptHash(t, "s3cret", bcrypt.MinCost)}}, true, time.Minute, clock)
	ctx := context.Background()
	for i := range 3 {
		ok, err := v.verify(ctx, []byte("alice"), []byte("s3cret"))
		if !ok || err != nil {
			t.Fatalf("attempt %d: ok=%v err=%v", i, ok, err)
		}
	}
	if n := v.hashRuns.Load(); n != 1 {
		t.Fatalf("three good requests ran %d hashes, want 1", n)
	}
	// Wrong passwords are never cached: each pays the hash.
	for range 2 {
		if ok, _ := v.verify(ctx, []byte("alice"), []byte("wrong")); ok {
			t.Fatal("wrong password accepted")
		}
	}
	if n := v.hashRuns.Load(); n != 3 {
		t.Fatalf("hash runs after two wrong passwords = %d, want 3", n)
	}
	// After the TTL the credential is hashed again.
	now = now.Add(2 * time.Minute)
	if ok, _ := v.verify(ctx, []byte("alice"), []byte("s3cret")); !ok {
		t.Fatal("good password refused after expiry")
	}
	if n := v.hashRuns.Load(); n != 4 {
		t.Fatalf("hash runs after expiry = %d, want 4", n)
	}
}

func TestVerifiedCacheOff(t *testing.T) {
	v := newTestVerifier(t, []userEntry{{"alice", bcryptHash(t, "s3cret", bcrypt.MinCost)}}, true, 0, time.Now)
	for range 2 {
		if ok, _ := v.verify(context.Background(), []byte("alice"), []byte("s3cret")); !ok {
			t.Fatal("refused")
		}
	}
	if n := v.hashRuns.Load(); n != 2 {
		t.Fatalf("hash runs with the cache off = %d, want 2", n)
	}
}

func TestVerifiedCacheKeyIsUnambiguous(t *testing.T) {
	c, err := newVerifiedCache(time.Minute, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if c.key([]byte("ab"), []byte("c")) == c.key([]byte("a"), []byte("bc")) {
		t.Fatal("(ab, c) and (a, bc) share a cache key")
	}
	c2, _ := newVerifiedCache(time.Minute, time.Now)
	if c.key([]byte("a"), []byte("b")) == c2.key([]byte("a"), []byte("b")) {
		t.Fatal("two caches share a key: the HMAC key is not random")
	}
}

func TestUnknownUserPaysTheDearestHash(t *testing.T) {
	cheap := bcryptHash(t, "a", bcrypt.MinCost)
	dear := bcryptHash(t, "b", bcrypt.MinCost+2)
	v := newTestVerifier(t, []userEntry{{"cheap", cheap}, {"dear", dear}}, true, time.Minute, time.Now)
	dum := v.src.dummy()
	dearStored, _ := v.src.lookup("dear")
	if dum.work() != dearStored.work() || !dum.expensive() {
		t.Fatalf("dummy work %d, dearest entry work %d", dum.work(), dearStored.work())
	}
	ok, err := v.verify(context.Background(), []byte("nobody"), []byte("b"))
	if ok || err != nil {
		t.Fatalf("unknown user: ok=%v err=%v", ok, err)
	}
	if n := v.hashRuns.Load(); n != 1 {
		t.Fatalf("unknown user ran %d hashes, want 1 (the dummy)", n)
	}
	// Asking twice still hashes: an unknown user is never cached.
	v.verify(context.Background(), []byte("nobody"), []byte("b"))
	if n := v.hashRuns.Load(); n != 2 {
		t.Fatalf("second unknown-user check ran %d hashes in all, want 2", n)
	}
}

func TestUnknownUserPlaintextComparesDummy(t *testing.T) {
	v := newTestVerifier(t, []userEntry{{"alice", "pw"}}, false, time.Minute, time.Now)
	if _, ok := v.src.dummy().(plainPassword); !ok {
		t.Fatalf("dummy of a plaintext table is %T", v.src.dummy())
	}
	if ok, _ := v.verify(context.Background(), []byte("bob"), []byte("pw")); ok {
		t.Fatal("unknown user accepted")
	}
	if ok, _ := v.verify(context.Background(), []byte("alice"), []byte("pw")); !ok {
		t.Fatal("alice refused")
	}
}

// slowPassword is a stored password whose verify takes a while and
// records how many run at once.
type slowPassword struct {
	delay    time.Duration
	running  *atomic.Int32
	maxSeen  *atomic.Int32
	password string
}

func (s slowPassword) verify(pw []byte) bool {
	n := s.running.Add(1)
	for {
		m := s.maxSeen.Load()
		if n <= m || s.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(s.delay)
	s.running.Add(-1)
	return string(pw) == s.password
}
func (slowPassword) work() int                        { return 100 }
func (slowPassword) expensive() bool                  { return true }
func (s slowPassword) dummy() (storedPassword, error) { s.password = "\x00"; return s, nil }

type fixedSource map[string]storedPassword

func (f fixedSource) lookup(u string) (storedPassword, bool) { p, ok := f[u]; return p, ok }
func (f fixedSource) dummy() storedPassword                  { return f["dummy"] }
func (fixedSource) generation() uint64                       { return 0 }

func TestSingleflightSharesOneHash(t *testing.T) {
	var running, maxSeen atomic.Int32
	p := slowPassword{delay: 300 * time.Millisecond, running: &running, maxSeen: &maxSeen, password: "pw"}
	cache, _ := newVerifiedCache(time.Minute, time.Now)
	v := newVerifier(fixedSource{"alice": p, "dummy": p}, cache, 4, slog.Default())
	var wg sync.WaitGroup
	var accepted atomic.Int32
	for range 20 {
		wg.Go(func() {
			if ok, _ := v.verify(context.Background(), []byte("alice"), []byte("pw")); ok {
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	if accepted.Load() != 20 {
		t.Fatalf("%d of 20 accepted", accepted.Load())
	}
	if n := v.hashRuns.Load(); n != 1 {
		t.Fatalf("20 concurrent identical checks ran %d hashes, want 1", n)
	}
}

func TestHashSlotsCapConcurrency(t *testing.T) {
	var running, maxSeen atomic.Int32
	p := slowPassword{delay: 20 * time.Millisecond, running: &running, maxSeen: &maxSeen, password: "pw"}
	cache, _ := newVerifiedCache(time.Minute, time.Now)
	v := newVerifier(fixedSource{"alice": p, "dummy": p}, cache, 2, slog.Default())
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			v.verify(context.Background(), []byte("alice"), []byte{'x', byte('0' + i)})
		})
	}
	wg.Wait()
	if m := maxSeen.Load(); m > 2 || m < 1 {
		t.Fatalf("max concurrent hashes = %d, want 1..2", m)
	}
	if n := v.hashRuns.Load(); n != 10 {
		t.Fatalf("hash runs = %d, want 10 distinct", n)
	}
}

func TestVerifyGivesUpWhenContextEnds(t *testing.T) {
	var running, maxSeen atomic.Int32
	p := slowPassword{delay: 200 * time.Millisecond, running: &running, maxSeen: &maxSeen, password: "pw"}
	cache, _ := newVerifiedCache(time.Minute, time.Now)
	v := newVerifier(fixedSource{"alice": p, "dummy": p}, cache, 1, slog.Default())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ok, err := v.verify(ctx, []byte("alice"), []byte("pw"))
	if ok || err == nil {
		t.Fatalf("cancelled verify: ok=%v err=%v", ok, err)
	}
	// Joining the same run waits for the abandoned hash to finish, so
	// no goroutine outlives the test.
	if ok, err := v.verify(context.Background(), []byte("alice"), []byte("pw")); !ok || err != nil {
		t.Fatalf("joined verify: ok=%v err=%v", ok, err)
	}
}
