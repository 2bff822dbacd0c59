package redisstore_test

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/redisstore"
	"github.com/authwire/authwire/internal/servetest"
)

func newID(t *testing.T, b byte) string {
	t.Helper()
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = b
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

func TestSessions(t *testing.T) {
	srv := servetest.Redis(t)
	rdb := srv.Client(t)
	store := redisstore.New(rdb, redisstore.Config{})
	ctx := context.Background()
	now := time.Now()
	sess := &auth.Session{ID: newID(t, 1), User: "alice", Groups: []string{"ops"}, Provider: "form",
		IssuedAt: now.Unix(), LastSeen: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix()}

	cookie, err := store.Save(ctx, sess)
	if err != nil || cookie != sess.ID {
		t.Fatalf("Save: %q %v", cookie, err)
	}
	got, err := store.Load(ctx, cookie)
	if err != nil || got.User != "alice" || !slices.Equal(got.Groups, []string{"ops"}) || got.ExpiresAt != sess.ExpiresAt {
		t.Fatalf("Load: %+v %v", got, err)
	}
	if ttl := rdb.PTTL(ctx, "authwire:s:"+sess.ID).Val(); ttl <= 0 || ttl > time.Hour {
		t.Fatalf("the session's key expires in %v, want (0, 1h]", ttl)
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", 43) + "!", newID(t, 2), "authwire:s:" + sess.ID} {
		if _, err := store.Load(ctx, bad); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("Load(%q): %v, want ErrNoSession", bad, err)
		}
	}
	if err := rdb.Set(ctx, "authwire:s:"+newID(t, 3), "{not json", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(ctx, newID(t, 3)); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("a corrupt stored session: %v, want ErrNoSession", err)
	}
	if err := store.Delete(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(ctx, cookie); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("Load after Delete: %v", err)
	}
	expired := *sess
	expired.ExpiresAt = now.Add(-time.Second).Unix()
	if _, err := store.Save(ctx, &expired); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("Save of an expired session: %v", err)
	}
	if _, err := store.Save(ctx, &auth.Session{ID: "chosen-by-client", ExpiresAt: now.Add(time.Hour).Unix()}); err == nil {
		t.Fatal("Save took an ID authwire does not make")
	}
	// A session is kept no longer than the idle timeout after it was
	// last seen.
	short := redisstore.New(rdb, redisstore.Config{Prefix: "idle:", IdleTimeout: 10 * time.Minute})
	if _, err := short.Save(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, "idle:s:"+sess.ID).Val(); ttl <= 0 || ttl > 10*time.Minute {
		t.Fatalf("with a 10-minute idle timeout the session's key expires in %v", ttl)
	}
	idle := *sess
	idle.LastSeen = now.Add(-11 * time.Minute).Unix()
	if _, err := short.Save(ctx, &idle); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("Save of a session idle too long: %v", err)
	}
	// Another prefix sees nothing of this one.
	other := redisstore.New(rdb, redisstore.Config{Prefix: "other:"})
	if _, err := store.Save(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Load(ctx, sess.ID); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("another prefix loaded the session: %v", err)
	}
}

// TestRevocations: a session revoked through one Store is revoked for
// another on the same Redis, and announced to its watcher once, however
// often it is revoked.
func TestRevocations(t *testing.T) {
	srv := servetest.Redis(t)
	a := redisstore.New(srv.Client(t), redisstore.Config{})
	b := redisstore.New(srv.Client(t), redisstore.Config{}) // another process
	w := watch(t, b)
	w.Ready(t, a)
	ctx := context.Background()

	id := newID(t, 7)
	if revoked, err := b.Revoked(ctx, id); err != nil || revoked {
		t.Fatalf("before: %v %v", revoked, err)
	}
	for range 3 { // revoked once, announced once
		if err := a.Revoke(ctx, id, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if revoked, err := b.Revoked(ctx, id); err != nil || !revoked {
		t.Fatalf("after: %v %v", revoked, err)
	}
	if revoked, _ := b.Revoked(ctx, newID(t, 8)); revoked {
		t.Fatal("another session is revoked")
	}
	// A repeated announcement, if any, would come before the next one.
	if err := a.Revoke(ctx, newID(t, 9), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	w.Expect(t, id, newID(t, 9))
	if err := w.Stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("WatchRevocations returned %v after its context ended", err)
	}
}
