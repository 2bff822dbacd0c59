package redisstore_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth/redisstore"
	"github.com/authwire/authwire/internal/servetest"
)

// watching is one Store's WatchRevocations, run for a test, recording
// every ID it delivers.
type watching struct {
	cancel context.CancelFunc
	done   chan error
	stop   sync.Once
	err    error

	mu   sync.Mutex
	ids  []string
	from int // ids before it were checked already (or were the warm-up's)
}

// watch runs s.WatchRevocations until t ends, and then checks that it
// returned because its context ended.
func watch(t *testing.T, s *redisstore.Store) *watching {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watching{cancel: cancel, done: make(chan error, 1)}
	go func() {
		w.done <- s.WatchRevocations(ctx, func(id string) {
			w.mu.Lock()
			w.ids = append(w.ids, id)
			w.mu.Unlock()
		})
	}()
	t.Cleanup(func() {
		if err := w.Stop(); !errors.Is(err, context.Canceled) {
			t.Errorf("WatchRevocations returned %v after its context ended", err)
		}
	})
	return w
}

// Stop ends the watcher and returns what WatchRevocations returned.
func (w *watching) Stop() error {
	w.stop.Do(func() {
		w.cancel()
		w.err = <-w.done
	})
	return w.err
}

// running reports whether WatchRevocations has not returned.
func (w *watching) running() bool {
	select {
	case err := <-w.done:
		w.done <- err
		return false
	default:
		return true
	}
}

// Ready waits until the watcher reads the stream: it starts from the
// stream's end when it first reaches Redis, so announcements made before
// that are not for it. Revoking throwaway sessions through revoker until
// one is delivered, then one more, and waiting for that one, leaves
// nothing of the warm-up to be delivered later.
func (w *watching) Ready(t *testing.T, revoker *redisstore.Store) {
	t.Helper()
	deadline := time.Now().Add(safetyNet)
	for w.count() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the watcher never delivered a revocation")
		}
		revoke(t, revoker, randomID(t))
		time.Sleep(50 * time.Millisecond)
	}
	last := randomID(t)
	revoke(t, revoker, last)
	for {
		w.mu.Lock()
		done := len(w.ids) > 0 && w.ids[len(w.ids)-1] == last
		if done {
			w.from = len(w.ids)
		}
		w.mu.Unlock()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the watcher did not deliver the end of the warm-up")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *watching) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.ids)
}

// Expect waits until the watcher has delivered as many IDs as want since
// the last check, and fails unless they are want, in order.
func (w *watching) Expect(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(safetyNet)
	for {
		w.mu.Lock()
		got := slices.Clone(w.ids[w.from:])
		if len(got) >= len(want) {
			w.from += len(want)
		}
		w.mu.Unlock()
		if len(got) >= len(want) {
			if !slices.Equal(got[:len(want)], want) {
				t.Fatalf("the watcher delivered %q, want %q", got, want)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the watcher delivered %q only, want %q", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// randomID returns a fresh session ID.
func randomID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// revoke revokes session id through s for an hour, failing t on error.
func revoke(t *testing.T, s *redisstore.Store, id string) {
	t.Helper()
	if err := s.Revoke(context.Background(), id, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
}

// answering waits until c gets an answer from Redis: after a restart the
// first command on a client may still meet a connection of the old
// server.
func answering(t *testing.T, c redis.UniversalClient) {
	t.Helper()
	deadline := time.Now().Add(safetyNet)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("Redis does not answer the client")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logTo returns a logger that writes every record, debug included, to buf.
func logTo(buf *servetest.SyncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// hashHex is the hex of the first 16 bytes of s's SHA-256, as keys carry
// names.
func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// fmtMilli is t in Unix milliseconds, as the stream writes times.
func fmtMilli(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
