package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The OIDC token records: oidcTokensBucket maps a key to its deadline
// (Unix seconds, big-endian) and the value; oidcTokenDeadlinesBucket
// holds deadline+key, empty, in deadline order, for sweeping.
var (
	oidcTokensBucket         = []byte("oidc-tokens")
	oidcTokenDeadlinesBucket = []byte("oidc-token-deadlines")
)

// OIDCTokens is a TokenStore for auth/oidclogin (Config.TokenStore) in
// the Store's file, so that what refreshing a session needs (its refresh
// token, sealed by oidclogin under keys derived from the session keys:
// the file alone gives none away) outlives a restart, as the sessions
// and logouts in the same file do. Without it, oidclogin keeps them in
// memory, and after a restart a session lives on without refreshes. It
// matches oidclogin's interface without this package importing
// oidclogin, so a program that uses the file without OpenID Connect
// compiles none of it. Get one from [Store.OIDCTokens].
//
// Save and Delete return once the file is synced. A record past its
// deadline is never returned; expired records are deleted at Open and a
// few at a time by every Save.
type OIDCTokens struct{ s *Store }

// OIDCTokens returns the Store's TokenStore for auth/oidclogin.
func (s *Store) OIDCTokens() *OIDCTokens { return &OIDCTokens{s: s} }

// Load returns the value saved under key, or nil when there is none or
// it has expired.
func (t *OIDCTokens) Load(_ context.Context, key string) ([]byte, error) {
	var out []byte
	now := t.s.now().Unix()
	err := t.s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(oidcTokensBucket).Get([]byte(key))
		if len(v) < 8 || int64(binary.BigEndian.Uint64(v)) <= now {
			return nil
		}
		out = bytes.Clone(v[8:])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: loading OIDC tokens: %w", err)
	}
	return out, nil
}

// Save keeps value under key until until, replacing what was there. A
// record whose until has passed is not kept (and the old one goes).
func (t *OIDCTokens) Save(_ context.Context, key string, value []byte, until time.Time) error {
	if key == "" {
		return errors.New("boltstore: an OIDC token record needs a key")
	}
	now := t.s.now()
	err := t.s.db.Update(func(tx *bolt.Tx) error {
		if err := deleteToken(tx, []byte(key)); err != nil {
			return err
		}
		if until.After(now) {
			v := binary.BigEndian.AppendUint64(nil, uint64(until.Unix()))
			if err := tx.Bucket(oidcTokensBucket).Put([]byte(key), append(v, value...)); err != nil {
				return err
			}
			if err := tx.Bucket(oidcTokenDeadlinesBucket).Put(append(v[:8:8], key...), nil); err != nil {
				return err
			}
		}
		return sweepTokens(tx, now, sweepPerWrite)
	})
	if err != nil {
		return fmt.Errorf("boltstore: saving OIDC tokens: %w", err)
	}
	return nil
}

// Delete forgets key; one that is not there is no error.
func (t *OIDCTokens) Delete(_ context.Context, key string) error {
	err := t.s.db.Update(func(tx *bolt.Tx) error { return deleteToken(tx, []byte(key)) })
	if err != nil {
		return fmt.Errorf("boltstore: deleting OIDC tokens: %w", err)
	}
	return nil
}

// deleteToken removes key's record and its deadline entry.
func deleteToken(tx *bolt.Tx, key []byte) error {
	records := tx.Bucket(oidcTokensBucket)
	v := records.Get(key)
	if v == nil {
		return nil
	}
	if len(v) >= 8 {
		if err := tx.Bucket(oidcTokenDeadlinesBucket).Delete(append(bytes.Clone(v[:8]), key...)); err != nil {
			return err
		}
	}
	return records.Delete(key)
}

// sweepTokens deletes up to limit records past their deadline (0: all).
func sweepTokens(tx *bolt.Tx, now time.Time, limit int) error {
	var expired [][]byte
	c := tx.Bucket(oidcTokenDeadlinesBucket).Cursor()
	for k, _ := c.First(); k != nil && (limit == 0 || len(expired) < limit); k, _ = c.Next() {
		if len(k) <= 8 || int64(binary.BigEndian.Uint64(k)) > now.Unix() {
			break
		}
		expired = append(expired, bytes.Clone(k[8:]))
	}
	for _, key := range expired {
		if err := deleteToken(tx, key); err != nil {
			return err
		}
	}
	return nil
}

// checkTokens makes the token buckets if needed, checks that every record
// has a deadline and its deadline entry, and deletes the expired ones.
func checkTokens(tx *bolt.Tx, now time.Time) error {
	records, err := tx.CreateBucketIfNotExists(oidcTokensBucket)
	if err != nil {
		return err
	}
	deadlines, err := tx.CreateBucketIfNotExists(oidcTokenDeadlinesBucket)
	if err != nil {
		return err
	}
	err = records.ForEach(func(k, v []byte) error {
		if len(k) == 0 || len(v) < 8 || deadlines.Get(append(bytes.Clone(v[:8]), k...)) == nil {
			return fmt.Errorf("%w: malformed OIDC token record", ErrCorrupt)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = deadlines.ForEach(func(k, _ []byte) error {
		if v := records.Get(k[min(8, len(k)):]); len(k) <= 8 || len(v) < 8 || !bytes.Equal(v[:8], k[:8]) {
			return fmt.Errorf("%w: an OIDC token deadline without its record", ErrCorrupt)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return sweepTokens(tx, now, 0)
}
