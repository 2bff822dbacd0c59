package boltstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/internal/testclock"
)

func indexRecord(id, user string, created time.Time, sid string) auth.SessionRecord {
	return auth.SessionRecord{ID: id, User: user, Provider: "idp", ProviderSession: sid,
		Created: created, LastSeen: created, Expires: created.Add(time.Hour),
		Client: "192.0.2.7", UserAgent: "Mozilla/5.0 (test)"}
}

// ids returns the IDs of recs, in order.
func ids(recs []auth.SessionRecord, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return strings.Join(out, " ")
}

// bucketLen counts the entries of bucket.
func bucketLen(t *testing.T, s *Store, bucket []byte) int {
	t.Helper()
	n := 0
	if err := s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucket).Stats().KeyN; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIndexOutlivesTheProcess: the index lists a user's records newest
// first, finds them by provider session, replaces and removes them, and
// gives the same answers, whole, after the file is closed and opened
// again; expired records are not listed and leave the file at Open.
func TestIndexOutlivesTheProcess(t *testing.T) {
	clock := testclock.New(start)
	path := filepath.Join(t.TempDir(), "authwire.db")
	st := openAt(t, path, clock)
	ctx := context.Background()
	now := clock.Now()
	a1, a2, b1 := indexRecord("a1", "alice", now.Add(-2*time.Minute), "sid-1"),
		indexRecord("a2", "alice", now.Add(-time.Minute), "sid-2"), indexRecord("b1", "bob", now, "sid-1")
	for _, r := range []auth.SessionRecord{a1, a2, b1} {
		if err := st.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// Names are length-prefixed: user "a" with session "lice..." is not
	// one of alice's.
	if err := st.Put(ctx, indexRecord("licea1", "a", now, "")); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		if got := ids(st.List(ctx, "alice")); got != "a2 a1" {
			t.Fatalf("%s: alice's records %q, want a2 a1", when, got)
		}
		if got := ids(st.List(ctx, "a")); got != "licea1" {
			t.Fatalf("%s: a's records %q", when, got)
		}
		if got := ids(st.Find(ctx, "idp", "sid-1")); got != "b1 a1" {
			t.Fatalf("%s: Find sid-1: %q, want b1 a1", when, got)
		}
		for _, q := range [][2]string{{"other", "sid-1"}, {"idp", "sid-"}, {"idp", ""}, {"", "sid-1"}} {
			if got := ids(st.Find(ctx, q[0], q[1])); got != "" {
				t.Fatalf("%s: Find %q: %q", when, q, got)
			}
		}
	}
	check("before the restart")

	// Put replaces the record with the same ID (a refresh).
	moved := a1
	moved.LastSeen, moved.Client = now, "198.51.100.1"
	if err := st.Put(ctx, moved); err != nil {
		t.Fatal(err)
	}
	st.Close()
	clock.Advance(time.Minute)
	st = openAt(t, path, clock)
	check("after the restart")
	list, err := st.List(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	got := list[1]
	if got.ID != "a1" || got.User != "alice" || got.Provider != "idp" || got.ProviderSession != "sid-1" ||
		!got.Created.Equal(a1.Created) || !got.LastSeen.Equal(now) || !got.Expires.Equal(a1.Expires) ||
		got.Client != "198.51.100.1" || got.UserAgent != a1.UserAgent {
		t.Fatalf("a record read back after a restart: %+v, want %+v", got, moved)
	}

	if err := st.Remove(ctx, "alice", "a2"); err != nil {
		t.Fatal(err)
	}
	for _, q := range [][2]string{{"alice", "a2"}, {"bob", "a1"}, {"nobody", "x"}, {strings.Repeat("u", 70000), "x"}} {
		if err := st.Remove(ctx, q[0], q[1]); err != nil {
			t.Fatalf("Remove of nothing %q: %v", q[0][:min(len(q[0]), 10)], err)
		}
	}
	if got := ids(st.List(ctx, "alice")); got != "a1" {
		t.Fatalf("after Remove: %q", got)
	}
	if got := ids(st.Find(ctx, "idp", "sid-2")); got != "" {
		t.Fatalf("a removed record is found: %q", got)
	}

	clock.Advance(2 * time.Hour)
	if got := ids(st.List(ctx, "alice")); got != "" {
		t.Fatalf("expired records listed: %q", got)
	}
	if got := ids(st.Find(ctx, "idp", "sid-1")); got != "" {
		t.Fatalf("expired records found: %q", got)
	}
	st.Close()
	st = openAt(t, path, clock)
	if n, p := bucketLen(t, st, indexBucket), bucketLen(t, st, providerBucket); n != 0 || p != 0 {
		t.Fatalf("after Open, %d records and %d provider entries are left of expired sessions", n, p)
	}

	for _, bad := range []auth.SessionRecord{
		{User: "x", Expires: clock.Now().Add(time.Hour)}, {ID: "x", Expires: clock.Now().Add(time.Hour)},
		{ID: "x", User: strings.Repeat("u", 70000)}, {ID: "x", User: "u", ProviderSession: strings.Repeat("s", 70000)},
	} {
		if err := st.Put(ctx, bad); err == nil {
			t.Errorf("Put took a record with ID %q, user of %d bytes", bad.ID, len(bad.User))
		}
	}
}

// TestIndexBoundsAUsersRecords: past auth.MaxSessionsPerUser, a user's
// oldest records leave the file, and expired ones go when the user's
// records are next written.
func TestIndexBoundsAUsersRecords(t *testing.T) {
	clock := testclock.New(start)
	st := openAt(t, filepath.Join(t.TempDir(), "authwire.db"), clock)
	ctx := context.Background()
	const extra = 10
	for i := range auth.MaxSessionsPerUser + extra {
		if err := st.Put(ctx, indexRecord(fmt.Sprintf("c%03d", i), "carol", start.Add(time.Duration(i)*time.Second), "")); err != nil {
			t.Fatal(err)
		}
	}
	list, err := st.List(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != auth.MaxSessionsPerUser || list[0].ID != fmt.Sprintf("c%03d", auth.MaxSessionsPerUser+extra-1) || list[len(list)-1].ID != fmt.Sprintf("c%03d", extra) {
		t.Fatalf("carol has %d records, %s to %s", len(list), list[0].ID, list[len(list)-1].ID)
	}
	if n := bucketLen(t, st, indexBucket); n != auth.MaxSessionsPerUser {
		t.Fatalf("%d records in the file", n)
	}
	clock.Advance(2 * time.Hour)
	if err := st.Put(ctx, indexRecord("fresh", "carol", clock.Now(), "")); err != nil {
		t.Fatal(err)
	}
	if n := bucketLen(t, st, indexBucket); n != 1 {
		t.Fatalf("%d records in the file after the others expired and carol's were written", n)
	}
	// An expired record is not kept.
	if err := st.Put(ctx, indexRecord("old", "dave", start, "")); err != nil {
		t.Fatal(err)
	}
	if n := bucketLen(t, st, indexBucket); n != 1 {
		t.Fatal("an expired record was written")
	}
}

// TestOpenRefusesBadIndex: malformed index entries, a record and its
// provider entry that disagree, and a malformed user revocation are
// ErrCorrupt at Open.
func TestOpenRefusesBadIndex(t *testing.T) {
	clock := testclock.New(start)
	good := filepath.Join(t.TempDir(), "good.db")
	st := openAt(t, good, clock)
	if err := st.Put(context.Background(), indexRecord("a1", "alice", start, "sid-1")); err != nil {
		t.Fatal(err)
	}
	st.Close()
	original, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		damage func(tx *bolt.Tx) error
	}{
		{"a record that is not JSON", func(tx *bolt.Tx) error {
			return tx.Bucket(indexBucket).Put(indexKey("alice", "a1"), []byte("{not json"))
		}},
		{"a key whose length is wrong", func(tx *bolt.Tx) error {
			return tx.Bucket(indexBucket).Put([]byte{0, 99, 'a'}, []byte("{}"))
		}},
		{"a key with no session ID", func(tx *bolt.Tx) error {
			return tx.Bucket(indexBucket).Put(userPrefix("bob"), []byte("{}"))
		}},
		{"a record without its provider entry", func(tx *bolt.Tx) error {
			return tx.Bucket(providerBucket).Delete(providerKey(indexRecord("a1", "alice", start, "sid-1")))
		}},
		{"a provider entry naming nothing", func(tx *bolt.Tx) error {
			return tx.Bucket(providerBucket).Put(providerKey(indexRecord("zz", "alice", start, "sid-1")), nil)
		}},
		{"a user revocation that is malformed", func(tx *bolt.Tx) error {
			return tx.Bucket(userRevocationsBucket).Put([]byte("alice"), []byte("short"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { mustRefuseDamage(t, original, tc.damage, clock.Now) })
	}
	openAt(t, good, clock).Close()
}

// TestUserRevocationsOutliveTheProcess: RevokeUser ends the sessions of
// a user issued until its time, and not the later ones or another
// user's, before and after a restart; an earlier time does not undo a
// later one, on disk either; the entry leaves the file after its until.
func TestUserRevocationsOutliveTheProcess(t *testing.T) {
	clock := testclock.New(start)
	path := filepath.Join(t.TempDir(), "authwire.db")
	st := openAt(t, path, clock)
	ctx := context.Background()
	at := clock.Now()
	if err := st.RevokeUser(ctx, "alice", at, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeUser(ctx, "alice", at.Add(-time.Hour), at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := st.Revoke(ctx, "s9", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for _, c := range []struct {
			id, user string
			issued   time.Time
			want     bool
		}{
			{"s1", "alice", at.Add(-time.Minute), true},
			{"s2", "alice", at, true},
			{"s3", "alice", at.Add(time.Second), false},
			{"s4", "bob", at.Add(-time.Minute), false},
			{"s9", "bob", at, true},
		} {
			got, err := st.SessionRevoked(ctx, c.id, c.user, c.issued)
			if err != nil || got != c.want {
				t.Errorf("%s: %s of %s issued %v: revoked %v (%v), want %v", when, c.id, c.user, c.issued.Sub(at), got, err, c.want)
			}
		}
	}
	check("before the restart")
	st.Close()
	clock.Advance(30 * time.Minute) // past the shorter until, before the longer
	st = openAt(t, path, clock)
	check("after the restart")

	if err := st.RevokeUser(ctx, "", at, at.Add(time.Hour)); err == nil {
		t.Fatal("an empty user was accepted")
	}
	if err := st.RevokeUser(ctx, "carol", at, at.Add(-time.Second)); err != nil || bucketLen(t, st, userRevocationsBucket) != 1 {
		t.Fatalf("a revocation already over: %v, %d entries", err, bucketLen(t, st, userRevocationsBucket))
	}
	st.Close()
	clock.Advance(time.Hour)
	st = openAt(t, path, clock)
	if got, _ := st.SessionRevoked(ctx, "s1", "alice", at.Add(-time.Minute)); got {
		t.Fatal("a user revocation outlived its until")
	}
	if n := bucketLen(t, st, userRevocationsBucket); n != 0 {
		t.Fatalf("%d user revocations left in the file after their until", n)
	}
}
