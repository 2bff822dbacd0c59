package boltstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/internal/testclock"
)

// start is when the tests' clocks start.
var start = time.Unix(1_800_000_000, 0)

// sessionID returns a well-formed session ID made of n.
func sessionID(n byte) string {
	return base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{n}, 32))
}

// sessionIDOf returns a well-formed session ID made from i.
func sessionIDOf(i int) string {
	raw := make([]byte, 32)
	binary.BigEndian.PutUint64(raw, uint64(i))
	return base64.RawURLEncoding.EncodeToString(raw)
}

// newSession returns a session with ID sessionID(n) for user, issued and
// last seen at now, for a lifetime.
func newSession(n byte, user string, now time.Time, lifetime time.Duration) *auth.Session {
	return &auth.Session{ID: sessionID(n), User: user, Groups: []string{"ops", "dev"}, Provider: "form",
		IssuedAt: now.Unix(), LastSeen: now.Unix(), ExpiresAt: now.Add(lifetime).Unix(),
		Sections: []string{"hr"}, Email: user + "@example.com"}
}

// openAt opens a Store on path reading the time from clock, closed when
// the test ends (a second Close is harmless).
func openAt(t *testing.T, path string, clock *testclock.Clock) *Store {
	t.Helper()
	s, err := open(path, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// entries counts the entries of each session bucket: sessions,
// references, deadlines.
func entries(t *testing.T, s *Store) [3]int {
	t.Helper()
	var n [3]int
	err := s.db.View(func(tx *bolt.Tx) error {
		for i, b := range [][]byte{sessionsBucket, refsBucket, deadlinesBucket} {
			n[i] = tx.Bucket(b).Stats().KeyN
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func save(t *testing.T, ss *SessionStore, sess *auth.Session) string {
	t.Helper()
	cookie, err := ss.Save(context.Background(), sess)
	if err != nil {
		t.Fatalf("Save %s: %v", sess.User, err)
	}
	return cookie
}

// mustLoad loads cookie and checks that it is want.
func mustLoad(t *testing.T, ss *SessionStore, cookie string, want *auth.Session) {
	t.Helper()
	got, err := ss.Load(context.Background(), cookie)
	if err != nil {
		t.Fatalf("Load %s: %v", want.User, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Load: %+v, want %+v", got, want)
	}
}

func noSession(t *testing.T, ss *SessionStore, cookie, what string) {
	t.Helper()
	if got, err := ss.Load(context.Background(), cookie); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("%s: Load gave %+v, %v; want ErrNoSession", what, got, err)
	}
}

// TestSessionsSaveLoadDelete: a saved session loads back whole from its
// cookie, which is a reference of its own (not the ID, and absent from
// the file); saving it again keeps the cookie; a deleted one names
// nothing; IDs authwire does not make and sessions past their deadline
// are not stored.
func TestSessionsSaveLoadDelete(t *testing.T) {
	clock := testclock.New(start)
	path := filepath.Join(t.TempDir(), "authwire.db")
	st := openAt(t, path, clock)
	ss := st.Sessions(SessionsConfig{})
	ctx := context.Background()

	alice, bob := newSession(1, "alice", start, time.Hour), newSession(2, "bob", start, time.Hour)
	ca, cb := save(t, ss, alice), save(t, ss, bob)
	if !validID(ca) || ca == alice.ID || ca == cb {
		t.Fatalf("cookies %q and %q for sessions %q and %q", ca, cb, alice.ID, bob.ID)
	}
	mustLoad(t, ss, ca, alice)
	mustLoad(t, ss, cb, bob)
	noSession(t, ss, alice.ID, "the session ID as a cookie")

	clock.Advance(2 * time.Minute)
	alice.LastSeen = clock.Now().Unix()
	if again := save(t, ss, alice); again != ca {
		t.Fatalf("saving a session again changed its cookie from %q to %q", ca, again)
	}
	mustLoad(t, ss, ca, alice)
	if n := entries(t, st); n != [3]int{2, 2, 2} {
		t.Fatalf("entries after saving twice: %v", n)
	}

	if err := ss.Delete(ctx, &auth.Session{ID: alice.ID}); err != nil {
		t.Fatal(err)
	}
	noSession(t, ss, ca, "a deleted session")
	mustLoad(t, ss, cb, bob)
	for _, s := range []*auth.Session{{ID: alice.ID}, nil, {ID: "not an ID"}} {
		if err := ss.Delete(ctx, s); err != nil {
			t.Fatalf("Delete(%+v) of nothing: %v", s, err)
		}
	}
	if n := entries(t, st); n != [3]int{1, 1, 1} {
		t.Fatalf("entries after a delete: %v", n)
	}
	// A session deleted and saved again (a refresh racing a logout) gets
	// a new cookie: the old one stays dead.
	if again := save(t, ss, alice); again == ca {
		t.Fatal("a deleted session came back under its old cookie")
	}
	noSession(t, ss, ca, "the cookie of a deleted session saved again")

	if _, err := ss.Save(ctx, &auth.Session{ID: "chosen-by-client", ExpiresAt: start.Add(time.Hour).Unix()}); err == nil {
		t.Fatal("Save took an ID authwire does not make")
	}
	if _, err := ss.Save(ctx, nil); err == nil {
		t.Fatal("Save(nil)")
	}
	expired := newSession(3, "carol", start, time.Minute)
	if _, err := ss.Save(ctx, expired); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("Save of an expired session: %v", err)
	}
	idle := newSession(4, "dave", start, 12*time.Hour)
	idle.LastSeen = clock.Now().Add(-auth.DefaultIdleTimeout).Unix()
	if _, err := ss.Save(ctx, idle); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("Save of an idle session: %v", err)
	}

	// No cookie that works is in the file, in any encoding.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(cb)
	if bytes.Contains(file, []byte(cb)) || bytes.Contains(file, raw) {
		t.Fatal("the file holds a session's cookie")
	}
	if !bytes.Contains(file, []byte(bob.ID)) {
		t.Fatal("the file does not hold the session (the check above looks in the wrong place)")
	}
	if _, err := ss.Load(ctx, cb); err == nil || errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("Load after Close: %v, want the file's error", err)
	}
}

// TestSessionsOutliveTheProcess saves sessions, closes the file, opens it
// again and loads them from their cookies; a session saved again after
// that keeps its cookie, and one saved with no cookie seen since the
// restart gets a new one, the old naming nothing.
func TestSessionsOutliveTheProcess(t *testing.T) {
	clock := testclock.New(start)
	path := filepath.Join(t.TempDir(), "state", "authwire.db")
	st := openAt(t, path, clock)
	ss := st.Sessions(SessionsConfig{})
	alice, bob, carol := newSession(1, "alice", start, time.Hour), newSession(2, "bob", start, time.Hour), newSession(3, "carol", start, time.Hour)
	ca, cb, cc := save(t, ss, alice), save(t, ss, bob), save(t, ss, carol)
	if err := st.Revoke(context.Background(), sessionID(9), start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	clock.Advance(5 * time.Minute)
	st = openAt(t, path, clock)
	ss = st.Sessions(SessionsConfig{})
	mustLoad(t, ss, ca, alice)
	mustLoad(t, ss, cb, bob)
	if !revoked(t, st, sessionID(9)) {
		t.Fatal("the revocation beside the sessions was lost")
	}
	alice.LastSeen = clock.Now().Unix()
	if again := save(t, ss, alice); again != ca {
		t.Fatalf("a session loaded after a restart and saved again: cookie %q, was %q", again, ca)
	}
	carol.LastSeen = clock.Now().Unix()
	nc := save(t, ss, carol)
	if nc == cc {
		t.Fatal("a session saved with no cookie seen since the restart kept its old cookie, which this process cannot know")
	}
	if n := save(t, st.Sessions(SessionsConfig{}), carol); n != nc {
		t.Fatalf("another SessionStore on the file gave cookie %q, want the one just made, %q", n, nc)
	}
	st.Close()

	st = openAt(t, path, clock)
	ss = st.Sessions(SessionsConfig{})
	mustLoad(t, ss, ca, alice)
	mustLoad(t, ss, cb, bob)
	mustLoad(t, ss, nc, carol)
	noSession(t, ss, cc, "a cookie replaced before the restart")
}

// TestSessionsSwept: sessions past their absolute expiry or their idle
// timeout are refused at once, deleted a few at a time by writes, and
// all at Open; live ones stay.
func TestSessionsSwept(t *testing.T) {
	clock := testclock.New(start)
	path := filepath.Join(t.TempDir(), "authwire.db")
	st := openAt(t, path, clock)
	ss := st.Sessions(SessionsConfig{IdleTimeout: 10 * time.Minute})

	// 40 sessions that go idle in 10 minutes, 5 that expire in 5, and
	// one kept alive.
	var idle, short []string
	for i := range 40 {
		idle = append(idle, save(t, ss, newSession(byte(10+i), "idle", start, time.Hour)))
	}
	for i := range 5 {
		short = append(short, save(t, ss, newSession(byte(60+i), "short", start, 5*time.Minute)))
	}
	kept := newSession(1, "kept", start, time.Hour)
	ck := save(t, ss, kept)

	clock.Advance(6 * time.Minute)
	for _, c := range short {
		noSession(t, ss, c, "an expired session, not yet swept")
	}
	mustLoad(t, ss, idle[0], newSession(10, "idle", start, time.Hour))
	kept.LastSeen = clock.Now().Unix()
	save(t, ss, kept) // sweeps the 5 expired ones
	if n := entries(t, st); n != [3]int{41, 41, 41} {
		t.Fatalf("after expiry and a write: %v entries, want 41 each", n)
	}

	clock.Advance(5 * time.Minute) // the 40 are idle; kept was seen 5 minutes ago
	for _, c := range idle {
		noSession(t, ss, c, "an idle session, not yet swept")
	}
	mustLoad(t, ss, ck, kept)
	// Each write deletes no more than sweepPerWrite of them.
	kept.LastSeen = clock.Now().Unix()
	save(t, ss, kept)
	if n := entries(t, st); n[0] != 41-sweepPerWrite {
		t.Fatalf("one write swept %d sessions, want %d", 41-n[0], sweepPerWrite)
	}
	if err := ss.Delete(context.Background(), &auth.Session{ID: sessionID(200)}); err != nil {
		t.Fatal(err)
	}
	if n := entries(t, st); n[0] != 41-2*sweepPerWrite {
		t.Fatalf("two writes swept %d sessions, want %d", 41-n[0], 2*sweepPerWrite)
	}
	st.Close()

	st = openAt(t, path, clock)
	if n := entries(t, st); n != [3]int{1, 1, 1} {
		t.Fatalf("after Open: %v entries, want only the live session's", n)
	}
	mustLoad(t, st.Sessions(SessionsConfig{IdleTimeout: 10 * time.Minute}), ck, kept)
	clock.Advance(time.Hour)
	st.Close()
	st = openAt(t, path, clock)
	if n := entries(t, st); n != [3]int{} {
		t.Fatalf("after its expiry: %v entries", n)
	}
	st.Close()
}

// TestOpenRefusesBadSessions: a file whose session entries are malformed
// or disagree with each other is an error wrapping ErrCorrupt, and the
// good file it was made from opens.
func TestOpenRefusesBadSessions(t *testing.T) {
	clock := testclock.New(start)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	st := openAt(t, good, clock)
	ss := st.Sessions(SessionsConfig{})
	alice := newSession(1, "alice", start, time.Hour)
	save(t, ss, alice)
	save(t, ss, newSession(2, "bob", start, time.Hour))
	st.Close()
	original, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}

	aliceKey := []byte(alice.ID)
	record := func(tx *bolt.Tx) []byte { return bytes.Clone(tx.Bucket(sessionsBucket).Get(aliceKey)) }
	for _, tc := range []struct {
		name   string
		damage func(tx *bolt.Tx) error
	}{
		{"a short record", func(tx *bolt.Tx) error { return tx.Bucket(sessionsBucket).Put(aliceKey, record(tx)[:headerLen]) }},
		{"a record that is not JSON", func(tx *bolt.Tx) error {
			return tx.Bucket(sessionsBucket).Put(aliceKey, append(record(tx)[:headerLen], "{not json"...))
		}},
		{"a record of another session", func(tx *bolt.Tx) error {
			return tx.Bucket(sessionsBucket).Put(aliceKey, bytes.Replace(record(tx), aliceKey, []byte(sessionID(3)), 1))
		}},
		{"a session under a key that is no ID", func(tx *bolt.Tx) error {
			return tx.Bucket(sessionsBucket).Put([]byte("x"), record(tx))
		}},
		{"a session without its reference", func(tx *bolt.Tx) error {
			return tx.Bucket(refsBucket).Delete(record(tx)[:refHashLen])
		}},
		{"a reference to another session", func(tx *bolt.Tx) error {
			return tx.Bucket(refsBucket).Put(record(tx)[:refHashLen], []byte(sessionID(2)))
		}},
		{"a reference naming nothing", func(tx *bolt.Tx) error {
			return tx.Bucket(refsBucket).Put(bytes.Repeat([]byte{7}, refHashLen), aliceKey)
		}},
		{"a session without its deadline", func(tx *bolt.Tx) error {
			c := tx.Bucket(deadlinesBucket).Cursor()
			c.First()
			return c.Delete()
		}},
		{"a deadline naming nothing", func(tx *bolt.Tx) error {
			return tx.Bucket(deadlinesBucket).Put(deadlineKey(start.Unix(), sessionID(5)), nil)
		}},
		{"a deadline of zero", func(tx *bolt.Tx) error {
			r := record(tx)
			clear(r[refHashLen:headerLen])
			return tx.Bucket(sessionsBucket).Put(aliceKey, r)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { mustRefuseDamage(t, original, tc.damage, clock.Now) })
	}
	openAt(t, good, clock).Close()
}

// TestLoadRefusesBadCookies: cookie values that are no reference, or a
// reference to nothing, are ErrNoSession.
func TestLoadRefusesBadCookies(t *testing.T) {
	clock := testclock.New(start)
	st := openAt(t, filepath.Join(t.TempDir(), "authwire.db"), clock)
	ss := st.Sessions(SessionsConfig{})
	alice := newSession(1, "alice", start, time.Hour)
	cookie := save(t, ss, alice)
	for _, bad := range []string{
		"", "x", alice.ID, sessionID(2), cookie[:42], cookie + "A", cookie[:42] + "!", cookie[:42] + "=",
		" " + cookie[1:], strings.ToUpper(cookie), `"` + cookie[:41] + `"`, strings.Repeat("A", 1<<20),
		strings.Repeat("\x00", 43), strings.Repeat("é", 21) + "A",
	} {
		if bad == cookie {
			continue
		}
		noSession(t, ss, bad, "a bad cookie")
	}
	mustLoad(t, ss, cookie, alice)
}

// FuzzLoad: no cookie value panics Load; every one but the session's
// cookie is ErrNoSession, and that one loads the session.
func FuzzLoad(f *testing.F) {
	clock := testclock.New(start)
	st, err := open(filepath.Join(f.TempDir(), "authwire.db"), clock.Now)
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	ss := st.Sessions(SessionsConfig{})
	cookie, err := ss.Save(context.Background(), newSession(1, "alice", start, time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{"", cookie, sessionID(1), cookie[:42] + "_", strings.Repeat("-", 43), "%00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		sess, err := ss.Load(context.Background(), v)
		switch {
		case v == cookie:
			if err != nil || sess.User != "alice" {
				t.Fatalf("the cookie: %+v %v", sess, err)
			}
		case !errors.Is(err, auth.ErrNoSession):
			t.Fatalf("Load(%q): %+v %v", v, sess, err)
		}
	})
}

// mustRefuseDamage writes the file original to a new path, damages it in
// one transaction, and checks that Open refuses it with ErrCorrupt.
func mustRefuseDamage(t *testing.T, original []byte, damage func(*bolt.Tx) error, now func() time.Time) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(path, original, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(damage); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := open(path, now)
	if !errors.Is(err, ErrCorrupt) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open: %v, want ErrCorrupt", err)
	}
	t.Log(err)
}

// TestRevokeUserDeletesTheFileSessions: RevokeUser deletes from the file
// the user's sessions the index lists that were issued by then, and
// leaves a later one of the user's and another user's.
func TestRevokeUserDeletesTheFileSessions(t *testing.T) {
	clock := testclock.New(start)
	s := openAt(t, filepath.Join(t.TempDir(), "authwire.db"), clock)
	ss := s.Sessions(SessionsConfig{IdleTimeout: time.Hour})
	ctx := context.Background()
	cookies := map[byte]string{}
	save := func(n byte, user string) {
		t.Helper()
		sess := newSession(n, user, clock.Now(), 12*time.Hour)
		c, err := ss.Save(ctx, sess)
		if err != nil {
			t.Fatal(err)
		}
		cookies[n] = c
		rec := auth.SessionRecord{ID: sess.ID, User: user, Provider: "form", Created: clock.Now(), LastSeen: clock.Now(), Expires: clock.Now().Add(12 * time.Hour)}
		if err := s.Put(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	save(1, "alice")
	save(2, "alice")
	save(3, "bob")
	clock.Advance(time.Minute)
	revokedAt := clock.Now()
	clock.Advance(time.Minute)
	save(4, "alice") // after the revocation's "not before"
	if err := s.RevokeUser(ctx, "alice", revokedAt, revokedAt.Add(12*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := entries(t, s); got != [3]int{2, 2, 2} {
		t.Fatalf("after RevokeUser: %v sessions, references, deadlines; want 2 of each", got)
	}
	for n, want := range map[byte]bool{1: false, 2: false, 3: true, 4: true} {
		sess, err := ss.Load(ctx, cookies[n])
		if got := err == nil && sess != nil; got != want {
			t.Errorf("session %d after RevokeUser: loaded=%v (%v), want %v", n, got, err, want)
		}
	}
}
