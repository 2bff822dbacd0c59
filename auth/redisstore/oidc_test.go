package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/auth/redisstore"
	"github.com/authwire/authwire/internal/servetest"
)

var (
	_ oidclogin.TokenStore    = (*redisstore.OIDCTokens)(nil)
	_ oidclogin.RefreshLocker = (*redisstore.OIDCTokens)(nil)
	_ oidclogin.ReplayCache   = (*redisstore.OIDCReplays)(nil)
)

// TestOIDCTokens checks the TokenStore: a value saved is loaded until it
// is deleted, expires at its until, and a refresh lock is taken by one
// holder at a time, released by its holder only, and expires.
func TestOIDCTokens(t *testing.T) {
	srv := servetest.Redis(t)
	rdb := srv.Client(t)
	tokens := redisstore.New(rdb, redisstore.Config{}).OIDCTokens()
	ctx := context.Background()
	until := time.Now().Add(time.Hour)

	if v, err := tokens.Load(ctx, "oidc:k"); v != nil || err != nil {
		t.Fatalf("Load of nothing: %q %v", v, err)
	}
	if err := tokens.Save(ctx, "oidc:k", []byte("sealed"), until); err != nil {
		t.Fatal(err)
	}
	if v, err := tokens.Load(ctx, "oidc:k"); string(v) != "sealed" || err != nil {
		t.Fatalf("Load: %q %v", v, err)
	}
	if v, _ := tokens.Load(ctx, "oidc:other"); v != nil {
		t.Fatalf("another key loads %q", v)
	}
	keys := rdb.Keys(ctx, "*").Val()
	if len(keys) != 1 || rdb.PExpireTime(ctx, keys[0]).Val() != time.Duration(until.UnixMilli())*time.Millisecond {
		t.Fatalf("keys %q, expiring at %v, want one at %d ms", keys, rdb.PExpireTime(ctx, keys[0]).Val(), until.UnixMilli())
	}
	if err := tokens.Delete(ctx, "oidc:k"); err != nil {
		t.Fatal(err)
	}
	if v, _ := tokens.Load(ctx, "oidc:k"); v != nil {
		t.Fatalf("after Delete: %q", v)
	}

	unlock, ok, err := tokens.LockRefresh(ctx, "oidc:k", time.Minute)
	if !ok || err != nil {
		t.Fatalf("the first LockRefresh: %v %v", ok, err)
	}
	if _, ok, err := tokens.LockRefresh(ctx, "oidc:k", time.Minute); ok || err != nil {
		t.Fatalf("a second LockRefresh while held: %v %v", ok, err)
	}
	other, ok, err := tokens.LockRefresh(ctx, "oidc:other", time.Minute)
	if !ok || err != nil {
		t.Fatalf("another key's lock: %v %v", ok, err)
	}
	other()
	unlock()
	unlock, ok, _ = tokens.LockRefresh(ctx, "oidc:k", time.Minute)
	if !ok {
		t.Fatal("the lock was not released")
	}
	// The lock expires, another takes it: the first holder's unlock
	// leaves the new one's lock.
	locks := rdb.Keys(ctx, "*:l").Val()
	if len(locks) != 1 {
		t.Fatalf("locks %q", locks)
	}
	if err := rdb.Del(ctx, locks[0]).Err(); err != nil { // as if it had expired
		t.Fatal(err)
	}
	if _, ok, _ := tokens.LockRefresh(ctx, "oidc:k", time.Minute); !ok {
		t.Fatal("the lock was not free once expired")
	}
	unlock()
	if _, ok, _ := tokens.LockRefresh(ctx, "oidc:k", time.Minute); ok {
		t.Fatal("a former holder's unlock released another's lock")
	}
	if ttl := rdb.PTTL(ctx, locks[0]).Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("the lock expires in %v, want (0, 1m]", ttl)
	}

	srv.Stop()
	if _, err := tokens.Load(ctx, "oidc:k"); err == nil {
		t.Error("Load with Redis away: no error")
	}
	if err := tokens.Save(ctx, "oidc:k", []byte("x"), until); err == nil {
		t.Error("Save with Redis away: no error")
	}
	if _, ok, err := tokens.LockRefresh(ctx, "oidc:k", time.Minute); ok || err == nil {
		t.Errorf("LockRefresh with Redis away: %v %v", ok, err)
	}
}

// TestOIDCReplays checks the ReplayCache: a key is claimed once until it
// expires at its until, or is released.
func TestOIDCReplays(t *testing.T) {
	srv := servetest.Redis(t)
	rdb := srv.Client(t)
	replays := redisstore.New(rdb, redisstore.Config{}).OIDCReplays()
	ctx := context.Background()
	until := time.Now().Add(6 * time.Minute)

	if fresh, err := replays.Claim(ctx, "oidc jti-1", until); !fresh || err != nil {
		t.Fatalf("the first Claim: %v %v", fresh, err)
	}
	if fresh, err := replays.Claim(ctx, "oidc jti-1", until); fresh || err != nil {
		t.Fatalf("a replay: %v %v", fresh, err)
	}
	if fresh, _ := replays.Claim(ctx, "oidc jti-2", until); !fresh {
		t.Fatal("another jti was taken for a replay")
	}
	keys := rdb.Keys(ctx, "*").Val()
	for _, k := range keys {
		if at := rdb.PExpireTime(ctx, k).Val(); at != time.Duration(until.UnixMilli())*time.Millisecond {
			t.Errorf("%s expires at %v, want %d ms", k, at, until.UnixMilli())
		}
	}
	if err := replays.Release(ctx, "oidc jti-1"); err != nil {
		t.Fatal(err)
	}
	if fresh, _ := replays.Claim(ctx, "oidc jti-1", until); !fresh {
		t.Fatal("a released jti was refused")
	}
	srv.Stop()
	if fresh, err := replays.Claim(ctx, "oidc jti-3", until); fresh || err == nil {
		t.Errorf("Claim with Redis away: %v %v", fresh, err)
	}
}
