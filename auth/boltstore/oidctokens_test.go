package boltstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/authwire/authwire/internal/testclock"
)

// TestOIDCTokensOutliveTheProcess saves, replaces, deletes and expires
// token records, and finds after a restart those still in force, with
// the expired ones gone from the file.
func TestOIDCTokensOutliveTheProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authwire.db")
	clock := testclock.New(start)
	s := openAt(t, path, clock)
	ctx := context.Background()
	tok := s.OIDCTokens()
	load := func(key string) string {
		t.Helper()
		v, err := tok.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return string(v)
	}
	save := func(key, value string, d time.Duration) {
		t.Helper()
		if err := tok.Save(ctx, key, []byte(value), clock.Now().Add(d)); err != nil {
			t.Fatal(err)
		}
	}
	save("a", "first", time.Hour)
	save("a", "second", 2*time.Hour) // replaces, with a new deadline
	save("b", "short", time.Minute)
	save("c", "gone", time.Hour)
	save("d", "past", -time.Second) // not kept
	if err := tok.Delete(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if err := tok.Delete(ctx, "never"); err != nil {
		t.Fatalf("deleting a key that is not there: %v", err)
	}
	if load("a") != "second" || load("b") != "short" || load("c") != "" || load("d") != "" {
		t.Fatalf("before the restart: a=%q b=%q c=%q d=%q", load("a"), load("b"), load("c"), load("d"))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	clock.Advance(time.Hour + time.Minute) // "b" and a's first deadline have passed
	s = openAt(t, path, clock)
	tok = s.OIDCTokens()
	if load("a") != "second" || load("b") != "" {
		t.Fatalf("after the restart: a=%q b=%q", load("a"), load("b"))
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(oidcTokensBucket).Stats().KeyN; n != 1 {
			t.Errorf("%d records in the file, want 1", n)
		}
		if n := tx.Bucket(oidcTokenDeadlinesBucket).Stats().KeyN; n != 1 {
			t.Errorf("%d deadline entries in the file, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Past its deadline a record is not returned, even before a sweep.
	clock.Advance(time.Hour)
	if load("a") != "" {
		t.Fatal("a record past its deadline was returned")
	}
	if err := tok.Save(ctx, "", []byte("x"), clock.Now().Add(time.Hour)); err == nil {
		t.Error("a record without a key was saved")
	}
}

// TestOIDCTokensCorrupt: a malformed token record makes Open fail with
// ErrCorrupt rather than start without it.
func TestOIDCTokensCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authwire.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(oidcTokensBucket).Put([]byte("k"), []byte("short"))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(path); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a file with a malformed token record: %v, want ErrCorrupt", err)
	}
}
