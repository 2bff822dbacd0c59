package boltstore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/authwire/authwire/auth"
)

// The session index is kept in two buckets, which Open checks against
// each other and every write keeps in step:
//
//   - indexBucket: the user's name, length-prefixed, followed by the
//     session ID → the rest of the record, as JSON;
//   - providerBucket: the provider, the provider's session ID and the
//     user's name, each length-prefixed, followed by the session ID →
//     nothing, for the records that have a provider's session ID.
//
// A name's prefix is its length in 2 bytes, big-endian, so that no name
// can pose as the start of another.
var (
	indexBucket    = []byte("index")
	providerBucket = []byte("index-provider")
)

// maxName is the longest user, provider or provider session name the
// index keys take.
const maxName = 1<<16 - 1

// indexEntry is a SessionRecord without the ID and the user, which its
// key holds. Times are Unix nanoseconds, 0 for the zero time.
type indexEntry struct {
	Provider        string `json:"p,omitempty"`
	ProviderSession string `json:"ps,omitempty"`
	Created         int64  `json:"c"`
	LastSeen        int64  `json:"l"`
	Expires         int64  `json:"e"`
	Client          string `json:"a,omitempty"`
	UserAgent       string `json:"ua,omitempty"`
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// appendName appends name, length-prefixed.
func appendName(b []byte, name string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(name)))
	return append(b, name...)
}

// cutName reads a length-prefixed name off the front of b.
func cutName(b []byte) (name string, rest []byte, ok bool) {
	if len(b) < 2 || len(b)-2 < int(binary.BigEndian.Uint16(b)) {
		return "", nil, false
	}
	n := 2 + int(binary.BigEndian.Uint16(b))
	return string(b[2:n]), b[n:], true
}

// userPrefix starts the index keys of user's records.
func userPrefix(user string) []byte { return appendName(nil, user) }

// indexKey is the indexBucket key of session id of user.
func indexKey(user, id string) []byte { return append(userPrefix(user), id...) }

// providerPrefix starts the providerBucket keys of provider's session ps.
func providerPrefix(provider, ps string) []byte { return appendName(appendName(nil, provider), ps) }

// providerKey is the providerBucket key of r.
func providerKey(r auth.SessionRecord) []byte {
	return append(appendName(providerPrefix(r.Provider, r.ProviderSession), r.User), r.ID...)
}

// validRecord reports what is wrong with r for the index, or nil.
func validRecord(r auth.SessionRecord) error {
	switch {
	case r.ID == "" || r.User == "":
		return errors.New("boltstore: a session record needs an ID and a user")
	case len(r.User) > maxName || len(r.Provider) > maxName || len(r.ProviderSession) > maxName:
		return errors.New("boltstore: a session record's user, provider or provider session is over 65535 bytes")
	}
	return nil
}

// encodeEntry is the indexBucket value of r.
func encodeEntry(r auth.SessionRecord) ([]byte, error) {
	return json.Marshal(indexEntry{
		Provider: r.Provider, ProviderSession: r.ProviderSession,
		Created: nanos(r.Created), LastSeen: nanos(r.LastSeen), Expires: nanos(r.Expires),
		Client: r.Client, UserAgent: r.UserAgent,
	})
}

// decodeEntry reads the record an indexBucket entry holds. Its errors do
// not name the session, whose ID is not to be logged.
func decodeEntry(k, v []byte) (auth.SessionRecord, error) {
	user, id, ok := cutName(k)
	if !ok || user == "" || len(id) == 0 {
		return auth.SessionRecord{}, errors.New("a session index key that is malformed")
	}
	var e indexEntry
	if err := json.Unmarshal(v, &e); err != nil {
		return auth.SessionRecord{}, fmt.Errorf("a session index record: %w", err)
	}
	return auth.SessionRecord{
		ID: string(id), User: user, Provider: e.Provider, ProviderSession: e.ProviderSession,
		Created: fromNanos(e.Created), LastSeen: fromNanos(e.LastSeen), Expires: fromNanos(e.Expires),
		Client: e.Client, UserAgent: e.UserAgent,
	}, nil
}

// putRecord writes r and its provider entry; any record of the same
// user and ID must have been removed.
func putRecord(tx *bolt.Tx, r auth.SessionRecord) error {
	v, err := encodeEntry(r)
	if err != nil {
		return err
	}
	if err := tx.Bucket(indexBucket).Put(indexKey(r.User, r.ID), v); err != nil {
		return err
	}
	if r.ProviderSession == "" {
		return nil
	}
	return tx.Bucket(providerBucket).Put(providerKey(r), nil)
}

// removeRecord deletes r's entry and its provider entry.
func removeRecord(tx *bolt.Tx, r auth.SessionRecord) error {
	if err := tx.Bucket(indexBucket).Delete(indexKey(r.User, r.ID)); err != nil {
		return err
	}
	if r.ProviderSession == "" {
		return nil
	}
	return tx.Bucket(providerBucket).Delete(providerKey(r))
}

// userRecords returns every record of user, expired ones too.
func userRecords(tx *bolt.Tx, user string) ([]auth.SessionRecord, error) {
	prefix := userPrefix(user)
	var out []auth.SessionRecord
	c := tx.Bucket(indexBucket).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		r, err := decodeEntry(k, v)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// checkIndex makes the index buckets if they are missing, checks that
// every entry is well-formed and agrees with the others, and deletes the
// records that have expired. Run at Open.
func checkIndex(tx *bolt.Tx, now time.Time) error {
	index, err := tx.CreateBucketIfNotExists(indexBucket)
	if err != nil {
		return err
	}
	providers, err := tx.CreateBucketIfNotExists(providerBucket)
	if err != nil {
		return err
	}
	var expired []auth.SessionRecord
	withProvider := 0
	err = index.ForEach(func(k, v []byte) error {
		r, err := decodeEntry(k, v)
		if err != nil {
			return err
		}
		if r.ProviderSession != "" {
			withProvider++
			if !has(providers, providerKey(r)) {
				return errors.New("a session index record without its provider entry")
			}
		}
		if !r.Expires.After(now) {
			expired = append(expired, r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Each record with a provider session has its own provider entry, so
	// equal counts leave none that names nothing.
	if n := providers.Stats().KeyN; n != withProvider {
		return fmt.Errorf("%d session index records with a provider session but %d provider entries", withProvider, n)
	}
	for _, r := range expired {
		if err := removeRecord(tx, r); err != nil {
			return err
		}
	}
	return nil
}
