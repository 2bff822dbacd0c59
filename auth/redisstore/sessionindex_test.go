package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/redisstore"
	"github.com/authwire/authwire/internal/servetest"
)

// sameRecords reports whether got and want hold the same records in the
// same order (times compared as instants: JSON drops the monotonic
// clock).
func sameRecords(got, want []auth.SessionRecord) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.User != w.User || g.Provider != w.Provider || g.ProviderSession != w.ProviderSession ||
			!g.Created.Equal(w.Created) || !g.LastSeen.Equal(w.LastSeen) || !g.Expires.Equal(w.Expires) ||
			g.Client != w.Client || g.UserAgent != w.UserAgent {
			return false
		}
	}
	return true
}

func list(t *testing.T, s *redisstore.Store, user string) []auth.SessionRecord {
	t.Helper()
	recs, err := s.List(context.Background(), user)
	if err != nil {
		t.Fatalf("List(%s): %v", user, err)
	}
	return recs
}

// TestSessionIndex: records put through one Store are listed, newest
// first, and found by provider session through another; a record is
// replaced by its ID, removed, dropped once expired and past the
// per-user limit (soonest to expire first); every key expires.
func TestSessionIndex(t *testing.T) {
	srv := servetest.Redis(t)
	rdb := srv.Client(t)
	a := redisstore.New(rdb, redisstore.Config{})
	b := redisstore.New(srv.Client(t), redisstore.Config{})
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	rec := func(user string, created time.Duration) auth.SessionRecord {
		return auth.SessionRecord{ID: randomID(t), User: user, Provider: "form", Created: now.Add(created),
			LastSeen: now.Add(created), Expires: now.Add(created + time.Hour), Client: "192.0.2.1", UserAgent: "test/1"}
	}
	put := func(s *redisstore.Store, r auth.SessionRecord) {
		t.Helper()
		if err := s.Put(ctx, r); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	older, newer, bobs := rec("alice", -time.Minute), rec("alice", 0), rec("bob", 0)
	newer.Provider, newer.ProviderSession = "oidc", "sid-1"
	put(a, older)
	put(a, newer)
	put(a, bobs)
	if got := list(t, b, "alice"); !sameRecords(got, []auth.SessionRecord{newer, older}) {
		t.Fatalf("alice's records: %+v", got)
	}
	if got := list(t, b, "nobody"); len(got) != 0 {
		t.Fatalf("a user without sessions: %+v", got)
	}
	found, err := b.Find(ctx, "oidc", "sid-1")
	if err != nil || !sameRecords(found, []auth.SessionRecord{newer}) {
		t.Fatalf("Find: %+v %v", found, err)
	}
	for _, q := range [][2]string{{"form", "sid-1"}, {"oidc", "sid-2"}, {"oidc", ""}} {
		if found, err := b.Find(ctx, q[0], q[1]); err != nil || len(found) != 0 {
			t.Fatalf("Find(%q, %q): %+v %v", q[0], q[1], found, err)
		}
	}

	// A refresh replaces the record.
	older.LastSeen = now
	put(b, older)
	if got := list(t, a, "alice"); !sameRecords(got, []auth.SessionRecord{newer, older}) {
		t.Fatalf("after a refresh: %+v", got)
	}
	// Removed: gone from the list, and from Find.
	if err := b.Remove(ctx, "alice", newer.ID); err != nil {
		t.Fatal(err)
	}
	if got := list(t, a, "alice"); !sameRecords(got, []auth.SessionRecord{older}) {
		t.Fatalf("after Remove: %+v", got)
	}
	if found, err := a.Find(ctx, "oidc", "sid-1"); err != nil || len(found) != 0 {
		t.Fatalf("Find after Remove: %+v %v", found, err)
	}
	if err := b.Remove(ctx, "alice", "no-such-session"); err != nil {
		t.Fatalf("removing what is not there: %v", err)
	}
	// An expired record is not kept, and takes the one it replaces along.
	expired := older
	expired.Expires = now.Add(-time.Second)
	put(a, expired)
	if got := list(t, a, "alice"); len(got) != 0 {
		t.Fatalf("after an expired Put: %+v", got)
	}
	if n := rdb.Exists(ctx, "authwire:ix:{"+hashHex("alice")+"}:d", "authwire:ix:{"+hashHex("alice")+"}:e").Val(); n != 0 {
		t.Fatalf("an empty index left %d keys", n)
	}

	// Past the limit, the records that expire soonest go.
	var all []auth.SessionRecord
	for i := range auth.MaxSessionsPerUser + 5 {
		r := rec("carol", time.Duration(i)*time.Second)
		put(a, r)
		all = append(all, r)
	}
	got := list(t, b, "carol")
	if len(got) != auth.MaxSessionsPerUser || got[0].ID != all[len(all)-1].ID || got[len(got)-1].ID != all[5].ID {
		t.Fatalf("carol keeps %d records, from %s to %s; want %d, the newest", len(got), got[0].ID, got[len(got)-1].ID, auth.MaxSessionsPerUser)
	}

	for _, k := range []string{"authwire:ix:{" + hashHex("carol") + "}:d", "authwire:ix:{" + hashHex("carol") + "}:e"} {
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 || ttl > time.Hour+time.Duration(len(all))*time.Second {
			t.Errorf("%s expires in %v", k, ttl)
		}
	}
	for _, bad := range []auth.SessionRecord{{User: "alice", Expires: now.Add(time.Hour)}, {ID: randomID(t), Expires: now.Add(time.Hour)}} {
		if err := a.Put(ctx, bad); err == nil {
			t.Errorf("Put took %+v", bad)
		}
	}
	// A damaged record is an error, not a shorter list.
	if err := rdb.HSet(ctx, "authwire:ix:{"+hashHex("bob")+"}:d", "x", "{not json").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.List(ctx, "bob"); err == nil {
		t.Fatal("List read past a damaged record")
	}
}
