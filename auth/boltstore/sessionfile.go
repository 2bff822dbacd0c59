package boltstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/authwire/authwire/auth"
)

// The sessions are kept in three buckets, which Open checks against each
// other and every write keeps in step:
//
//   - sessionsBucket: session ID → record: the SHA-256 of the cookie's
//     reference (32 bytes), the deadline (Unix seconds, big-endian, 8
//     bytes) and the session as JSON;
//   - refsBucket: SHA-256 of a cookie's reference → session ID;
//   - deadlinesBucket: deadline (8 bytes) followed by the session ID →
//     nothing, in deadline order, for sweeping.
//
// The deadline is when the session can no longer be used: its absolute
// expiry, or its idle timeout after it was last saved, whichever is
// first. The references themselves are never written: a copy of the file
// names no cookie that would work.
var (
	sessionsBucket  = []byte("sessions")
	refsBucket      = []byte("session-refs")
	deadlinesBucket = []byte("session-deadlines")
)

const (
	refHashLen = sha256.Size
	headerLen  = refHashLen + 8
	// idLen is the length of a session ID (or a cookie's reference): 32
	// bytes, base64url without padding.
	idLen = 43
)

// record is a session as the file holds it.
type record struct {
	ref      [refHashLen]byte
	deadline int64
	session  []byte // JSON
}

// encode returns r as the file holds it.
func (r record) encode() []byte {
	b := make([]byte, headerLen, headerLen+len(r.session))
	copy(b, r.ref[:])
	binary.BigEndian.PutUint64(b[refHashLen:], uint64(r.deadline))
	return append(b, r.session...)
}

// decodeHeader reads a record's reference hash and deadline, not its
// session.
func decodeHeader(id, b []byte) (record, error) {
	var r record
	if len(b) <= headerLen {
		return r, fmt.Errorf("a session record of %d bytes", len(b))
	}
	copy(r.ref[:], b)
	r.deadline = int64(binary.BigEndian.Uint64(b[refHashLen:]))
	return r, nil
}

// decodeRecord reads a record, which must be well-formed and hold the
// session with ID id. The session JSON is copied out of the transaction's
// memory. No error names the session: its ID is not to be logged.
func decodeRecord(id, b []byte) (record, *auth.Session, error) {
	r, err := decodeHeader(id, b)
	if err != nil {
		return r, nil, err
	}
	r.session = bytes.Clone(b[headerLen:])
	var s auth.Session
	if err := json.Unmarshal(r.session, &s); err != nil {
		return r, nil, fmt.Errorf("a session record: %w", err)
	}
	if s.ID != string(id) || !validID(s.ID) || r.deadline <= 0 {
		return r, nil, errors.New("a session record holds another session, or no deadline")
	}
	return r, &s, nil
}

// deadlineKey is the deadlinesBucket key of session id with deadline d.
func deadlineKey(d int64, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(d))
	return append(k, id...)
}

// validID reports whether v looks like a session ID or a cookie's
// reference: 32 bytes, base64url without padding. Anything else is never
// looked up.
func validID(v string) bool {
	if len(v) != idLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil
}

// has reports whether b holds key, whose value may be empty (Get does
// not tell an empty value from none in every case).
func has(b *bolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return bytes.Equal(k, key)
}

// refHash is the SHA-256 of a cookie's reference, as the file keys it.
func refHash(ref string) [refHashLen]byte { return sha256.Sum256([]byte(ref)) }

// checkSessions makes the session buckets if they are missing and checks
// that every entry is well-formed and agrees with the others: every
// session has its reference and its deadline entry, and nothing else is
// there. Run at Open, before anything is trusted.
func checkSessions(tx *bolt.Tx) error {
	var bs [3]*bolt.Bucket
	for i, name := range [][]byte{sessionsBucket, refsBucket, deadlinesBucket} {
		b, err := tx.CreateBucketIfNotExists(name)
		if err != nil {
			return err
		}
		bs[i] = b
	}
	sessions, refs, deadlines := bs[0], bs[1], bs[2]
	n := 0
	err := sessions.ForEach(func(id, v []byte) error {
		r, _, err := decodeRecord(id, v)
		if err != nil {
			return err
		}
		if got := refs.Get(r.ref[:]); !bytes.Equal(got, id) {
			return errors.New("a session whose reference is missing or names another")
		}
		if !has(deadlines, deadlineKey(r.deadline, string(id))) {
			return errors.New("a session without its deadline entry")
		}
		n++
		return nil
	})
	if err != nil {
		return err
	}
	// Each session has one reference and one deadline entry of its own,
	// so equal counts leave no entry that names nothing.
	if r, d := refs.Stats().KeyN, deadlines.Stats().KeyN; r != n || d != n {
		return fmt.Errorf("%d sessions but %d references and %d deadline entries", n, r, d)
	}
	return nil
}

// sweep deletes up to limit sessions whose deadline is not after now
// (every one if limit is 0), earliest first, and returns their IDs.
func sweep(tx *bolt.Tx, now time.Time, limit int) ([]string, error) {
	deadlines := tx.Bucket(deadlinesBucket)
	var expired [][]byte
	c := deadlines.Cursor()
	for k, _ := c.First(); k != nil && (limit == 0 || len(expired) < limit); k, _ = c.Next() {
		if len(k) <= 8 || int64(binary.BigEndian.Uint64(k)) > now.Unix() {
			break
		}
		expired = append(expired, bytes.Clone(k))
	}
	ids := make([]string, 0, len(expired))
	for _, k := range expired {
		id := string(k[8:])
		if err := deleteSession(tx, id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// errNoRecord is deleteSession's answer for an ID the file does not hold.
var errNoRecord = errors.New("no such session")

// deleteSession removes session id, its reference and its deadline entry.
func deleteSession(tx *bolt.Tx, id string) error {
	sessions := tx.Bucket(sessionsBucket)
	v := sessions.Get([]byte(id))
	if v == nil {
		return errNoRecord
	}
	r, err := decodeHeader([]byte(id), v)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err := tx.Bucket(refsBucket).Delete(r.ref[:]); err != nil {
		return err
	}
	if err := tx.Bucket(deadlinesBucket).Delete(deadlineKey(r.deadline, id)); err != nil {
		return err
	}
	return sessions.Delete([]byte(id))
}
