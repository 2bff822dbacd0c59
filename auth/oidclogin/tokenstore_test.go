package oidclogin

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"
)

// TestMemoryTokens checks the default token store: a value until its
// time, replaced and deleted, and a full store that refuses new keys
// rather than drop live ones, until some expire.
func TestMemoryTokens(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := newMemoryTokens(func() time.Time { return now })
	ctx := context.Background()
	load := func(key string) string {
		t.Helper()
		v, err := m.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return string(v)
	}
	if err := m.Save(ctx, "a", []byte("1"), now.Add(time.Minute)); err != nil || load("a") != "1" || load("b") != "" {
		t.Fatalf("Save and Load: %v, %q, %q", err, load("a"), load("b"))
	}
	if err := m.Save(ctx, "a", []byte("2"), now.Add(time.Minute)); err != nil || load("a") != "2" {
		t.Fatalf("a second Save: %v, %q", err, load("a"))
	}
	m.Delete(ctx, "a")
	if load("a") != "" {
		t.Fatal("a deleted value is still there")
	}
	m.Save(ctx, "a", []byte("3"), now.Add(time.Minute))
	for i := 1; i < maxTokenEntries; i++ {
		if err := m.Save(ctx, strconv.Itoa(i), []byte("x"), now.Add(2*time.Minute)); err != nil {
			t.Fatalf("Save %d: %v", i, err)
		}
	}
	if err := m.Save(ctx, "b", []byte("x"), now.Add(time.Minute)); !errors.Is(err, errTokenStoreFull) {
		t.Fatalf("a Save past the bound: %v", err)
	}
	if err := m.Save(ctx, "1", []byte("y"), now.Add(2*time.Minute)); err != nil || load("1") != "y" {
		t.Fatalf("replacing a value in a full store: %v", err)
	}
	now = now.Add(time.Minute) // "a" expires
	if load("a") != "" {
		t.Fatal("an expired value is still there")
	}
	if err := m.Save(ctx, "b", []byte("x"), now.Add(time.Minute)); err != nil || load("2") != "x" {
		t.Fatalf("a Save once a value expired: %v, live value %q", err, load("2"))
	}
}
