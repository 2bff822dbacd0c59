package boltstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/authwire/authwire/auth"
)

// sweepPerWrite is how many expired sessions each write of a session
// deletes besides its own work. A write adds at most one session, so
// sweeping more than one keeps the expired ones from piling up, and the
// work of a write stays bounded however many have expired.
const sweepPerWrite = 16

// SessionsConfig configures a [SessionStore]. Zero fields take the
// defaults given.
type SessionsConfig struct {
	// IdleTimeout should be the sessions' idle timeout
	// (auth.SessionConfig.IdleTimeout): a session is dropped from the
	// file once it has not been saved for that long (it is saved at least
	// once a minute while in use), or once it has expired. Default
	// auth.DefaultIdleTimeout.
	IdleTimeout time.Duration
}

// SessionStore is an [auth.SessionStore] that keeps sessions server-side,
// in the Store's file, so that they outlive a restart and a logout
// deletes them. Make one with [Store.Sessions]. It is safe for concurrent
// use.
//
// The cookie holds a random reference of its own (32 bytes, base64url),
// not the session ID, and the file holds only the reference's SHA-256:
// neither a session ID nor a copy of the file is a cookie that works.
// Save returns once the session is on disk (synced). Load reads the file
// (bbolt maps it into memory, so this is no disk read in the common
// case), and refuses a session past its deadline even before it is swept.
// Expired and idle sessions are deleted at Open, and a few at a time by
// every Save and Delete; nothing runs in the background.
type SessionStore struct {
	st   *Store
	idle time.Duration
}

var _ auth.SessionStore = (*SessionStore)(nil)

// Sessions returns a [SessionStore] keeping sessions in s's file. Stores
// returned by several calls share the sessions; each applies its own
// IdleTimeout to the sessions it saves.
func (s *Store) Sessions(cfg SessionsConfig) *SessionStore {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = auth.DefaultIdleTimeout
	}
	return &SessionStore{st: s, idle: cfg.IdleTimeout}
}

// Save stores sess until its deadline (see [SessionsConfig]) and returns
// the cookie value that names it: for a session the file holds already
// and whose cookie this process has given out or loaded, the same value
// as before; for a new one, a new random reference. (A session saved
// again with a cookie this process never saw, such as one of another
// Store's, gets a new reference, and its old cookie names nothing from
// then on.) A session already past its deadline is not stored: the error
// wraps [auth.ErrNoSession]. A session whose ID authwire did not make is
// an error.
func (ss *SessionStore) Save(_ context.Context, sess *auth.Session) (string, error) {
	if sess == nil || !validID(sess.ID) {
		return "", errors.New("boltstore: a session needs an ID made by authwire")
	}
	now := ss.st.now()
	deadline := min(sess.ExpiresAt, time.Unix(sess.LastSeen, 0).Add(ss.idle).Unix())
	if deadline <= now.Unix() {
		return "", fmt.Errorf("boltstore: session already expired: %w", auth.ErrNoSession)
	}
	js, err := json.Marshal(sess)
	if err != nil {
		return "", err
	}
	var (
		ref    string
		minted bool
		swept  []string
	)
	err = ss.st.db.Update(func(tx *bolt.Tx) error {
		sessions, refs, deadlines := tx.Bucket(sessionsBucket), tx.Bucket(refsBucket), tx.Bucket(deadlinesBucket)
		ref, minted = "", false
		var err error
		if old := sessions.Get([]byte(sess.ID)); old != nil {
			r, err := decodeHeader([]byte(sess.ID), old)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
			if known := ss.st.refs.get(sess.ID); known != "" && refHash(known) == r.ref {
				ref = known
			}
			if err := deleteSession(tx, sess.ID); err != nil {
				return err
			}
		}
		if ref == "" {
			if ref, err = newRef(); err != nil {
				return err
			}
			// Known from now on, so that a Save of this session waiting
			// for this transaction to commit finds it.
			ss.st.refs.put(sess.ID, ref)
			minted = true
		}
		h := refHash(ref)
		if err := refs.Put(h[:], []byte(sess.ID)); err != nil {
			return err
		}
		if err := deadlines.Put(deadlineKey(deadline, sess.ID), nil); err != nil {
			return err
		}
		if err := sessions.Put([]byte(sess.ID), record{ref: h, deadline: deadline, session: js}.encode()); err != nil {
			return err
		}
		swept, err = sweep(tx, now, sweepPerWrite)
		return err
	})
	if err != nil {
		if minted {
			ss.st.refs.forgetIf(sess.ID, ref)
		}
		return "", fmt.Errorf("boltstore: saving a session: %w", err)
	}
	ss.st.refs.forget(swept...)
	return ref, nil
}

// Load returns the session a cookie value names. A value that is not a
// reference this store made, or names a session deleted or past its
// deadline, wraps [auth.ErrNoSession]; an entry that does not decode is
// an error wrapping [ErrCorrupt].
func (ss *SessionStore) Load(_ context.Context, cookie string) (*auth.Session, error) {
	if !validID(cookie) {
		return nil, auth.ErrNoSession
	}
	sess, err := ss.load(cookie)
	if err != nil {
		return nil, err
	}
	// Remember the cookie of the session, so that Save gives the same
	// value again. A Delete or a sweep may have come between the read
	// and now: then look again, and forget what no longer holds.
	if ss.st.refs.add(sess.ID, cookie) {
		if _, err := ss.load(cookie); err != nil {
			ss.st.refs.forgetIf(sess.ID, cookie)
		}
	}
	return sess, nil
}

// load reads the session cookie names.
func (ss *SessionStore) load(cookie string) (*auth.Session, error) {
	h := refHash(cookie)
	now := ss.st.now().Unix()
	var sess *auth.Session
	err := ss.st.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(refsBucket).Get(h[:])
		if id == nil {
			return auth.ErrNoSession
		}
		v := tx.Bucket(sessionsBucket).Get(id)
		if v == nil {
			return fmt.Errorf("%w: a reference names a missing session", ErrCorrupt)
		}
		r, s, err := decodeRecord(id, v)
		switch {
		case err != nil:
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		case r.ref != h:
			return fmt.Errorf("%w: a session has another reference than the one naming it", ErrCorrupt)
		case r.deadline <= now:
			return auth.ErrNoSession
		}
		sess = s
		return nil
	})
	switch {
	case errors.Is(err, auth.ErrNoSession):
		return nil, auth.ErrNoSession
	case err != nil:
		return nil, fmt.Errorf("boltstore: loading a session: %w", err)
	}
	return sess, nil
}

// Delete removes sess (only its ID is read), so that its cookie names
// nothing from now on; it returns once that is on disk. A session the
// file does not hold is no error.
func (ss *SessionStore) Delete(_ context.Context, sess *auth.Session) error {
	if sess == nil || !validID(sess.ID) {
		return nil
	}
	now := ss.st.now()
	var swept []string
	err := ss.st.db.Update(func(tx *bolt.Tx) error {
		if err := deleteSession(tx, sess.ID); err != nil && !errors.Is(err, errNoRecord) {
			return err
		}
		var err error
		swept, err = sweep(tx, now, sweepPerWrite)
		return err
	})
	if err != nil {
		return fmt.Errorf("boltstore: deleting a session: %w", err)
	}
	ss.st.refs.forget(append(swept, sess.ID)...)
	return nil
}

// newRef returns a new cookie reference: 32 random bytes, base64url.
func newRef() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
