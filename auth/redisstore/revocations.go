package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// revokeScript marks a session revoked and, the first time, announces it
// on the stream, in one atomic run: a revocation is never marked without
// its announcement, nor announced twice. KEYS are the mark and the
// stream (one hash slot); ARGV the session ID, the mark's time to live
// and the stream's retention (ms). The announcement trims the entries
// older than the retention, by Redis's own clock (the one its entry IDs
// are made of), and gives the stream the retention as its expiry. It
// returns 1 if it announced, 0 if the session was revoked already.
var revokeScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('XADD', KEYS[2], 'MINID', string.format('%d', now - tonumber(ARGV[3])), '*', 'id', ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`)

// Revoke marks session id revoked until until (at least a second), and,
// the first time, announces it to every [Store.WatchRevocations], in one
// atomic script run: when Redis fails, neither is done, and Revoke
// returns the error.
func (s *Store) Revoke(ctx context.Context, id string, until time.Time) error {
	ttl := max(time.Until(until), time.Second)
	err := revokeScript.Run(ctx, s.rdb, []string{s.revokedKey(id), s.streamKey()},
		id, ttl.Milliseconds(), s.lifetime.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("redisstore: revoking a session: %w", err)
	}
	return nil
}

// Revoked reports whether session id is revoked by [Store.Revoke] (the
// guard asks [Store.SessionRevoked], which sees a user's revocations
// too).
func (s *Store) Revoked(ctx context.Context, id string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.revokedKey(id)).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: checking a revocation: %w", err)
	}
	return n > 0, nil
}
