package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// revokedKey is the key that marks session id revoked.
func (s *Store) revokedKey(id string) string { return s.prefix + "r:" + id }

// channel is where revocations are announced.
func (s *Store) channel() string { return s.prefix + "revoked" }

// Revoke marks session id revoked until until (at least a second), and,
// the first time, announces it to every [Store.WatchRevocations].
func (s *Store) Revoke(ctx context.Context, id string, until time.Time) error {
	ttl := max(time.Until(until), time.Second)
	fresh, err := s.rdb.SetNX(ctx, s.revokedKey(id), 1, ttl).Result()
	if err != nil {
		return fmt.Errorf("redisstore: revoking a session: %w", err)
	}
	if !fresh {
		return nil // revoked before, and announced then
	}
	if err := s.rdb.Publish(ctx, s.channel(), id).Err(); err != nil {
		return fmt.Errorf("redisstore: announcing a revocation: %w", err)
	}
	return nil
}

// Revoked reports whether session id is revoked.
func (s *Store) Revoked(ctx context.Context, id string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.revokedKey(id)).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: checking a revocation: %w", err)
	}
	return n > 0, nil
}

// WatchRevocations calls fn with the ID of every session revoked through
// any Store on the same Redis and Prefix (this process's included), until
// ctx ends; then it returns ctx's error. It returns early only if the
// subscription cannot be made. Pass fn a call to [auth.Auth.Revoke]: in
// the process that revoked the session it finds it revoked already and
// only runs the session-end hooks again (closing sockets twice is
// harmless); elsewhere it runs them, so the WebSocket hub of every
// process closes the session's sockets with 4401.
//
// Announcements are not queued: a process that is disconnected from
// Redis when one is made misses it. Its sockets of that session then stay
// open until they end another way, while every new request of the
// session is refused, as [Store.Revoked] is asked each time.
func (s *Store) WatchRevocations(ctx context.Context, fn func(id string)) error {
	ps := s.rdb.Subscribe(ctx, s.channel())
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		return fmt.Errorf("redisstore: subscribing to revocations: %w", err)
	}
	msgs := ps.Channel(redis.WithChannelSize(256))
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m, ok := <-msgs:
			if !ok {
				return fmt.Errorf("redisstore: the revocation subscription ended")
			}
			fn(m.Payload)
		}
	}
}
