package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/authwire/authwire/auth/redisstore"
	"github.com/authwire/authwire/internal/servetest"
)

// TestRevokeUser: a user's revocation, made through one Store, revokes
// for another the user's sessions issued up to its time and no later,
// keeps the later of two times, is announced once per move, and leaves
// other users alone; a session's own revocation counts too.
func TestRevokeUser(t *testing.T) {
	srv := servetest.Redis(t)
	rdb := srv.Client(t)
	a := redisstore.New(rdb, redisstore.Config{})
	b := redisstore.New(srv.Client(t), redisstore.Config{})
	ctx := context.Background()
	at := time.Now().Truncate(time.Second)
	revoked := func(user string, issued time.Time, want bool) {
		t.Helper()
		if got, err := b.SessionRevoked(ctx, randomID(t), user, issued); err != nil || got != want {
			t.Fatalf("SessionRevoked(%s, issued %v) = %v, %v; want %v", user, issued.Sub(at), got, err, want)
		}
	}

	revoked("alice", at, false)
	if err := a.RevokeUser(ctx, "alice", at, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	revoked("alice", at.Add(-time.Hour), true)
	revoked("alice", at, true)
	revoked("alice", at.Add(time.Second), false)
	revoked("bob", at.Add(-time.Hour), false)

	// An earlier time changes nothing but may lengthen the entry's life;
	// a later one moves it.
	if err := a.RevokeUser(ctx, "alice", at.Add(-10*time.Second), at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	revoked("alice", at, true)
	revoked("alice", at.Add(time.Second), false)
	key := "authwire:{r}:u:" + hashHex("alice")
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= time.Hour || ttl > 2*time.Hour {
		t.Fatalf("the user's entry expires in %v, want (1h, 2h]", ttl)
	}
	if err := a.RevokeUser(ctx, "alice", at.Add(10*time.Second), at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	revoked("alice", at.Add(10*time.Second), true)
	revoked("alice", at.Add(11*time.Second), false)
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= time.Hour {
		t.Fatalf("a later revocation shortened the entry's life to %v", ttl)
	}

	entries, err := rdb.XRange(ctx, stream, "-", "+").Result()
	if err != nil || len(entries) != 2 {
		t.Fatalf("the stream holds %v (%v), want the two moves", entries, err)
	}
	for i, before := range []time.Time{at, at.Add(10 * time.Second)} {
		if v := entries[i].Values; v["user"] != "alice" || v["before"] != fmtMilli(before) || len(v) != 2 {
			t.Errorf("announcement %d is %v, want alice before %s", i, v, fmtMilli(before))
		}
	}

	// A session's own revocation, whoever its user.
	id := randomID(t)
	revoke(t, a, id)
	if got, err := b.SessionRevoked(ctx, id, "bob", at); err != nil || !got {
		t.Fatalf("a revoked session: %v %v", got, err)
	}

	// No user, or an until already past, records nothing.
	if err := a.RevokeUser(ctx, "", at, at.Add(time.Hour)); err == nil {
		t.Fatal("RevokeUser took an empty user name")
	}
	if err := a.RevokeUser(ctx, "carol", at, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	revoked("carol", at.Add(-time.Hour), false)
	// A damaged entry is an error, never "not revoked".
	if err := rdb.Set(ctx, "authwire:{r}:u:"+hashHex("dave"), "soon", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SessionRevoked(ctx, randomID(t), "dave", at); err == nil {
		t.Fatal("a damaged user entry read as not revoked")
	}
}
