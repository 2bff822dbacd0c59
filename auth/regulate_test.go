package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authwire/authwire/internal/testclock"
)

var regTestPolicy = RegulationPolicy{MaxFailures: 3, Window: time.Minute, BanTime: 5 * time.Minute}

func newRegTest(t *testing.T, maxKeys int) (*MemoryRegulator, *testclock.Clock) {
	t.Helper()
	c := testclock.New(time.Unix(1_700_000_000, 0))
	m, err := newMemoryRegulator(regTestPolicy, c.Now, maxKeys)
	if err != nil {
		t.Fatal(err)
	}
	return m, c
}

// regFail makes an attempt for key that is allowed and fails, and checks
// whether it leaves key banned.
func regFail(t *testing.T, m *MemoryRegulator, key string, wantBanned bool) {
	t.Helper()
	regAttempt(t, m, key, true, wantBanned)
}

func regAttempt(t *testing.T, m *MemoryRegulator, key string, wantAllowed, wantBanned bool) {
	t.Helper()
	allowed, banned, err := m.Attempt(context.Background(), key)
	if err != nil || allowed != wantAllowed || banned != wantBanned {
		t.Fatalf("Attempt(%q) = %v, %v, %v; want %v, %v, nil", key, allowed, banned, err, wantAllowed, wantBanned)
	}
}

func regRefund(t *testing.T, m *MemoryRegulator, key string) {
	t.Helper()
	if err := m.Refund(context.Background(), key); err != nil {
		t.Fatalf("Refund(%q): %v", key, err)
	}
}

func regBanned(t *testing.T, m *MemoryRegulator, key string, want bool) {
	t.Helper()
	got, err := m.Banned(context.Background(), key)
	if err != nil || got != want {
		t.Fatalf("Banned(%q) = %v, %v; want %v, nil", key, got, err, want)
	}
}

// regCheckLists asserts that both lists hold exactly the map's entries.
func regCheckLists(t *testing.T, m *MemoryRegulator) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, l := range []*regList{&m.counting, &m.banned} {
		var prev *regEntry
		for e := l.head; e != nil; e = e.next {
			if e.prev != prev || m.entries[e.key] != e {
				t.Fatalf("list corrupt at %q", e.key)
			}
			prev = e
			n++
		}
		if l.tail != prev {
			t.Fatal("list tail is wrong")
		}
	}
	if n != len(m.entries) {
		t.Fatalf("lists hold %d entries, map %d", n, len(m.entries))
	}
}

func TestRegulatorBansAfterMaxFailures(t *testing.T) {
	m, _ := newRegTest(t, 100)
	regBanned(t, m, "user:alice", false)
	regFail(t, m, "user:alice", false)
	regFail(t, m, "user:alice", false)
	regBanned(t, m, "user:alice", false)
	regFail(t, m, "user:alice", true)
	regBanned(t, m, "user:alice", true)
	regBanned(t, m, "user:bob", false)
	regAttempt(t, m, "user:alice", false, true) // refused while banned
	regCheckLists(t, m)
}

func TestRegulatorRefund(t *testing.T) {
	m, c := newRegTest(t, 100)
	// A right password gives back its own attempt, and only that: the
	// failures before it still count.
	regFail(t, m, "user:alice", false)
	regFail(t, m, "user:alice", false)
	regAttempt(t, m, "user:alice", true, true) // the third, in flight, bans
	regBanned(t, m, "user:alice", true)
	regRefund(t, m, "user:alice") // it proved right: the ban it began is lifted
	regBanned(t, m, "user:alice", false)
	regCheckLists(t, m)
	regFail(t, m, "user:alice", true) // the two failures still count
	regAttempt(t, m, "user:alice", false, true)
	regBanned(t, m, "user:alice", true)

	// Refunding every attempt frees the entry.
	regFail(t, m, "user:bob", false)
	regRefund(t, m, "user:bob")
	regRefund(t, m, "user:bob") // nothing left: no effect
	regRefund(t, m, "user:nobody")
	if n := m.len(); n != 1 {
		t.Fatalf("refunded keys still take room: len = %d, want 1", n)
	}

	// A ban lifted after its window ended leaves nothing behind.
	regFail(t, m, "user:carol", false)
	c.Advance(59 * time.Second)
	regFail(t, m, "user:carol", false)
	regAttempt(t, m, "user:carol", true, true)
	c.Advance(2 * time.Second)
	regRefund(t, m, "user:carol")
	regBanned(t, m, "user:carol", false)
	regFail(t, m, "user:carol", false) // a new window
	regFail(t, m, "user:carol", false)
	regCheckLists(t, m)

	// A ban lifted within its window counts on in that window, kept in
	// order among the keys counting.
	regFail(t, m, "user:dave", false)
	c.Advance(time.Second)
	regFail(t, m, "user:erin", false)
	regFail(t, m, "user:dave", false)
	regAttempt(t, m, "user:dave", true, true)
	regRefund(t, m, "user:dave")
	regCheckLists(t, m)
	m.mu.Lock()
	for e := m.counting.head; e != nil && e.next != nil; e = e.next {
		if e.windowStart.After(e.next.windowStart) {
			t.Errorf("counting list out of order at %q", e.key)
		}
	}
	m.mu.Unlock()
	c.Advance(time.Minute - time.Second) // dave's window ends, erin's not yet
	regFail(t, m, "user:dave", false)
	regBanned(t, m, "user:erin", false)
}

// TestRegulatorConcurrentAttemptsStopAtTheLimit: however many attempts
// race, exactly MaxFailures are allowed.
func TestRegulatorConcurrentAttemptsStopAtTheLimit(t *testing.T) {
	m, _ := newRegTest(t, 100)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			if ok, _, _ := m.Attempt(context.Background(), "user:alice"); ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != int64(regTestPolicy.MaxFailures) {
		t.Fatalf("64 concurrent attempts: %d allowed, want %d", n, regTestPolicy.MaxFailures)
	}
}

func TestRegulatorUnbanAfterBanTime(t *testing.T) {
	m, c := newRegTest(t, 100)
	for range 3 {
		m.Attempt(context.Background(), "user:alice")
	}
	c.Advance(4 * time.Minute)
	regAttempt(t, m, "user:alice", false, true) // an attempt during the ban does not extend it
	c.Advance(time.Minute - time.Nanosecond)
	regBanned(t, m, "user:alice", true)
	c.Advance(time.Nanosecond)
	regBanned(t, m, "user:alice", false)
	// The count starts over after the ban.
	regFail(t, m, "user:alice", false)
	regFail(t, m, "user:alice", false)
	regFail(t, m, "user:alice", true)
	regCheckLists(t, m)
}

func TestRegulatorWindowExpiryResetsCount(t *testing.T) {
	m, c := newRegTest(t, 100)
	regFail(t, m, "user:alice", false)
	c.Advance(30 * time.Second)
	regFail(t, m, "user:alice", false)
	c.Advance(30 * time.Second) // the window began at the first failure
	regFail(t, m, "user:alice", false)
	regFail(t, m, "user:alice", false)
	regFail(t, m, "user:alice", true)
}

func TestRegulatorBoundKeepsBans(t *testing.T) {
	const maxKeys = 10
	m, c := newRegTest(t, maxKeys)
	for range 3 {
		m.Attempt(context.Background(), "user:victim")
	}
	for i := range 10 * maxKeys {
		regFail(t, m, fmt.Sprintf("addr:flood-%d", i), false)
		if n := m.len(); n > maxKeys {
			t.Fatalf("after %d new keys the regulator holds %d > %d", i+1, n, maxKeys)
		}
	}
	regBanned(t, m, "user:victim", true)
	regCheckLists(t, m)

	// The newest counting keys are kept, the oldest dropped.
	m.mu.Lock()
	_, newest := m.entries[fmt.Sprintf("addr:flood-%d", 10*maxKeys-1)]
	_, oldest := m.entries["addr:flood-0"]
	m.mu.Unlock()
	if !newest || oldest {
		t.Fatalf("newest kept = %v, oldest kept = %v", newest, oldest)
	}

	// Ended windows and bans are swept when a new key fails.
	c.Advance(regTestPolicy.BanTime)
	regFail(t, m, "addr:late", false)
	if n := m.len(); n != 1 {
		t.Fatalf("after every entry ended, len = %d, want 1", n)
	}
	regCheckLists(t, m)
}

func TestRegulatorBoundAllBanned(t *testing.T) {
	m, c := newRegTest(t, 3)
	for i := range 4 {
		for range 3 {
			m.Attempt(context.Background(), fmt.Sprintf("k%d", i))
		}
		c.Advance(time.Second)
	}
	if n := m.len(); n != 3 {
		t.Fatalf("len = %d, want 3", n)
	}
	// Only when every key is banned does the soonest-ending ban give way.
	regBanned(t, m, "k0", false)
	for _, k := range []string{"k1", "k2", "k3"} {
		regBanned(t, m, k, true)
	}
	regCheckLists(t, m)
}

func TestRegulatorLongKeys(t *testing.T) {
	m, _ := newRegTest(t, 100)
	long := "user:" + strings.Repeat("x", 10_000)
	regFail(t, m, long+"a", false)
	regFail(t, m, long+"b", false)
	regFail(t, m, long+"a", false)
	regFail(t, m, long+"a", true)
	regBanned(t, m, long+"b", false)
	// A key spelled like a digest is a different key.
	regBanned(t, m, regStoredKey(long+"a"), false)
	m.mu.Lock()
	for k := range m.entries {
		if len(k) > maxRegulatedKeyLen+1 {
			t.Errorf("stored key of %d bytes", len(k))
		}
	}
	m.mu.Unlock()
}

func TestRegulatorConcurrent(t *testing.T) {
	const maxKeys = 50
	m, c := newRegTest(t, maxKeys)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				key := fmt.Sprintf("k%d", (g*7+i)%80)
				switch i % 4 {
				case 0, 1:
					m.Attempt(ctx, key)
				case 2:
					m.Banned(ctx, key)
				case 3:
					m.Refund(ctx, key)
				}
				if i%100 == 0 {
					c.Advance(10 * time.Second)
				}
			}
		})
	}
	wg.Wait()
	if n := m.len(); n > maxKeys {
		t.Fatalf("len = %d > %d", n, maxKeys)
	}
	regCheckLists(t, m)
}

func TestRegulationPolicyValidate(t *testing.T) {
	if err := DefaultRegulationPolicy().Validate(); err != nil {
		t.Fatalf("default policy: %v", err)
	}
	if p := DefaultRegulationPolicy(); p.MaxFailures != 5 || p.Window != 2*time.Minute || p.BanTime != 5*time.Minute {
		t.Fatalf("default policy = %+v", p)
	}
	for _, tc := range []struct {
		p    RegulationPolicy
		want string
	}{
		{RegulationPolicy{0, time.Minute, time.Minute}, "MaxFailures"},
		{RegulationPolicy{-1, time.Minute, time.Minute}, "MaxFailures"},
		{RegulationPolicy{1, 0, time.Minute}, "Window"},
		{RegulationPolicy{1, -time.Second, time.Minute}, "Window"},
		{RegulationPolicy{1, time.Minute, 0}, "BanTime"},
	} {
		err := tc.p.Validate()
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("validate(%+v) = %v; want ErrInvalidConfig naming %s", tc.p, err, tc.want)
		}
		if _, err := NewMemoryRegulator(tc.p, nil); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewMemoryRegulator(%+v) = %v", tc.p, err)
		}
	}
	m, err := NewMemoryRegulator(RegulationPolicy{MaxFailures: 1, Window: time.Minute, BanTime: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if allowed, banned, _ := m.Attempt(context.Background(), "k"); !allowed || !banned {
		t.Fatalf("MaxFailures 1: the first attempt gave allowed %v, banned %v; want true, true", allowed, banned)
	}
}

func TestRegulationAddrKeys(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"203.0.113.7", "addr:203.0.113.7"},
		{"::ffff:203.0.113.7", "addr:203.0.113.7"},
		{"2001:db8:1:2:3:4:5:6", "addr:2001:db8:1:2::/64"},
		{"2001:db8:1:2::ffff", "addr:2001:db8:1:2::/64"},
		{"fe80::1%eth0", "addr:fe80::/64"},
		{"", "addr:unknown"},
	} {
		var a netip.Addr
		if tc.addr != "" {
			a = netip.MustParseAddr(tc.addr)
		}
		if got := regAddrKey(a); got != tc.want {
			t.Errorf("regAddrKey(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

func newRegulation(t *testing.T) (regulation, *MemoryRegulator, *bytes.Buffer) {
	t.Helper()
	m, _ := newRegTest(t, 100)
	var buf bytes.Buffer
	return regulation{r: m, log: slog.New(slog.NewTextHandler(&buf, nil))}, m, &buf
}

// regFailAttempt is an attempt for user from addr whose password turns
// out wrong; regGoodAttempt one whose password is right.
func regFailAttempt(g regulation, user string, addr netip.Addr) bool {
	t, ok := g.attempt(context.Background(), user, addr)
	if ok {
		g.failed(user, addr, t)
	}
	return ok
}

func regGoodAttempt(g regulation, user string, addr netip.Addr) bool {
	t, ok := g.attempt(context.Background(), user, addr)
	if ok {
		g.refund(context.Background(), user, addr, t)
	}
	return ok
}

func TestRegulationUserAndAddress(t *testing.T) {
	g, m, logs := newRegulation(t)
	ctx := context.Background()
	attacker := netip.MustParseAddr("2001:db8:1:2::1")
	sameNet := netip.MustParseAddr("2001:db8:1:2:ffff::9") // same /64
	other := netip.MustParseAddr("198.51.100.1")

	// Failures for different users from one /64 ban the prefix.
	regFailAttempt(g, "alice", attacker)
	regFailAttempt(g, "bob", sameNet)
	if g.banned(ctx, "carol", attacker) {
		t.Fatal("address banned too early")
	}
	regFailAttempt(g, "nosuchuser", attacker)
	if !g.banned(ctx, "carol", sameNet) || regFailAttempt(g, "carol", sameNet) {
		t.Fatal("the /64 is not banned after three failures")
	}
	regBanned(t, m, "user:carol", false) // a refused attempt counts nothing
	if g.banned(ctx, "carol", other) || g.banned(ctx, "alice", other) {
		t.Fatal("another address is refused")
	}
	if !strings.Contains(logs.String(), "addr:2001:db8:1:2::/64") {
		t.Fatalf("ban not logged: %s", logs)
	}

	// A user's failures ban the user from every address.
	regFailAttempt(g, "alice", other)
	regFailAttempt(g, "alice", other)
	if !g.banned(ctx, "alice", netip.MustParseAddr("192.0.2.200")) || regGoodAttempt(g, "alice", netip.MustParseAddr("192.0.2.200")) {
		t.Fatal("alice is not banned after three failures")
	}
	// ...and the refused attempt gave back what it took of that address.
	regBanned(t, m, "addr:192.0.2.200", false)

	// A success gives back its own attempt on both keys, and no more.
	for range 5 {
		if !regGoodAttempt(g, "dave", netip.MustParseAddr("192.0.2.7")) {
			t.Fatal("a right password was refused")
		}
	}
	regBanned(t, m, "addr:198.51.100.1", false)
	regGoodAttempt(g, "dave", other)
	regFailAttempt(g, "dave", other) // other's third failure
	if !g.banned(ctx, "erin", other) {
		t.Fatal("a success reset the address count")
	}

	// Unknown client addresses share one key.
	regFailAttempt(g, "x", netip.Addr{})
	regBanned(t, m, "addr:unknown", false)
	if _, ok := (regulation{}).attempt(ctx, "alice", attacker); !ok || (regulation{}).banned(ctx, "alice", attacker) {
		t.Fatal("a nil regulator refused")
	}
	(regulation{}).refund(ctx, "alice", attacker, regTicket{}) // no panic
}

// regBrokenStore fails every call with err, or with the context's error
// when the context has ended.
type regBrokenStore struct {
	err               error
	attempts, refunds int
}

func (s *regBrokenStore) Attempt(ctx context.Context, _ string) (bool, bool, error) {
	if err := ctx.Err(); err != nil {
		return false, false, err
	}
	s.attempts++
	return false, false, s.err
}

func (s *regBrokenStore) Refund(ctx context.Context, _ string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.refunds++
	return s.err
}

func (s *regBrokenStore) Banned(ctx context.Context, _ string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return false, s.err
}

func TestRegulationStoreErrors(t *testing.T) {
	store := &regBrokenStore{err: errors.New("connection refused")}
	var buf bytes.Buffer
	g := regulation{r: store, log: slog.New(slog.NewTextHandler(&buf, nil))}
	addr := netip.MustParseAddr("192.0.2.1")

	// An outage fails open and says so; nothing counted, nothing refunded.
	tk, ok := g.attempt(context.Background(), "alice", addr)
	if !ok || tk != (regTicket{}) || store.attempts != 2 {
		t.Fatalf("a store error: allowed %v, ticket %+v, %d attempts asked; want true, none, 2", ok, tk, store.attempts)
	}
	if !strings.Contains(buf.String(), "level=ERROR") || !strings.Contains(buf.String(), "connection refused") {
		t.Fatalf("store error not logged: %s", buf.String())
	}
	g.refund(context.Background(), "alice", addr, tk)
	if store.refunds != 0 {
		t.Fatalf("refunded %d attempts that were never counted", store.refunds)
	}
	if g.banned(context.Background(), "alice", addr) {
		t.Fatal("a store error refused a known-good credential")
	}

	// A client that went away is not let through, and not logged as an
	// outage.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	buf.Reset()
	if _, ok := g.attempt(ctx, "alice", addr); ok {
		t.Fatal("a cancelled request was allowed")
	}
	if !g.banned(ctx, "alice", addr) {
		t.Fatal("a cancelled request passed the ban check")
	}
	if buf.Len() != 0 {
		t.Fatalf("a cancelled request was logged as an outage: %s", buf.String())
	}
	// A refund goes through even when the client has gone.
	g.refund(ctx, "alice", addr, regTicket{addr: true, user: true})
	if store.refunds != 2 {
		t.Fatalf("a cancelled request's refund reached the store %d times, want 2", store.refunds)
	}

	// A nil logger falls back to the default without panicking.
	if (regulation{r: store}).logger() == nil {
		t.Fatal("no logger")
	}
}
