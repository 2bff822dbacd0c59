package auth

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct{ unix atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.unix.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.unix.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.unix.Add(int64(d)) }
func revoked(t *testing.T, m *MemoryRevocations, id string) bool {
	t.Helper()
	ok, err := m.Revoked(context.Background(), id)
	if err != nil {
		t.Fatalf("Revoked(%q): %v", id, err)
	}
	return ok
}

func TestMemoryRevocationsRevoke(t *testing.T) {
	clk := newFakeClock()
	m := NewMemoryRevocations(clk.Now)
	ctx := context.Background()
	if revoked(t, m, "a") {
		t.Fatal("unrevoked id reported revoked")
	}
	if err := m.Revoke(ctx, "a", clk.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !revoked(t, m, "a") {
		t.Fatal("revoked id not reported")
	}
	if revoked(t, m, "b") || revoked(t, m, "") {
		t.Fatal("other id reported revoked")
	}
	clk.Advance(59 * time.Minute)
	if !revoked(t, m, "a") {
		t.Fatal("revocation ended before until")
	}
	clk.Advance(time.Minute)
	if revoked(t, m, "a") {
		t.Fatal("revocation still reported at until")
	}
}

func TestMemoryRevocationsKeepsLaterUntil(t *testing.T) {
	clk := newFakeClock()
	m := NewMemoryRevocations(clk.Now)
	ctx := context.Background()
	_ = m.Revoke(ctx, "a", clk.Now().Add(2*time.Hour))
	_ = m.Revoke(ctx, "a", clk.Now().Add(time.Hour))
	clk.Advance(90 * time.Minute)
	if !revoked(t, m, "a") {
		t.Fatal("an earlier until shortened the revocation")
	}
	_ = m.Revoke(ctx, "a", clk.Now().Add(time.Hour))
	clk.Advance(45 * time.Minute)
	if !revoked(t, m, "a") {
		t.Fatal("a later until did not extend the revocation")
	}
}

func TestMemoryRevocationsRefuses(t *testing.T) {
	clk := newFakeClock()
	m := NewMemoryRevocations(clk.Now)
	ctx := context.Background()
	if err := m.Revoke(ctx, "", clk.Now().Add(time.Hour)); err == nil {
		t.Fatal("empty id accepted")
	}
	for _, until := range []time.Time{{}, clk.Now(), clk.Now().Add(-time.Second)} {
		if err := m.Revoke(ctx, "past", until); err != nil {
			t.Fatalf("Revoke with until %v: %v", until, err)
		}
	}
	if revoked(t, m, "past") || m.len() != 0 {
		t.Fatalf("an until in the past was recorded (Len %d)", m.len())
	}
}

func TestMemoryRevocationsSweep(t *testing.T) {
	clk := newFakeClock()
	m := NewMemoryRevocations(clk.Now)
	ctx := context.Background()
	const n = 1000
	for i := range n {
		_ = m.Revoke(ctx, fmt.Sprint("old", i), clk.Now().Add(time.Minute))
	}
	if m.len() != n {
		t.Fatalf("Len = %d, want %d", m.len(), n)
	}
	clk.Advance(2 * time.Minute)
	if revoked(t, m, "old0") {
		t.Fatal("expired entry reported revoked")
	}
	// The map grows to the threshold the last sweep set, and the write
	// that reaches it drops every expired entry.
	limit := m.sweepAt
	for i := 0; ; i++ {
		_ = m.Revoke(ctx, fmt.Sprint("new", i), clk.Now().Add(time.Hour))
		if l := m.len(); l == i+1 {
			break
		} else if l > limit || i > limit {
			t.Fatalf("after %d writes Len = %d, threshold %d: not swept", i+1, l, limit)
		}
	}
	for i := range n {
		if revoked(t, m, fmt.Sprint("old", i)) {
			t.Fatalf("old%d revoked after the sweep", i)
		}
	}
	if !revoked(t, m, "new0") {
		t.Fatal("live entry lost in a sweep")
	}
}

func TestMemoryRevocationsBoundedUnderChurn(t *testing.T) {
	clk := newFakeClock()
	m := NewMemoryRevocations(clk.Now)
	ctx := context.Background()
	// One logout a second, each session with a minute left: about 60
	// entries are live at any time, and the map must stay near that
	// however long it runs.
	const live = 60
	bound := max(2*live, minRevocationSweep)
	for i := range 100_000 {
		_ = m.Revoke(ctx, fmt.Sprint(i), clk.Now().Add(live*time.Second))
		clk.Advance(time.Second)
		if l := m.len(); l > bound {
			t.Fatalf("after %d writes Len = %d, want <= %d", i+1, l, bound)
		}
	}
}

func TestMemoryRevocationsSweepDropsExpiredEntry(t *testing.T) {
	clk := newFakeClock()
	m := NewMemoryRevocations(clk.Now)
	ctx := context.Background()
	_ = m.Revoke(ctx, "gone", clk.Now().Add(time.Minute))
	clk.Advance(time.Minute)
	for i := range minRevocationSweep - 1 {
		_ = m.Revoke(ctx, fmt.Sprint("live", i), clk.Now().Add(time.Hour))
	}
	// The write that reached the threshold swept "gone".
	if l := m.len(); l != minRevocationSweep-1 {
		t.Fatalf("Len = %d, want %d", l, minRevocationSweep-1)
	}
	m.mu.RLock()
	_, kept := m.until["gone"]
	m.mu.RUnlock()
	if kept {
		t.Fatal("expired entry not swept")
	}
}

func TestMemoryRevocationsConcurrent(t *testing.T) {
	clk := newFakeClock()
	m := NewMemoryRevocations(clk.Now)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				id := fmt.Sprint(g, "-", i)
				if err := m.Revoke(ctx, id, clk.Now().Add(time.Duration(i%3+1)*time.Hour)); err != nil {
					t.Error(err)
					return
				}
				if ok, err := m.Revoked(ctx, id); err != nil || !ok {
					t.Errorf("Revoked(%s) = %v, %v right after Revoke", id, ok, err)
					return
				}
				_, _ = m.Revoked(ctx, fmt.Sprint(g+1, "-", i))
				_ = m.len()
				if i%50 == 0 {
					clk.Advance(time.Second)
				}
			}
		})
	}
	wg.Wait()
}
