package boltstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/authwire/authwire/internal/testclock"
)

// BenchmarkSessionLoad is the cost of a request's Load of a session kept
// in the file, with 10,000 sessions there.
func BenchmarkSessionLoad(b *testing.B) {
	clock := testclock.New(start)
	st, err := open(filepath.Join(b.TempDir(), "authwire.db"), clock.Now)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ss := st.Sessions(SessionsConfig{})
	ctx := context.Background()
	var cookie string
	st.db.NoSync = true // the setup only
	for i := range 10_000 {
		sess := newSession(1, "user", start, time.Hour)
		sess.ID = sessionIDOf(i)
		if cookie, err = ss.Save(ctx, sess); err != nil {
			b.Fatal(err)
		}
	}
	st.db.NoSync = false
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := ss.Load(ctx, cookie); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSessionSave is the cost of a refresh: one session saved again,
// a synced transaction each time.
func BenchmarkSessionSave(b *testing.B) {
	clock := testclock.New(start)
	st, err := open(filepath.Join(b.TempDir(), "authwire.db"), clock.Now)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ss := st.Sessions(SessionsConfig{})
	sess := newSession(1, "user", start, time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ss.Save(context.Background(), sess); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIndexPut is the cost of a refresh's index write: one of a
// user's ten records rewritten, a synced transaction each time.
func BenchmarkIndexPut(b *testing.B) {
	clock := testclock.New(start)
	st, err := open(filepath.Join(b.TempDir(), "authwire.db"), clock.Now)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for i := range 10 {
		if err := st.Put(ctx, indexRecord(sessionIDOf(i), "alice", start, "")); err != nil {
			b.Fatal(err)
		}
	}
	r := indexRecord(sessionIDOf(0), "alice", start, "")
	b.ReportAllocs()
	for b.Loop() {
		if err := st.Put(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
