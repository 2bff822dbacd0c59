package oidclogin

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"
)

// TestMemoryReplays checks the default replay cache: a key is refused
// again until it expires, a released key is taken again, and a full
// cache refuses new keys rather than forget live ones, until some expire.
func TestMemoryReplays(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := newMemoryReplays(func() time.Time { return now })
	ctx := context.Background()
	claim := func(key string, until time.Time) (bool, error) { return m.Claim(ctx, key, until) }
	if fresh, err := claim("a", now.Add(time.Minute)); !fresh || err != nil {
		t.Fatalf("first claim: %v %v", fresh, err)
	}
	if fresh, err := claim("a", now.Add(time.Minute)); fresh || err != nil {
		t.Fatalf("the same key again: %v %v", fresh, err)
	}
	m.Release(ctx, "a")
	if fresh, _ := claim("a", now.Add(time.Minute)); !fresh {
		t.Fatal("a released key is refused")
	}
	for i := 1; i < maxReplayEntries; i++ {
		if fresh, err := claim(strconv.Itoa(i), now.Add(2*time.Minute)); !fresh || err != nil {
			t.Fatalf("claim %d: %v %v", i, fresh, err)
		}
	}
	if _, err := claim("b", now.Add(time.Minute)); !errors.Is(err, errReplayCacheFull) {
		t.Fatalf("a claim past the bound: %v", err)
	}
	if fresh, _ := claim("1", now.Add(time.Minute)); fresh {
		t.Fatal("a full cache forgot a live key")
	}
	now = now.Add(time.Minute) // "a" expires; the others live on
	if fresh, err := claim("b", now.Add(time.Minute)); !fresh || err != nil {
		t.Fatalf("a claim once a key expired: %v %v", fresh, err)
	}
	if fresh, _ := claim("2", now.Add(time.Minute)); fresh {
		t.Fatal("the sweep forgot a live key")
	}
	now = now.Add(time.Minute)
	if fresh, _ := claim("2", now.Add(time.Minute)); !fresh {
		t.Fatal("an expired key is still refused")
	}
}
