package redisstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/redisstore"
	"github.com/authwire/authwire/internal/servetest"
)

// stream is the revocation stream's key with the default Prefix.
const stream = "authwire:{r}:revocations"

// persistent are the arguments of a redis-server that loses no write it
// answered when it is killed.
var persistent = []string{"--appendonly", "yes", "--appendfsync", "always"}

// wipe deletes every file of a stopped redis-server, as a machine
// replaced or a disk lost would.
func wipe(t *testing.T, srv *redisProc) {
	t.Helper()
	entries, err := os.ReadDir(srv.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(srv.Dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
}

// waitLog waits until logs holds s.
func waitLog(t *testing.T, logs *servetest.SyncBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(safetyNet)
	for !strings.Contains(logs.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("the log never said %q; it holds:\n%s", s, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWatchDeliversWhatItMissed runs process A's watcher through a link
// the test cuts (a partition) while process B revokes, and kills
// redis-server with SIGKILL under both: every revocation B made is
// delivered to A once it is back, in order and once, and the watcher
// keeps running through every outage. While Redis is down every call
// fails and a failed Revoke leaves nothing behind. When Redis comes back
// having lost data (a lagging replica, an empty server), A delivers what
// the stream holds again and says so.
func TestWatchDeliversWhatItMissed(t *testing.T) {
	srv := startRedis(t, persistent...)
	link := newLinkProxy(t, srv.Addr)
	var logs servetest.SyncBuffer
	a := redisstore.New(newClient(t, link.Addr), redisstore.Config{Logger: logTo(&logs)})
	bc := srv.Client(t)
	b := redisstore.New(bc, redisstore.Config{})
	w := watch(t, a)
	w.Ready(t, b)
	ctx := context.Background()

	r1 := randomID(t)
	revoke(t, b, r1)
	w.Expect(t, r1)

	// A is cut off; B revokes r2; Redis is killed.
	link.Cut(true)
	r2 := randomID(t)
	revoke(t, b, r2)
	srv.Kill()
	lost := randomID(t)
	if err := b.Revoke(ctx, lost, time.Now().Add(time.Hour)); err == nil {
		t.Fatal("Revoke with Redis down succeeded")
	}
	if _, err := b.Revoked(ctx, r1); err == nil {
		t.Fatal("Revoked with Redis down succeeded")
	}
	if _, err := b.Load(ctx, r1); err == nil || errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("Load with Redis down: %v, want an error that is not ErrNoSession", err)
	}

	// Redis is back with its append-only file, A still cut off: B
	// revokes r3. Then A's link is mended.
	srv.Start()
	answering(t, bc)
	r3 := randomID(t)
	revoke(t, b, r3)
	for _, id := range []string{r1, r2, r3} {
		if revoked, err := b.Revoked(ctx, id); err != nil || !revoked {
			t.Fatalf("after the restart a revocation is %v (%v), want revoked", revoked, err)
		}
	}
	if revoked, err := b.Revoked(ctx, lost); err != nil || revoked {
		t.Fatalf("the Revoke that failed left a mark: %v %v", revoked, err)
	}
	if n, err := bc.XLen(ctx, stream).Result(); err != nil || n == 0 {
		t.Fatalf("the stream after the restart: %d entries (%v)", n, err)
	}
	link.Cut(false)
	w.Expect(t, r2, r3)

	// Redis is killed under A's watcher, and back; B revokes r4 as soon
	// as it answers.
	srv.Kill()
	srv.Start()
	answering(t, bc)
	r4 := randomID(t)
	revoke(t, b, r4)
	w.Expect(t, r4)

	// Redis comes back as a replica that lacked the last write would: its
	// stream ends at r3. A delivers what it holds again, then goes on.
	held, err := bc.XRange(ctx, stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var prefix []redis.XMessage
	for _, m := range held {
		prefix = append(prefix, m)
		if m.Values["id"] == r3 {
			break
		}
	}
	link.Cut(true)
	srv.Kill()
	wipe(t, srv)
	srv.Start()
	answering(t, bc)
	var again []string
	for _, m := range prefix {
		if err := bc.XAdd(ctx, &redis.XAddArgs{Stream: stream, ID: m.ID, Values: m.Values}).Err(); err != nil {
			t.Fatal(err)
		}
		again = append(again, m.Values["id"].(string))
	}
	link.Cut(false)
	w.Expect(t, again...)
	waitLog(t, &logs, "the revocation stream went back")
	r5 := randomID(t)
	revoke(t, b, r5)
	w.Expect(t, r5)

	// Redis comes back empty: A says the stream is gone, and delivers
	// what is announced from then on.
	link.Cut(true)
	srv.Kill()
	wipe(t, srv)
	srv.Start()
	answering(t, bc)
	link.Cut(false)
	waitLog(t, &logs, "the revocation stream is gone")
	r6 := randomID(t)
	revoke(t, b, r6)
	w.Expect(t, r6)

	// Nothing came twice: the next delivery is the next revocation.
	r7 := randomID(t)
	revoke(t, b, r7)
	w.Expect(t, r7)
	if !w.running() {
		t.Fatal("WatchRevocations returned during an outage")
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n == 0 {
		t.Fatalf("the outages were not logged as errors:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "watching revocations again") {
		t.Fatalf("the recoveries were not logged:\n%s", logs.String())
	}
}

// TestWatchAfterTrim: a watcher cut off while the stream trimmed
// entries after the last one it read (as it does once they are older
// than Config.Lifetime; TestKeyLayout sees it do so) delivers those
// left, and warns; the trimmed revocation still refuses its session.
func TestWatchAfterTrim(t *testing.T) {
	srv := servetest.Redis(t)
	link := newLinkProxy(t, srv.Addr)
	var logs servetest.SyncBuffer
	a := redisstore.New(newClient(t, link.Addr), redisstore.Config{Logger: logTo(&logs)})
	rdb := srv.Client(t)
	b := redisstore.New(rdb, redisstore.Config{})
	w := watch(t, a)
	w.Ready(t, b)
	ctx := context.Background()

	link.Cut(true)
	trimmed, kept := randomID(t), randomID(t)
	revoke(t, b, trimmed)
	revoke(t, b, kept)
	entries, err := rdb.XRange(ctx, stream, "-", "+").Result()
	if err != nil || len(entries) < 2 || entries[len(entries)-1].Values["id"] != kept {
		t.Fatalf("the stream holds %v (%v)", entries, err)
	}
	if err := rdb.XTrimMinID(ctx, stream, entries[len(entries)-1].ID).Err(); err != nil {
		t.Fatal(err)
	}
	link.Cut(false)
	w.Expect(t, kept)
	waitLog(t, &logs, "were trimmed before it read them")
	if revoked, err := a.Revoked(ctx, trimmed); err != nil || !revoked {
		t.Fatalf("the trimmed revocation: %v %v, want revoked", revoked, err)
	}
}

// TestOutageRefusesSessions serves an application on a loopback HTTP
// server with its sessions in Redis, and kills Redis with SIGKILL: a
// session's requests get 401 (not 500, not a pass) and keep their cookie,
// and once Redis is back, with its append-only file, the same cookie
// gets 200 again.
func TestOutageRefusesSessions(t *testing.T) {
	srv := startRedis(t, persistent...)
	rdb := srv.Client(t)
	p := newProcess(t, rdb)
	cookie, sid := p.login(t, "alice", "alice-pw")
	want := "alice " + sid

	srv.Kill()
	for range 3 {
		status, _, cookies := p.get(t, "", "", cookie)
		if status != 401 {
			t.Fatalf("a session with Redis down: %d, want 401", status)
		}
		for _, c := range cookies {
			if c.Name == auth.DefaultSessionCookie {
				t.Fatalf("the cookie was cleared while Redis was down: %+v", c)
			}
		}
	}

	srv.Start()
	answering(t, rdb)
	if status, body, _ := p.get(t, "", "", cookie); status != 200 || body != want {
		t.Fatalf("the session once Redis is back: %d %q, want 200 %q", status, body, want)
	}
}

// TestApplyRetriesWhatFails: an announcement that the process cannot
// apply because its own Redis calls fail (its link to Redis is cut, while
// the stream is still read) is applied once they work again: its hooks
// then run, once.
func TestApplyRetriesWhatFails(t *testing.T) {
	srv := servetest.Redis(t)
	link := newLinkProxy(t, srv.Addr)
	var logs servetest.SyncBuffer
	one := newProcess(t, newClient(t, link.Addr)) // its sessions and revocations through the link
	two := newProcess(t, srv.Client(t))
	one.applyFrom(t, redisstore.New(srv.Client(t), redisstore.Config{Logger: logTo(&logs)}), two)

	link.Cut(true)
	id := randomID(t)
	if err := two.a.Revoke(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	waitLog(t, &logs, "watching revocations failed")
	if contains(one.endedSessions(), id) {
		t.Fatal("the hooks ran although the revocation could not be applied")
	}
	link.Cut(false)
	deadline := time.Now().Add(safetyNet)
	for !contains(one.endedSessions(), id) {
		if time.Now().After(deadline) {
			t.Fatal("the revocation was never applied")
		}
		time.Sleep(10 * time.Millisecond)
	}
	marker := randomID(t)
	if err := two.a.Revoke(context.Background(), marker); err != nil {
		t.Fatal(err)
	}
	for !contains(one.endedSessions(), marker) {
		if time.Now().After(deadline) {
			t.Fatal("the next revocation was never applied")
		}
		time.Sleep(10 * time.Millisecond)
	}
	n := 0
	for _, e := range one.endedSessions() {
		if e == id {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the hooks ran %d times for the revocation, want once", n)
	}
}
