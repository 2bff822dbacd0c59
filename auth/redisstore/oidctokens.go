package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// OIDCTokens is a TokenStore for auth/oidclogin (Config.TokenStore) in
// Redis, shared by the processes that use it: each of them can refresh
// any session, and its LockRefresh (oidclogin.RefreshLocker) lets one of
// them at a time redeem a session's refresh token, so that a provider
// that rotates refresh tokens does not see the old one twice. It matches
// oidclogin's interfaces without this package importing oidclogin, so a
// program that uses Redis without OpenID Connect compiles none of it.
// Get one from [Store.OIDCTokens].
type OIDCTokens struct{ s *Store }

// OIDCTokens returns the Store's TokenStore for auth/oidclogin.
func (s *Store) OIDCTokens() *OIDCTokens { return &OIDCTokens{s: s} }

// Load returns the value saved under key, or nil when there is none or
// it has expired.
func (t *OIDCTokens) Load(ctx context.Context, key string) ([]byte, error) {
	record, _ := t.s.oidcTokenKeys(key)
	v, err := t.s.rdb.Get(ctx, record).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("redisstore: loading OIDC tokens: %w", err)
	}
	return v, nil
}

// Save keeps value under key until until (at least a second from now),
// replacing what was there.
func (t *OIDCTokens) Save(ctx context.Context, key string, value []byte, until time.Time) error {
	record, _ := t.s.oidcTokenKeys(key)
	if err := t.s.rdb.Do(ctx, "SET", record, value, "PXAT", expireAt(until)).Err(); err != nil {
		return fmt.Errorf("redisstore: saving OIDC tokens: %w", err)
	}
	return nil
}

// Delete forgets key.
func (t *OIDCTokens) Delete(ctx context.Context, key string) error {
	record, _ := t.s.oidcTokenKeys(key)
	if err := t.s.rdb.Del(ctx, record).Err(); err != nil {
		return fmt.Errorf("redisstore: deleting OIDC tokens: %w", err)
	}
	return nil
}

// unlockScript deletes the lock KEYS[1] if it still holds ARGV[1], the
// random value its holder set: a lock that expired and was taken by
// another process is not its to delete.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// LockRefresh takes the lock of key's refresh for ttl (at least a
// millisecond), unless another holds it: ok is false then. unlock
// releases it, if it is still this one's; a lock whose holder went away
// expires after ttl.
func (t *OIDCTokens) LockRefresh(ctx context.Context, key string, ttl time.Duration) (unlock func(), ok bool, err error) {
	_, lock := t.s.oidcTokenKeys(key)
	value := rand.Text()
	ok, err = t.s.rdb.SetNX(ctx, lock, value, max(ttl, time.Millisecond)).Result()
	if err != nil {
		return nil, false, fmt.Errorf("redisstore: locking a refresh: %w", err)
	}
	if !ok {
		return nil, false, nil
	}
	unlock = func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = unlockScript.Run(ctx, t.s.rdb, []string{lock}, value).Err()
	}
	return unlock, true, nil
}
