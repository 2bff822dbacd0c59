package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth"
)

// Regulator is an [auth.Regulator] whose counts and bans live in Redis,
// shared by every process on the same Redis and Prefix. Make it with
// [Store.Regulator].
type Regulator struct {
	s      *Store
	policy auth.RegulationPolicy
}

// Regulator returns a regulator applying p, which must be valid
// ([auth.RegulationPolicy.Validate]).
func (s *Store) Regulator(p auth.RegulationPolicy) (*Regulator, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Regulator{s: s, policy: p}, nil
}

// keys returns the failure-count and ban keys of a regulation key, which
// is hashed: user names and addresses never appear in Redis.
func (r *Regulator) keys(key string) (count, ban string) {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:16])
	return r.s.prefix + "f:" + h, r.s.prefix + "b:" + h
}

// failScript records one failure atomically, with the semantics of
// auth.RegulationPolicy: the window starts at the first failure; reaching
// the limit bans the key for the ban time and starts the count over;
// failures during a ban change nothing.
var failScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
	redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
	redis.call('DEL', KEYS[1])
	return 1
end
return 0
`)

// Banned reports whether key is banned now.
func (r *Regulator) Banned(ctx context.Context, key string) (bool, error) {
	_, ban := r.keys(key)
	n, err := r.s.rdb.Exists(ctx, ban).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: checking a ban: %w", err)
	}
	return n > 0, nil
}

// Fail records a failure for key and reports whether key is banned.
func (r *Regulator) Fail(ctx context.Context, key string) (bool, error) {
	count, ban := r.keys(key)
	banned, err := failScript.Run(ctx, r.s.rdb, []string{count, ban},
		r.policy.MaxFailures, max(r.policy.Window.Milliseconds(), 1), max(r.policy.BanTime.Milliseconds(), 1)).Int()
	if err != nil {
		return false, fmt.Errorf("redisstore: recording a failure: %w", err)
	}
	return banned == 1, nil
}

// Succeed clears key's failure count; a ban in force stays.
func (r *Regulator) Succeed(ctx context.Context, key string) error {
	count, _ := r.keys(key)
	if err := r.s.rdb.Del(ctx, count).Err(); err != nil {
		return fmt.Errorf("redisstore: clearing failures: %w", err)
	}
	return nil
}

var _ auth.Regulator = (*Regulator)(nil)
