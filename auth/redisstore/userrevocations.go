package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth"
)

// revokeUserScript sets a user's "not before" time, keeping the later of
// the old and the new, and, when it moves, announces it on the stream, in
// one atomic run. KEYS are the user's mark and the stream (one hash
// slot); ARGV the user name, the time (Unix ms), the mark's time to live
// and the stream's retention (ms). The mark keeps the longer of its old
// and new lives. It returns 1 if it announced, else 0.
var revokeUserScript = redis.NewScript(`
local before, ttl = tonumber(ARGV[2]), tonumber(ARGV[3])
local old = redis.call('GET', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if old and before <= tonumber(old) then
	if left < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
	return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', math.max(ttl, left))
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('XADD', KEYS[2], 'MINID', string.format('%d', now - tonumber(ARGV[4])), '*', 'user', ARGV[1], 'before', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
`)

// RevokeUser revokes every session of user issued at or before before
// (to the millisecond), for every process on the same Redis and Prefix,
// until until; of two calls for one user the later before is kept. When
// before moves, it is announced on the revocation stream, in the same
// atomic script run, so that [Store.ApplyRevocations] closes the user's
// sockets in every process. An until already past records nothing; an
// empty user is an error.
func (s *Store) RevokeUser(ctx context.Context, user string, before, until time.Time) error {
	if user == "" {
		return errors.New("redisstore: cannot revoke the sessions of an empty user name")
	}
	ttl := time.Until(until)
	if ttl <= 0 {
		return nil
	}
	err := revokeUserScript.Run(ctx, s.rdb, []string{s.userRevokedKey(user), s.streamKey()},
		user, before.UnixMilli(), max(ttl.Milliseconds(), 1), s.lifetime.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("redisstore: revoking the sessions of a user: %w", err)
	}
	return nil
}

// SessionRevoked reports whether the session with ID id, of user, issued
// at issued, is revoked: by [Store.Revoke] of its ID, or by
// [Store.RevokeUser] of its user with a before not earlier than issued.
// It is one MGET, of two keys of one hash slot.
func (s *Store) SessionRevoked(ctx context.Context, id, user string, issued time.Time) (bool, error) {
	vals, err := s.rdb.MGet(ctx, s.revokedKey(id), s.userRevokedKey(user)).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: checking a revocation: %w", err)
	}
	if len(vals) != 2 {
		return false, fmt.Errorf("redisstore: checking a revocation: MGET answered %d values, want 2", len(vals))
	}
	if vals[0] != nil {
		return true, nil
	}
	if vals[1] == nil {
		return false, nil
	}
	text, _ := vals[1].(string)
	before, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return false, fmt.Errorf("redisstore: a user's revocation holds %q, not a time", text)
	}
	return issued.UnixMilli() <= before, nil
}

var _ auth.UserRevocationList = (*Store)(nil)
