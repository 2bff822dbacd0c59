package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/authwire/authwire/auth"
)

// userRevocationsBucket holds one entry per user whose sessions were all
// revoked (RevokeUser): the user's name → the "not before" time and the
// time until which the entry holds, Unix nanoseconds, big-endian.
var userRevocationsBucket = []byte("user-revocations")

var _ auth.UserRevocationList = (*Store)(nil)

// RevokeUser revokes every session of user issued at or before before,
// until until, on disk (synced) and then in memory; of two calls for one
// user, the later before and the later until are kept. As [Store.Revoke],
// it returns once the entry would survive a crash, and on an error the
// sessions are revoked in memory anyway. An until already past records
// nothing; an empty user is an error.
//
// The user's sessions that the file keeps ([Store.Sessions]) and that
// its index lists ([Store.Put], which auth does at every login when the
// Store is the index), issued at or before before, are deleted in the
// same transaction: they are refused from then on anyway, and need not
// wait in the file for their deadline.
func (s *Store) RevokeUser(ctx context.Context, user string, before, until time.Time) error {
	if user == "" {
		return errors.New("boltstore: cannot revoke the sessions of an empty user name")
	}
	if !until.After(s.now()) {
		return nil
	}
	var deleted []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(userRevocationsBucket)
		nb, nu := before, until
		if old := b.Get([]byte(user)); old != nil {
			ob, ou, err := decodeUserRevocation(old)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
			if ob.After(nb) {
				nb = ob
			}
			if ou.After(nu) {
				nu = ou
			}
		}
		var v [16]byte
		binary.BigEndian.PutUint64(v[:8], uint64(nb.UnixNano()))
		binary.BigEndian.PutUint64(v[8:], uint64(nu.UnixNano()))
		if err := b.Put([]byte(user), v[:]); err != nil {
			return err
		}
		var err error
		deleted, err = deleteUserSessions(tx, user, nb)
		return err
	})
	s.refs.forget(deleted...)
	if merr := s.mem.RevokeUser(ctx, user, before, until); merr != nil {
		return merr
	}
	if err != nil {
		return fmt.Errorf("boltstore: writing a user's revocation: %w", err)
	}
	return nil
}

// deleteUserSessions deletes the server-side sessions of user issued at
// or before before that the index lists, and returns their IDs.
func deleteUserSessions(tx *bolt.Tx, user string, before time.Time) ([]string, error) {
	records, err := userRecords(tx, user)
	if err != nil {
		return nil, err
	}
	var deleted []string
	for _, r := range records {
		v := tx.Bucket(sessionsBucket).Get([]byte(r.ID))
		if len(v) <= headerLen {
			continue // not a session the file keeps (a cookie store's, say)
		}
		var sess struct {
			User   string `json:"u"`
			Issued int64  `json:"ia"`
		}
		if err := json.Unmarshal(v[headerLen:], &sess); err != nil {
			return nil, fmt.Errorf("%w: a session record that is not JSON", ErrCorrupt)
		}
		if sess.User != user || time.Unix(sess.Issued, 0).After(before) {
			continue
		}
		if err := deleteSession(tx, r.ID); err != nil {
			return nil, err
		}
		deleted = append(deleted, r.ID)
	}
	return deleted, nil
}

// SessionRevoked reports, from memory, whether the session with ID id of
// user, issued at issued, is revoked by its ID or by a RevokeUser.
func (s *Store) SessionRevoked(ctx context.Context, id, user string, issued time.Time) (bool, error) {
	return s.mem.SessionRevoked(ctx, id, user, issued)
}

// decodeUserRevocation reads a userRevocationsBucket value.
func decodeUserRevocation(v []byte) (before, until time.Time, err error) {
	if len(v) != 16 {
		return before, until, fmt.Errorf("a user revocation of %d bytes", len(v))
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v))), time.Unix(0, int64(binary.BigEndian.Uint64(v[8:]))), nil
}

// loadUserRevocations reads the user revocations in force into memory
// and deletes the rest.
func (s *Store) loadUserRevocations(tx *bolt.Tx, now time.Time) error {
	b, err := tx.CreateBucketIfNotExists(userRevocationsBucket)
	if err != nil {
		return err
	}
	var expired [][]byte
	err = b.ForEach(func(k, v []byte) error {
		before, until, err := decodeUserRevocation(v)
		switch {
		case err != nil:
			return err
		case len(k) == 0:
			return errors.New("a user revocation of an empty user name")
		case !until.After(now):
			expired = append(expired, k)
			return nil
		}
		return s.mem.RevokeUser(context.Background(), string(k), before, until)
	})
	if err != nil {
		return err
	}
	return deleteKeys(b, expired)
}
