// Package redisstore keeps authwire's shared state in Redis, so that
// several processes behind a load balancer see the same sessions, the
// same logouts and the same brute-force counters:
//
//   - [Store] is an [auth.SessionStore]: the session lives in Redis and the
//     cookie holds only its random ID, so a logout deletes it everywhere;
//   - it is also an [auth.UserRevocationList]: a session's revocation, and
//     a user's ("log out everywhere"), are announced on a Redis stream
//     that every process reads ([Store.ApplyRevocations]) to close the
//     WebSockets of sessions ended elsewhere; a process cut off from Redis
//     reads the announcements it missed when it is back;
//   - it is also an [auth.SessionIndex], so that a user's sessions are
//     listed ([auth.Auth.Sessions]) and ended one by one in any process,
//     whichever started them;
//   - [Store.OIDCTokens] and [Store.OIDCReplays] are auth/oidclogin's
//     TokenStore (with its RefreshLocker, so that a session is refreshed
//     once across the processes) and ReplayCache, without this package
//     importing auth/oidclogin;
//   - [Store.Regulator] counts password attempts per user and per address
//     in Redis, each before its password is checked and atomically, so
//     that processes guessed at together still check no more than the
//     same [auth.RegulationPolicy] allows the in-memory regulator.
//
// # Redis
//
// It needs Redis 7.0 or later, and works on any [redis.UniversalClient]:
// one server ([redis.NewClient]), a master watched by Sentinel
// ([redis.NewFailoverClient], with the master's name and the sentinels'
// addresses), or a Redis Cluster ([redis.NewClusterClient], with some of
// its nodes' addresses); [redis.NewUniversalClient] picks one of the
// three from [redis.UniversalOptions] (MasterName set: Sentinel; several
// Addrs: Cluster). Every command and script touches one key, or keys that
// share a hash slot, so Cluster takes them all.
//
// # Keys
//
// Keys are the Prefix (default "authwire:") followed by:
//
//	s:<id>                  a session, as JSON; expires when it expires or goes idle
//	{r}:<id>                the mark of a revoked session; expires when the revocation does
//	{r}:u:<u>               the time (Unix ms) up to which user <u>'s sessions are revoked;
//	                        expires when the revocation does
//	{r}:revocations         the stream of revocation announcements: each entry holds "id"
//	                        (a session ID) or "user" and "before" (a name, Unix ms);
//	                        entries older than Config.Lifetime are trimmed by each new one,
//	                        and the stream expires Config.Lifetime after its last
//	ix:{<u>}:d, ix:{<u>}:e  user <u>'s session index: a hash of records (JSON) by session
//	                        ID, and a sorted set of the IDs by expiry (Unix ms); both expire
//	                        with the last record
//	ix:p:{<p>}              the sessions an identity provider started for its session <p>,
//	                        a sorted set of {"u": user, "s": session ID} by expiry; expires
//	                        with the last
//	rl:{<h>}:f, rl:{<h>}:b  a regulation key's attempt count and ban; expire with them
//	oidc:{<k>}:t            an OIDC session's sealed refresh record ([Store.OIDCTokens]);
//	                        expires with the session
//	oidc:{<k>}:l            the lock of its refresh, a random value; expires after the lock's
//	                        time to live, unless its holder deletes it first
//	oidc:j:{<j>}            a back-channel logout token taken ([Store.OIDCReplays]); expires
//	                        when the token would no longer be accepted
//
// where <id> is a session ID, and <u>, <p>, <h>, <k> and <j> the hex of
// the first 16 bytes of the SHA-256 of a user name, of a provider's name,
// a zero byte and its session ID, of a regulation key, of an OIDC
// TokenStore key (the provider's name and a hash of the session ID) and
// of a ReplayCache key (the provider's name and the token's jti). The braces are Redis
// Cluster hash tags: the keys one script writes or one command reads
// together are equal up to their first '}', so they share a slot (all of
// a revocation's in one slot, so Revoked and SessionRevoked, asked on
// every request, go to one shard of a Cluster). Every key carries an
// expiry, so nothing outlives its use. The Prefix should hold no braces
// (one would make a hash tag of its own, and put every key in one slot).
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	store := redisstore.New(rdb, redisstore.Config{})
//	reg, _ := store.Regulator(auth.DefaultRegulationPolicy())
//	a, err := auth.New(mux, users,
//		auth.WithSessions(auth.SessionConfig{Keys: keys, Store: store, Revocations: store}),
//		auth.WithRegulator(reg))
//	go store.ApplyRevocations(ctx, a)
package redisstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth"
)

// Config configures a [Store]. Zero fields take the defaults given.
type Config struct {
	// Prefix starts every key, so that several applications can share
	// one Redis. It should hold no braces (see the package doc's Keys).
	// Default "authwire:".
	Prefix string
	// IdleTimeout should be the sessions' idle timeout
	// (auth.SessionConfig.IdleTimeout): a session is kept in Redis no
	// longer than that after it was last saved, which happens at least
	// once a minute while it is in use, and no longer than its absolute
	// expiry. Sessions nobody comes back to (a script that sends Basic
	// credentials on every request starts a new one each time) then
	// leave Redis as soon as they could no longer be used. Default
	// auth.DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Lifetime should be the sessions' absolute lifetime
	// (auth.SessionConfig.Lifetime): the revocation stream keeps each
	// announcement that long, so that a process cut off from Redis for
	// less than that reads, when it is back, every revocation it missed.
	// Older announcements are trimmed (the stream holds at most the
	// revocations of one Lifetime), and can only be of sessions that have
	// expired by then. Default auth.DefaultSessionLifetime.
	Lifetime time.Duration
	// Logger receives what [Store.WatchRevocations] has to report (Redis
	// lost and found again, announcements missed). Default slog.Default().
	Logger *slog.Logger
}

// Store keeps sessions, revocations and regulation counters in Redis. It
// is safe for concurrent use; its methods fail with Redis's errors when
// Redis cannot be reached, which the guard treats as "not logged in"
// (sessions) or logs and answers 500 (logout), never as success.
type Store struct {
	rdb      redis.UniversalClient
	prefix   string
	idle     time.Duration
	lifetime time.Duration
	log      *slog.Logger
}

// New returns a Store on rdb, which it does not close.
func New(rdb redis.UniversalClient, cfg Config) *Store {
	if cfg.Prefix == "" {
		cfg.Prefix = "authwire:"
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = auth.DefaultIdleTimeout
	}
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = auth.DefaultSessionLifetime
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Store{rdb: rdb, prefix: cfg.Prefix, idle: cfg.IdleTimeout, lifetime: cfg.Lifetime, log: cfg.Logger}
}

// validID reports whether id looks like a session ID authwire makes: 32
// bytes, base64url without padding. Anything else is never looked up.
func validID(id string) bool {
	if len(id) != base64.RawURLEncoding.EncodedLen(32) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(id)
	return err == nil
}

// Save stores sess until it expires or goes idle (see
// Config.IdleTimeout) and returns its ID as the cookie value. A session
// already expired is not stored.
func (s *Store) Save(ctx context.Context, sess *auth.Session) (string, error) {
	if sess == nil || !validID(sess.ID) {
		return "", errors.New("redisstore: a session needs an ID made by authwire")
	}
	ttl := min(time.Until(time.Unix(sess.ExpiresAt, 0)), time.Until(time.Unix(sess.LastSeen, 0).Add(s.idle)))
	if ttl <= 0 {
		return "", fmt.Errorf("redisstore: session already expired: %w", auth.ErrNoSession)
	}
	b, err := json.Marshal(sess)
	if err != nil {
		return "", err
	}
	if err := s.rdb.Set(ctx, s.sessionKey(sess.ID), b, ttl).Err(); err != nil {
		return "", fmt.Errorf("redisstore: saving a session: %w", err)
	}
	return sess.ID, nil
}

// Load returns the session a cookie names. A cookie that is not a session
// ID, or names no stored session, wraps [auth.ErrNoSession].
func (s *Store) Load(ctx context.Context, cookie string) (*auth.Session, error) {
	if !validID(cookie) {
		return nil, auth.ErrNoSession
	}
	b, err := s.rdb.Get(ctx, s.sessionKey(cookie)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, auth.ErrNoSession
	case err != nil:
		return nil, fmt.Errorf("redisstore: loading a session: %w", err)
	}
	var sess auth.Session
	if err := json.Unmarshal(b, &sess); err != nil || sess.ID != cookie {
		return nil, fmt.Errorf("redisstore: a stored session does not decode: %w", auth.ErrNoSession)
	}
	return &sess, nil
}

// Delete removes sess, so that its cookie names nothing from now on.
func (s *Store) Delete(ctx context.Context, sess *auth.Session) error {
	if sess == nil || !validID(sess.ID) {
		return nil
	}
	if err := s.rdb.Del(ctx, s.sessionKey(sess.ID)).Err(); err != nil {
		return fmt.Errorf("redisstore: deleting a session: %w", err)
	}
	return nil
}

var _ auth.SessionStore = (*Store)(nil)
