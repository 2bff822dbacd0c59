package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/authwire/authwire/auth"
)

var _ auth.SessionIndex = (*Store)(nil)

// Put records r in the file's session index, replacing the record of the
// same user and ID, and returns once that is on disk. As
// [auth.MemorySessionIndex] does, it drops the user's expired records,
// and keeps the newest [auth.MaxSessionsPerUser] of the user's records.
// A record already expired is not kept. A record without an ID or a
// user, or with a name over 65535 bytes, is an error.
func (s *Store) Put(_ context.Context, r auth.SessionRecord) error {
	if err := validRecord(r); err != nil {
		return err
	}
	now := s.now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		recs, err := userRecords(tx, r.User)
		if err != nil {
			return err
		}
		keep := slices.DeleteFunc(slices.Clone(recs), func(o auth.SessionRecord) bool { return o.ID == r.ID || !o.Expires.After(now) })
		if r.Expires.After(now) {
			keep = append(keep, r)
		}
		slices.SortFunc(keep, newestFirst)
		keep = keep[:min(len(keep), auth.MaxSessionsPerUser)]
		kept := make(map[string]bool, len(keep))
		for _, o := range keep {
			kept[o.ID] = true
		}
		for _, o := range recs {
			if o.ID == r.ID || !kept[o.ID] {
				if err := removeRecord(tx, o); err != nil {
					return err
				}
			}
		}
		if !kept[r.ID] {
			return nil
		}
		return putRecord(tx, r)
	})
	if err != nil {
		return fmt.Errorf("boltstore: recording a session: %w", err)
	}
	return nil
}

// Remove forgets the record of session id of user, on disk before it
// returns. A record that is not there is no error.
func (s *Store) Remove(_ context.Context, user, id string) error {
	if len(user) > maxName {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		k := indexKey(user, id)
		v := tx.Bucket(indexBucket).Get(k)
		if v == nil {
			return nil
		}
		r, err := decodeEntry(k, v)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return removeRecord(tx, r)
	})
	if err != nil {
		return fmt.Errorf("boltstore: removing a session record: %w", err)
	}
	return nil
}

// List returns the records of user's sessions that have not expired,
// newest first.
func (s *Store) List(_ context.Context, user string) ([]auth.SessionRecord, error) {
	if len(user) > maxName {
		return nil, nil
	}
	now := s.now()
	var recs []auth.SessionRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		recs, err = userRecords(tx, user)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: listing sessions: %w", err)
	}
	recs = slices.DeleteFunc(recs, func(o auth.SessionRecord) bool { return !o.Expires.After(now) })
	slices.SortFunc(recs, newestFirst)
	return recs, nil
}

// Find returns the records, not expired, of the sessions that provider
// started for its session providerSession, newest first; none for an
// empty providerSession.
func (s *Store) Find(_ context.Context, provider, providerSession string) ([]auth.SessionRecord, error) {
	if providerSession == "" || len(provider) > maxName || len(providerSession) > maxName {
		return nil, nil
	}
	now := s.now()
	prefix := providerPrefix(provider, providerSession)
	var out []auth.SessionRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		index := tx.Bucket(indexBucket)
		c := tx.Bucket(providerBucket).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			user, id, ok := cutName(k[len(prefix):])
			if !ok {
				return fmt.Errorf("%w: a provider entry that is malformed", ErrCorrupt)
			}
			key := indexKey(user, string(id))
			v := index.Get(key)
			if v == nil {
				return fmt.Errorf("%w: a provider entry naming no session record", ErrCorrupt)
			}
			r, err := decodeEntry(key, v)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
			if r.Expires.After(now) {
				out = append(out, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: finding sessions: %w", err)
	}
	slices.SortFunc(out, newestFirst)
	return out, nil
}

// newestFirst orders records by creation, newest first, then by ID, as
// auth.MemorySessionIndex does.
func newestFirst(a, b auth.SessionRecord) int {
	if c := b.Created.Compare(a.Created); c != 0 {
		return c
	}
	return bytes.Compare([]byte(a.ID), []byte(b.ID))
}
