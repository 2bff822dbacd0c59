// Package boltstore keeps authwire's state in one bbolt file, so that a
// logout, and a server-side session if wanted, outlive a restart on a
// machine with no other service:
//
//	st, err := boltstore.Open("/var/lib/myapp/authwire.db")
//	...
//	defer st.Close()
//	a, err := auth.New(mux, auth.WithSessions(auth.SessionConfig{Keys: keys, Revocations: st}), ...)
//
// [Store] is the revocation list, of sessions and of users ("log out
// everywhere", [auth.UserRevocationList]), and the index of each user's
// sessions ([auth.SessionIndex], which auth uses by default when the
// revocation list is one); [Store.Sessions] is a server-side
// [auth.SessionStore] in the same file, for sessions that a logout
// deletes and a restart keeps even without the same keys:
//
//	auth.SessionConfig{Keys: keys, Store: st.Sessions(boltstore.SessionsConfig{}), Revocations: st}
//
// and [Store.OIDCTokens] keeps auth/oidclogin's refresh tokens there
// (oidclogin.Config.TokenStore), so that sessions go on refreshing after
// a restart.
//
// bbolt (go.etcd.io/bbolt, the store etcd keeps its data in) is one file,
// pure Go, with transactions that are on disk (fsync) when they commit: a
// Revoke or a session's Save returns only once it would survive a crash,
// so a logout has been written before it answers. A Store reads the
// revocations once, at Open, and answers Revoked from memory: the check
// on every request costs a map lookup, not a disk read. The file is
// locked for one process; several processes share state through
// auth/redisstore instead.
package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/authwire/authwire/auth"
)

// ErrCorrupt is wrapped by the error Open returns for a file that is not
// a bbolt database, or holds entries this package did not write.
var ErrCorrupt = errors.New("boltstore: the file is corrupt")

// revocationsBucket holds one entry per revoked session: its ID, and the
// time (Unix seconds, big-endian) until which it stays revoked.
var revocationsBucket = []byte("revocations")

// Store is an [auth.UserRevocationList] and an [auth.SessionIndex] kept
// in a bbolt file; its SessionStores ([Store.Sessions]) keep sessions in
// the same file. Every write is on disk when it returns; revocations are
// answered from memory, the index and the sessions from the file. It is
// safe for concurrent use.
type Store struct {
	db   *bolt.DB
	mem  *auth.MemoryRevocations
	refs *knownRefs
	now  func() time.Time
}

var _ auth.RevocationList = (*Store)(nil)

// Open opens the file at path, creating it (mode 0600) and its directory
// (0700) if needed, and reads the revocations still in force; it drops
// those that have expired, and the sessions past their deadline (see
// [SessionsConfig]). It never starts from an empty list in place of a
// file it cannot read: a file that is not a bbolt database, or whose
// entries are malformed or disagree, is an error wrapping [ErrCorrupt]; a file that
// cannot be opened (permissions) is an error too, and so is a file
// another process holds, after waiting a second for it.
func Open(path string) (*Store, error) { return open(path, time.Now) }

// open is Open with a clock of the caller's.
func open(path string, now func() time.Time) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	switch {
	case errors.Is(err, bolt.ErrTimeout):
		return nil, fmt.Errorf("boltstore: %s is in use by another process; give each process a file of its own, or share revocations through auth/redisstore", path)
	case errors.Is(err, bolt.ErrInvalid), errors.Is(err, bolt.ErrChecksum), errors.Is(err, bolt.ErrVersionMismatch):
		return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	case err != nil:
		return nil, fmt.Errorf("boltstore: %w", err) // unreadable: permissions, a directory, ...
	}
	s := &Store{db: db, now: now, refs: newKnownRefs()}
	s.mem = auth.NewMemoryRevocations(s.now)
	if err := s.load(); err != nil {
		db.Close()
		if errors.Is(err, ErrCorrupt) {
			return nil, fmt.Errorf("boltstore: %s: %w", path, err)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	return s, nil
}

// load reads the revocations (of sessions and of users) in force into
// memory and deletes the rest, checks the session index and the sessions
// and deletes the expired ones.
func (s *Store) load() error {
	now := s.now()
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := s.loadRevocations(tx, now); err != nil {
			return err
		}
		if err := s.loadUserRevocations(tx, now); err != nil {
			return err
		}
		if err := checkIndex(tx, now); err != nil {
			return err
		}
		if err := checkSessions(tx); err != nil {
			return err
		}
		if err := checkTokens(tx, now); err != nil {
			return err
		}
		_, err := sweep(tx, now, 0)
		return err
	})
}

// loadRevocations reads the revocations in force into memory and deletes
// the rest.
func (s *Store) loadRevocations(tx *bolt.Tx, now time.Time) error {
	b, err := tx.CreateBucketIfNotExists(revocationsBucket)
	if err != nil {
		return err
	}
	var expired [][]byte
	err = b.ForEach(func(k, v []byte) error {
		if len(v) != 8 || len(k) == 0 {
			return fmt.Errorf("malformed entry %q", k)
		}
		until := time.Unix(int64(binary.BigEndian.Uint64(v)), 0)
		if !until.After(now) {
			expired = append(expired, k)
			return nil
		}
		return s.mem.Revoke(context.Background(), string(k), until)
	})
	if err != nil {
		return err
	}
	return deleteKeys(b, expired)
}

// Revoke records that the session with ID id is revoked until until, on
// disk (synced) and then in memory. It returns once the entry would
// survive a crash; on an error the session is revoked in memory anyway,
// so this process refuses it, and the error says the revocation may not
// outlive a restart.
func (s *Store) Revoke(ctx context.Context, id string, until time.Time) error {
	if !until.After(s.now()) {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(until.Unix()))
		return tx.Bucket(revocationsBucket).Put([]byte(id), v[:])
	})
	if merr := s.mem.Revoke(ctx, id, until); merr != nil {
		return merr
	}
	if err != nil {
		return fmt.Errorf("boltstore: writing a revocation: %w", err)
	}
	return nil
}

// Revoked reports whether the session with ID id is revoked, from memory.
func (s *Store) Revoked(ctx context.Context, id string) (bool, error) {
	return s.mem.Revoked(ctx, id)
}

// Close closes the file. Revoke fails after it, and so do the methods of
// its SessionStores.
func (s *Store) Close() error { return s.db.Close() }

// deleteKeys deletes keys from b: the expired entries a load found,
// which cannot be deleted while ForEach walks the bucket.
func deleteKeys(b *bolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
