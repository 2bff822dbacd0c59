package redisstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/redisstore"
	"github.com/authwire/authwire/internal/servetest"
)

// TestKeyLayout holds the key layout the package doc gives, byte for
// byte, with every key's expiry, what the stream's entries hold, and its
// retention: an announcement older than Config.Lifetime is trimmed by
// the next one.
func TestKeyLayout(t *testing.T) {
	srv := servetest.Redis(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	store := redisstore.New(rdb, redisstore.Config{Prefix: "app:", Lifetime: time.Minute})
	now := time.Now()

	sess := &auth.Session{ID: newID(t, 1), User: "alice", IssuedAt: now.Unix(), LastSeen: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix()}
	if _, err := store.Save(ctx, sess); err != nil {
		t.Fatal(err)
	}
	// An announcement from two Lifetimes ago, which the next one trims.
	old := fmt.Sprintf("%d-0", now.Add(-2*time.Minute).UnixMilli())
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "app:{r}:revocations", ID: old, Values: []string{"id", newID(t, 9)}}).Err(); err != nil {
		t.Fatal(err)
	}
	revoked := newID(t, 2)
	if err := store.Revoke(ctx, revoked, now.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	reg, err := store.Regulator(auth.RegulationPolicy{MaxFailures: 1, Window: time.Minute, BanTime: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, banned, err := reg.Attempt(ctx, "user:alice"); err != nil || !banned {
		t.Fatalf("Attempt: banned %v, %v", banned, err)
	}

	if err := store.RevokeUser(ctx, "bob", now, now.Add(20*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := store.Put(ctx, auth.SessionRecord{ID: sess.ID, User: "alice", Provider: "oidc", ProviderSession: "sid-1",
		Created: now, LastSeen: now, Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	oidcTokens := store.OIDCTokens()
	if err := oidcTokens.Save(ctx, "oidc:handle", []byte("sealed"), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := oidcTokens.LockRefresh(ctx, "oidc:handle", time.Minute); !ok || err != nil {
		t.Fatalf("LockRefresh: %v %v", ok, err)
	}
	if fresh, err := store.OIDCReplays().Claim(ctx, "oidc jti-1", now.Add(6*time.Minute)); !fresh || err != nil {
		t.Fatalf("Claim: %v %v", fresh, err)
	}

	h, u, x, p := hashHex("user:alice"), hashHex("bob"), hashHex("alice"), hashHex("oidc\x00sid-1")
	k, j := hashHex("oidc:handle"), hashHex("oidc jti-1")
	want := []string{
		"app:s:" + sess.ID,
		"app:{r}:" + revoked,
		"app:{r}:u:" + u,
		"app:{r}:revocations",
		"app:rl:{" + h + "}:f",
		"app:rl:{" + h + "}:b",
		"app:ix:{" + x + "}:d",
		"app:ix:{" + x + "}:e",
		"app:ix:p:{" + p + "}",
		"app:oidc:{" + k + "}:t",
		"app:oidc:{" + k + "}:l",
		"app:oidc:j:{" + j + "}",
	}
	slices.Sort(want)
	keys, err := rdb.Keys(ctx, "*").Result()
	slices.Sort(keys)
	if err != nil || !slices.Equal(keys, want) {
		t.Fatalf("keys %q (%v), want %q", keys, err, want)
	}
	limits := map[string]time.Duration{
		"app:s:" + sess.ID:       time.Hour,
		"app:{r}:" + revoked:     30 * time.Minute,
		"app:{r}:revocations":    time.Minute,
		"app:rl:{" + h + "}:f":   time.Minute,
		"app:rl:{" + h + "}:b":   time.Minute,
		"app:{r}:u:" + u:         20 * time.Minute,
		"app:ix:{" + x + "}:d":   time.Hour,
		"app:ix:{" + x + "}:e":   time.Hour,
		"app:ix:p:{" + p + "}":   time.Hour,
		"app:oidc:{" + k + "}:t": time.Hour,
		"app:oidc:{" + k + "}:l": time.Minute,
		"app:oidc:j:{" + j + "}": 6 * time.Minute,
	}
	for k, limit := range limits {
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 || ttl > limit {
			t.Errorf("%s expires in %v, want (0, %v]", k, ttl, limit)
		}
	}
	if typ := rdb.Type(ctx, "app:{r}:revocations").Val(); typ != "stream" {
		t.Fatalf("the revocation stream is a %s", typ)
	}
	entries, err := rdb.XRange(ctx, "app:{r}:revocations", "-", "+").Result()
	if err != nil || len(entries) != 2 || len(entries[0].Values) != 1 || entries[0].Values["id"] != revoked ||
		len(entries[1].Values) != 2 || entries[1].Values["user"] != "bob" || entries[1].Values["before"] != fmtMilli(now) {
		t.Fatalf("the stream holds %v (%v), want an entry with id %s (the old one trimmed), then one with user bob", entries, err, revoked)
	}
	if v := rdb.Get(ctx, "app:{r}:u:"+u).Val(); v != fmtMilli(now) {
		t.Fatalf("bob's revocation holds %q, want %s", v, fmtMilli(now))
	}
	if v := rdb.ZScore(ctx, "app:ix:{"+x+"}:e", sess.ID).Val(); int64(v) != now.Add(time.Hour).UnixMilli() {
		t.Fatalf("the index's expiry for the session is %v", v)
	}
}
