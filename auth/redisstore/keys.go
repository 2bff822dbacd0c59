package redisstore

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
