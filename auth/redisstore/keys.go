package redisstore

import (
	"crypto/sha256"
	"encoding/hex"
)

// The key layout is the package doc's (see Keys there), which
// TestKeyLayout holds byte for byte. Keys that one Lua script touches are
// equal up to their first '}', so that they share Redis Cluster's hash
// slot.

// sessionKey is the key of the session with ID id.
func (s *Store) sessionKey(id string) string { return s.prefix + "s:" + id }

// revokedKey is the key that marks session id revoked.
func (s *Store) revokedKey(id string) string { return s.prefix + "{r}:" + id }

// streamKey is the stream where revocations are announced.
func (s *Store) streamKey() string { return s.prefix + "{r}:revocations" }

// regulationKeys are the attempt-count and ban keys of the regulation key
// whose hashed form is h.
func (s *Store) regulationKeys(h string) (count, ban string) {
	return s.prefix + "rl:{" + h + "}:f", s.prefix + "rl:{" + h + "}:b"
}

// userRevokedKey is the key holding the time before which user's
// sessions are revoked. It shares the stream's slot: RevokeUser writes
// both, and SessionRevoked reads it with a session's mark in one MGET.
func (s *Store) userRevokedKey(user string) string { return s.prefix + "{r}:u:" + hashHex(user) }

// indexKeys are the keys of user's session index: a hash of records by
// session ID, and a sorted set of the same IDs by expiry.
func (s *Store) indexKeys(user string) (records, expiries string) {
	h := hashHex(user)
	return s.prefix + "ix:{" + h + "}:d", s.prefix + "ix:{" + h + "}:e"
}

// providerKey is the key of the sorted set, by expiry, of the sessions
// that provider started for its session providerSession.
func (s *Store) providerKey(provider, providerSession string) string {
	return s.prefix + "ix:p:{" + hashHex(provider+"\x00"+providerSession) + "}"
}

// hashHex is the hex of the first 16 bytes of s's SHA-256: what keys
// carry instead of user names and other names of any length.
func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// oidcTokenKeys are the keys of an OIDC token record whose TokenStore key
// hashes to h: the sealed record, and the lock of its refresh.
func (s *Store) oidcTokenKeys(key string) (record, lock string) {
	h := hashHex(key)
	return s.prefix + "oidc:{" + h + "}:t", s.prefix + "oidc:{" + h + "}:l"
}

// oidcReplayKey is the key of a claimed back-channel logout token, by
// its ReplayCache key.
func (s *Store) oidcReplayKey(key string) string { return s.prefix + "oidc:j:{" + hashHex(key) + "}" }
