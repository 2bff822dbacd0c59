package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// OIDCReplays is a ReplayCache for auth/oidclogin (Config.ReplayCache)
// in Redis: a back-channel logout token taken by one process is refused
// as a replay by every process that shares it. Like [OIDCTokens] it
// matches oidclogin's interface without importing it. Get one from
// [Store.OIDCReplays].
type OIDCReplays struct{ s *Store }

// OIDCReplays returns the Store's ReplayCache for auth/oidclogin.
func (s *Store) OIDCReplays() *OIDCReplays { return &OIDCReplays{s: s} }

// Claim records key until until (at least a second from now), in one
// SET NX, and reports whether it was not recorded already.
func (r *OIDCReplays) Claim(ctx context.Context, key string, until time.Time) (fresh bool, err error) {
	err = r.s.rdb.Do(ctx, "SET", r.s.oidcReplayKey(key), "1", "NX", "PXAT", expireAt(until)).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("redisstore: claiming a logout token: %w", err)
	}
	return true, nil
}

// Release forgets key.
func (r *OIDCReplays) Release(ctx context.Context, key string) error {
	if err := r.s.rdb.Del(ctx, r.s.oidcReplayKey(key)).Err(); err != nil {
		return fmt.Errorf("redisstore: releasing a logout token: %w", err)
	}
	return nil
}

// expireAt is the PXAT (Unix ms) of a key kept until until: at least a
// second from now, as the other keys' expiries are.
func expireAt(until time.Time) int64 {
	return max(until.UnixMilli(), time.Now().Add(time.Second).UnixMilli())
}
