package boltstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func revoked(t *testing.T, s *Store, id string) bool {
	t.Helper()
	ok, err := s.Revoked(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestRevocationsOutliveTheProcess revokes, closes the file, opens it
// again and finds the revocations in force, and not those that expired
// meanwhile (which are dropped from the file too).
func TestRevocationsOutliveTheProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "authwire.db")
	clock := time.Now()
	now := func() time.Time { return clock }
	s, err := open(path, now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for id, d := range map[string]time.Duration{"long": time.Hour, "short": time.Minute, "past": -time.Second} {
		if err := s.Revoke(ctx, id, clock.Add(d)); err != nil {
			t.Fatal(err)
		}
	}
	if !revoked(t, s, "long") || !revoked(t, s, "short") || revoked(t, s, "past") || revoked(t, s, "never") {
		t.Fatal("in memory, before the restart")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode: %v %v", fi, err)
	}

	clock = clock.Add(2 * time.Minute) // "short" has expired
	s, err = open(path, now)
	if err != nil {
		t.Fatal(err)
	}
	if !revoked(t, s, "long") || revoked(t, s, "short") {
		t.Fatalf("after the restart: long %v, short %v", revoked(t, s, "long"), revoked(t, s, "short"))
	}
	n := 0
	s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(revocationsBucket).Stats().KeyN; return nil })
	if n != 1 {
		t.Fatalf("%d entries left in the file, want 1", n)
	}
	s.Close()
}

func TestOpenRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte("this is not a bbolt file, it is the wrong file entirely, of some length"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(garbage); !errors.Is(err, ErrCorrupt) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("a garbage file: %v", err)
	}

	bad := filepath.Join(dir, "bad.db")
	db, err := bolt.Open(bad, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucketIfNotExists(revocationsBucket)
		return b.Put([]byte("id"), []byte("not eight bytes"))
	})
	db.Close()
	if s, err := Open(bad); !errors.Is(err, ErrCorrupt) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("a malformed entry: %v", err)
	}

	// A path that cannot be opened as a file is an error, but no claim
	// that a file is corrupt.
	if s, err := Open(dir); err == nil || errors.Is(err, ErrCorrupt) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("a directory: %v", err)
	}

	good := filepath.Join(dir, "good.db")
	s, err := Open(good)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s2, err := Open(good); err == nil {
		s2.Close()
		t.Fatal("a file in use was opened twice")
	}
}
