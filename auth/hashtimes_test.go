package auth

import (
	"testing"
	"time"
)

func TestHashTimes(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	h := hashTimes{now: func() time.Time { return now }}
	if _, ok := h.estimate(100); ok {
		t.Fatal("an estimate before any run")
	}
	h.record(100, 80*time.Millisecond)
	if d, ok := h.estimate(100); !ok || d != 80*time.Millisecond {
		t.Fatalf("after one run of 80ms: %v %v", d, ok)
	}
	// Later runs move the figure a quarter of the way each.
	h.record(100, 160*time.Millisecond)
	if d, _ := h.estimate(100); d != 100*time.Millisecond {
		t.Errorf("after 80ms and 160ms: %v, want 100ms", d)
	}
	if _, ok := h.estimate(200); ok {
		t.Error("an estimate for a cost never run")
	}
	// A minute after the last run, there is no figure; the next run
	// replaces the old one instead of averaging with it.
	now = now.Add(hashTimeFresh)
	if _, ok := h.estimate(100); ok {
		t.Error("an estimate a minute after the last run")
	}
	h.record(100, 40*time.Millisecond)
	if d, _ := h.estimate(100); d != 40*time.Millisecond {
		t.Errorf("a run after a stale figure: %v, want 40ms", d)
	}
	// Only maxHashCosts costs are remembered.
	for w := range 2 * maxHashCosts {
		h.record(1000+w, time.Millisecond)
	}
	if len(h.m) != maxHashCosts {
		t.Errorf("%d costs remembered, want %d", len(h.m), maxHashCosts)
	}
	if _, ok := h.estimate(1000 + maxHashCosts); ok {
		t.Error("a cost past the bound was remembered")
	}
}
