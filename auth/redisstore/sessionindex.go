package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth"
)

// putScript records a session in its user's index, in one atomic run.
// KEYS are the user's record hash and expiry set (one hash slot); ARGV
// the session ID, its record, its expiry (Unix ms) and the most records
// a user keeps. It first drops the records that have expired (by Redis's
// clock), then the soonest to expire past the limit, and gives both keys
// the expiry of the last record to go.
var putScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function drop(ids)
	for _, id in ipairs(ids) do
		redis.call('HDEL', KEYS[1], id)
		redis.call('ZREM', KEYS[2], id)
	end
end
drop(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', string.format('%d', now)))
if tonumber(ARGV[3]) > now then
	redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
	redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
else
	drop({ARGV[1]})
end
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if extra > 0 then drop(redis.call('ZRANGE', KEYS[2], 0, extra - 1)) end
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if #last == 0 then
	redis.call('DEL', KEYS[1], KEYS[2])
	return 0
end
redis.call('PEXPIREAT', KEYS[1], last[2])
redis.call('PEXPIREAT', KEYS[2], last[2])
return 1
`)

// providerPutScript adds a member to a provider session's set, in one
// atomic run. KEYS is the set; ARGV the member and its expiry (Unix ms).
// It drops the expired members and gives the set the last expiry.
var providerPutScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now))
if tonumber(ARGV[2]) > now then redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #last > 0 then redis.call('PEXPIREAT', KEYS[1], last[2]) end
return 1
`)

// providerMember is a member of a provider session's set: the session,
// and the user whose index holds its record.
type providerMember struct {
	User string `json:"u"`
	ID   string `json:"s"`
}

// Put records r in its user's index, shared by every process on the
// same Redis and Prefix, replacing any record with the same ID; a user
// keeps at most [auth.MaxSessionsPerUser] records, past which those that
// expire soonest are dropped (the sessions go on; they no longer show in
// [auth.Auth.Sessions]). A record with a provider session is also filed
// under it, for [Store.Find]. A record without an ID or a user is an
// error.
func (s *Store) Put(ctx context.Context, r auth.SessionRecord) error {
	if r.ID == "" || r.User == "" {
		return errors.New("redisstore: a session record needs an ID and a user")
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	records, expiries := s.indexKeys(r.User)
	if err := putScript.Run(ctx, s.rdb, []string{records, expiries},
		r.ID, b, r.Expires.UnixMilli(), auth.MaxSessionsPerUser).Err(); err != nil {
		return fmt.Errorf("redisstore: recording a session: %w", err)
	}
	if r.ProviderSession == "" {
		return nil
	}
	m, err := json.Marshal(providerMember{User: r.User, ID: r.ID})
	if err != nil {
		return err
	}
	if err := providerPutScript.Run(ctx, s.rdb, []string{s.providerKey(r.Provider, r.ProviderSession)},
		m, r.Expires.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("redisstore: recording a session's provider session: %w", err)
	}
	return nil
}

// Remove forgets the record of session id of user. (Its entry under a
// provider session, if any, stays until it expires; [Store.Find] skips
// it.)
func (s *Store) Remove(ctx context.Context, user, id string) error {
	records, expiries := s.indexKeys(user)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, records, id)
		p.ZRem(ctx, expiries, id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstore: removing a session's record: %w", err)
	}
	return nil
}

// List returns the records of user's sessions that have not expired,
// newest first, in one HGETALL.
func (s *Store) List(ctx context.Context, user string) ([]auth.SessionRecord, error) {
	records, _ := s.indexKeys(user)
	all, err := s.rdb.HGetAll(ctx, records).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: listing sessions: %w", err)
	}
	now := time.Now()
	out := make([]auth.SessionRecord, 0, len(all))
	for id, b := range all {
		r, err := decodeRecord(id, b)
		if err != nil {
			return nil, err
		}
		if r.Expires.After(now) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, newestFirst)
	return out, nil
}

// Find returns the records, not expired, of the sessions that provider
// started for its session providerSession, newest first.
func (s *Store) Find(ctx context.Context, provider, providerSession string) ([]auth.SessionRecord, error) {
	if providerSession == "" {
		return nil, nil
	}
	now := time.Now()
	members, err := s.rdb.ZRangeByScore(ctx, s.providerKey(provider, providerSession), &redis.ZRangeBy{
		Min: fmt.Sprint(now.UnixMilli() + 1), Max: "+inf",
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: finding a provider's sessions: %w", err)
	}
	var out []auth.SessionRecord
	for _, m := range members {
		var pm providerMember
		if err := json.Unmarshal([]byte(m), &pm); err != nil {
			return nil, fmt.Errorf("redisstore: a provider session's entry does not decode: %w", err)
		}
		records, _ := s.indexKeys(pm.User)
		b, err := s.rdb.HGet(ctx, records, pm.ID).Result()
		if errors.Is(err, redis.Nil) {
			continue // removed since
		}
		if err != nil {
			return nil, fmt.Errorf("redisstore: finding a provider's sessions: %w", err)
		}
		r, err := decodeRecord(pm.ID, b)
		if err != nil {
			return nil, err
		}
		if r.Expires.After(now) && r.Provider == provider && r.ProviderSession == providerSession {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, newestFirst)
	return out, nil
}

// decodeRecord decodes the record stored for session id.
func decodeRecord(id, b string) (auth.SessionRecord, error) {
	var r auth.SessionRecord
	if err := json.Unmarshal([]byte(b), &r); err != nil || r.ID != id {
		return r, fmt.Errorf("redisstore: a session record does not decode (%v)", err)
	}
	return r, nil
}

// newestFirst orders records by creation, newest first, then by ID, as
// [auth.MemorySessionIndex] does.
func newestFirst(a, b auth.SessionRecord) int {
	if c := b.Created.Compare(a.Created); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

var _ auth.SessionIndex = (*Store)(nil)
