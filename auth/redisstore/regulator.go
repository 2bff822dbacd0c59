package redisstore

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth"
)

// Regulator is an [auth.Regulator] whose counts and bans live in Redis,
// shared by every process on the same Redis and Prefix. Make it with
// [Store.Regulator]. Attempt and Refund are each one Lua script run, so
// they are atomic however many processes race on a key; Banned is one
// EXISTS.
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

// keys returns the attempt-count and ban keys of a regulation key, which
// is hashed: user names and addresses never appear in Redis. The two
// share a hash slot, as the scripts touch both.
func (r *Regulator) keys(key string) (count, ban string) {
	return r.s.regulationKeys(hashHex(key))
}

// attemptScript counts one attempt atomically, with the semantics of
// auth.Regulator and auth.RegulationPolicy. KEYS are the count and ban
// keys; ARGV the limit, the window and the ban time (ms). It returns
// {allowed, banned} as 0 or 1.
//
// The count key lives for one window from the first attempt in it. The
// attempt that reaches the limit sets the ban key for the ban time, with
// what was left of the window as its value, and keeps the count at least
// as long as the ban, so that a refund can still lift it. During a ban
// nothing is counted. A count at the limit with no ban belongs to a ban
// that has ended, and starts over.
var attemptScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return {0, 1} end
local limit = tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[1]) or '0') >= limit then redis.call('DEL', KEYS[1]) end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n < limit then return {1, 0} end
local rest = redis.call('PTTL', KEYS[1])
if rest < 0 then rest = tonumber(ARGV[2]) end
redis.call('SET', KEYS[2], rest, 'PX', ARGV[3])
if rest < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, 1}
`)

// refundScript gives back one attempt atomically. KEYS are the count and
// ban keys; ARGV the limit and the ban time (ms). It lowers the count; if
// that takes it below the limit during a ban, it lifts the ban, and gives
// the count back the end of its own window (or drops it, if that has
// passed). A count that reaches zero is dropped. With no count (none
// made, or it ended) it does nothing.
var refundScript = redis.NewScript(`
if tonumber(redis.call('GET', KEYS[1]) or '0') <= 0 then return 0 end
local n = redis.call('DECR', KEYS[1])
if n >= tonumber(ARGV[1]) then return 1 end
local rest = tonumber(redis.call('GET', KEYS[2]) or '')
if rest then
	rest = rest - (tonumber(ARGV[2]) - redis.call('PTTL', KEYS[2]))
	redis.call('DEL', KEYS[2])
	if n > 0 and rest > 0 then redis.call('PEXPIRE', KEYS[1], rest) else n = 0 end
end
if n <= 0 then redis.call('DEL', KEYS[1]) end
return 1
`)

// Attempt counts one attempt for key, in one atomic script run, and
// reports whether it may go ahead and whether key is banned once it is
// counted (see [auth.Regulator]).
func (r *Regulator) Attempt(ctx context.Context, key string) (allowed, banned bool, err error) {
	count, ban := r.keys(key)
	res, err := attemptScript.Run(ctx, r.s.rdb, []string{count, ban},
		r.policy.MaxFailures, max(r.policy.Window.Milliseconds(), 1), max(r.policy.BanTime.Milliseconds(), 1)).Int64Slice()
	if err != nil {
		return false, false, fmt.Errorf("redisstore: counting an attempt: %w", err)
	}
	if len(res) != 2 {
		return false, false, fmt.Errorf("redisstore: counting an attempt: the script answered %d values, want 2", len(res))
	}
	return res[0] == 1, res[1] == 1, nil
}

// Refund gives back one attempt for key, lifting the ban it began if the
// count drops below the limit (see [auth.Regulator]).
func (r *Regulator) Refund(ctx context.Context, key string) error {
	count, ban := r.keys(key)
	if err := refundScript.Run(ctx, r.s.rdb, []string{count, ban},
		r.policy.MaxFailures, max(r.policy.BanTime.Milliseconds(), 1)).Err(); err != nil {
		return fmt.Errorf("redisstore: refunding an attempt: %w", err)
	}
	return nil
}

// Banned reports whether key is banned now, counting nothing.
func (r *Regulator) Banned(ctx context.Context, key string) (bool, error) {
	_, ban := r.keys(key)
	n, err := r.s.rdb.Exists(ctx, ban).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: checking a ban: %w", err)
	}
	return n > 0, nil
}

var _ auth.Regulator = (*Regulator)(nil)
