package redisstore

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth"
)

const (
	// watchBlock is how long one XREAD waits for announcements. go-redis
	// does not cut a blocked read short when its context ends, so this is
	// also how long WatchRevocations may take to return after ctx ends.
	watchBlock = time.Second
	// watchBatch is the most announcements one XREAD returns.
	watchBatch = 256
	// firstRetry and lastRetry bound the wait before trying Redis again
	// after a failure: it doubles from the first to the last, with jitter,
	// so that the processes of an application do not all come back at
	// once.
	firstRetry = 100 * time.Millisecond
	lastRetry  = 5 * time.Second
)

// WatchRevocations calls fn, in order, with the ID of every session
// revoked through any Store on the same Redis and Prefix (this process's
// included) after it first reached Redis by [Store.Revoke] (a user's
// revocations are not passed on: [Store.ApplyRevocations] applies both),
// until ctx ends; then it returns
// ctx's error (within a second: the time one read of the stream waits).
// Pass fn a call to [auth.Auth.Revoke]: in the process that revoked the
// session it finds it revoked already and only runs the session-end hooks
// again (closing sockets twice is harmless); elsewhere it runs them, so
// the WebSocket hub of every process closes the session's sockets with
// 4401. [Store.ApplyRevocations] does that, and applies the revocations
// of users too.
//
// It reads the revocation stream from the last entry it has seen. When
// Redis fails (down, unreachable, failing over) it logs that once, at
// error level, and tries again after a wait that doubles up to five
// seconds; when Redis is back it logs that too and goes on from the last
// entry it has seen, so the revocations announced meanwhile are delivered
// then. Two cases lose announcements, and it logs a warning for each:
//
//   - entries after the last one seen were trimmed (the process was cut
//     off for longer than [Config.Lifetime]): it delivers what is left.
//     With Config.Lifetime at least the sessions' lifetime, the trimmed
//     ones are of sessions that have expired since;
//   - the stream went back (Redis lost data: restarted without
//     persistence, or failed over to a replica that lacked the last
//     writes): it delivers the whole stream again, as repeated calls of
//     fn are harmless and missed ones are not; what Redis lost, though,
//     is lost, the revocation marks included.
//
// Either way, every new request of a revoked session is refused while
// its mark lives, since the revocation is asked each time, and its open
// sockets close at their next recheck (ws.Config.RecheckInterval): that
// bounds what a missed announcement costs.
func (s *Store) WatchRevocations(ctx context.Context, fn func(id string)) error {
	return s.watch(ctx, func(_ context.Context, id string) error {
		fn(id)
		return nil
	}, nil)
}

// ApplyRevocations applies to a every revocation announced through any
// Store on the same Redis and Prefix, as [Store.WatchRevocations]
// delivers them (in order, caught up after an outage), until ctx ends:
// a session's with [auth.Auth.Revoke], a user's ([Store.RevokeUser])
// with [auth.Auth.RevokeUserBefore] and the time that revocation used,
// so that a's hooks run (its WebSocket hub closes the sockets) and the
// sessions started since are kept. An announcement that a fails to apply
// for want of Redis is applied again once Redis answers; one a cannot
// apply at all (a made without sessions, or with another revocation
// list) is logged and skipped.
func (s *Store) ApplyRevocations(ctx context.Context, a *auth.Auth) error {
	return s.watch(ctx,
		func(ctx context.Context, id string) error { return s.applied(ctx, a.Revoke(ctx, id)) },
		func(ctx context.Context, user string, before time.Time) error {
			return s.applied(ctx, a.RevokeUserBefore(ctx, user, before))
		})
}

// applied sorts out the error of applying an announcement: one that
// trying again cannot mend is logged and dropped.
func (s *Store) applied(ctx context.Context, err error) error {
	if errors.Is(err, auth.ErrSessionsDisabled) || errors.Is(err, auth.ErrCannotRevokeUsers) {
		s.log.LogAttrs(ctx, slog.LevelWarn, "authwire: redisstore: a revocation announcement cannot be applied; skipped",
			slog.String("error", err.Error()))
		return nil
	}
	return err
}

// watch reads the revocation stream, as WatchRevocations says, and hands
// each announcement to session or user (nil: skipped). An error from
// either counts as a failure of Redis: the announcement is handed over
// again once the wait is over.
func (s *Store) watch(ctx context.Context, session func(ctx context.Context, id string) error,
	user func(ctx context.Context, user string, before time.Time) error) error {
	w := &watcher{s: s, session: session, user: user}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if w.placed {
			err = w.read(ctx)
		} else {
			err = w.place(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			w.failed(ctx, err)
			continue
		}
		w.succeeded(ctx)
	}
}

// watcher is the state of one watch.
type watcher struct {
	s       *Store
	session func(ctx context.Context, id string) error
	user    func(ctx context.Context, user string, before time.Time) error
	// last is the last entry delivered, or where delivery starts; added
	// is how many entries the stream had had added up to and including
	// last (Redis counts them: XINFO STREAM's entries-added).
	last  streamID
	added int64
	// started is set once last has been taken from Redis; placed while
	// last is known to be right for the stream as Redis has it now (it is
	// cleared by a failure: Redis may have lost or trimmed entries since).
	started, placed bool
	// downSince is when the current failure began; zero while Redis
	// answers.
	downSince time.Time
	// retry is the wait before the next try.
	retry time.Duration
}

// place finds where to read the stream from: at the start, its last
// entry; after a failure, the last entry delivered, unless the stream
// has lost entries since (see WatchRevocations).
func (w *watcher) place(ctx context.Context) error {
	key := w.s.streamKey()
	n, err := w.s.rdb.Exists(ctx, key).Result()
	if err != nil {
		return err
	}
	if n == 0 {
		// Nothing announced for Lifetime (the stream expired), or Redis
		// lost it: every entry from now on is new.
		if w.started && time.Since(time.UnixMilli(int64(w.last.ms))) < w.s.lifetime {
			w.s.log.LogAttrs(ctx, slog.LevelWarn, "authwire: redisstore: the revocation stream is gone: Redis lost its data, and with it any revocation announced since the last one this process read",
				slog.String("last_seen", w.last.String()))
		}
		w.last, w.added, w.started, w.placed = streamID{}, 0, true, true
		return nil
	}
	info, err := w.s.rdb.XInfoStream(ctx, key).Result()
	if err != nil {
		return err
	}
	lastAdded, err := parseStreamID(info.LastGeneratedID)
	if err != nil {
		return err
	}
	first := streamID{}
	if info.Length > 0 {
		if first, err = parseStreamID(info.FirstEntry.ID); err != nil {
			return err
		}
	}
	switch {
	case !w.started:
		w.last, w.added = lastAdded, info.EntriesAdded
	case lastAdded.before(w.last) || info.EntriesAdded < w.added:
		w.s.log.LogAttrs(ctx, slog.LevelWarn, "authwire: redisstore: the revocation stream went back: Redis lost announcements (a restart without persistence, or a failover); delivering all it holds again",
			slog.String("last_seen", w.last.String()), slog.String("last_added", lastAdded.String()))
		w.last, w.added = streamID{}, info.EntriesAdded-info.Length
	case (info.Length == 0 || w.last.before(first)) && info.EntriesAdded-w.added > info.Length:
		// Every entry left (if any) comes after the last one delivered,
		// and there are fewer of them than were added since: the rest
		// were trimmed.
		w.s.log.LogAttrs(ctx, slog.LevelWarn, "authwire: redisstore: revocations announced while this process was cut off from Redis were trimmed before it read them (it was away longer than Config.Lifetime); delivering those left",
			slog.String("last_seen", w.last.String()), slog.Int64("missed", info.EntriesAdded-w.added-info.Length))
		w.added = info.EntriesAdded - info.Length
	}
	w.started, w.placed = true, true
	return nil
}

// read waits up to watchBlock for entries after the last one delivered,
// and delivers them.
func (w *watcher) read(ctx context.Context) error {
	res, err := w.s.rdb.XRead(ctx, &redis.XReadArgs{
		Streams: []string{w.s.streamKey(), w.last.String()},
		Count:   watchBatch,
		Block:   watchBlock,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil // nothing new
	}
	if err != nil {
		return err
	}
	for _, stream := range res {
		for _, m := range stream.Messages {
			next, err := parseStreamID(m.ID)
			if err != nil {
				return err
			}
			if err := w.deliver(ctx, m); err != nil {
				return err
			}
			w.last = next
			w.added++
		}
	}
	return nil
}

// deliver hands one announcement over: a session's ("id": its ID) or a
// user's ("user": the name, "before": Unix ms).
func (w *watcher) deliver(ctx context.Context, m redis.XMessage) error {
	if id, _ := m.Values["id"].(string); id != "" {
		return w.session(ctx, id)
	}
	user, _ := m.Values["user"].(string)
	text, _ := m.Values["before"].(string)
	before, err := strconv.ParseInt(text, 10, 64)
	if user == "" || err != nil {
		w.s.log.LogAttrs(ctx, slog.LevelWarn, "authwire: redisstore: a revocation announcement names no session and no user; skipped",
			slog.String("entry", m.ID))
		return nil
	}
	if w.user == nil {
		return nil
	}
	return w.user(ctx, user, time.UnixMilli(before))
}

// failed reports a failure (once per outage, at error level) and waits
// before the next try, or until ctx ends.
func (w *watcher) failed(ctx context.Context, err error) {
	w.placed = false
	if w.downSince.IsZero() {
		w.downSince, w.retry = time.Now(), firstRetry
		w.s.log.LogAttrs(ctx, slog.LevelError, "authwire: redisstore: watching revocations failed; trying again until Redis answers",
			slog.String("error", err.Error()))
	} else {
		w.retry = min(2*w.retry, lastRetry)
		w.s.log.LogAttrs(ctx, slog.LevelDebug, "authwire: redisstore: watching revocations failed again",
			slog.String("error", err.Error()), slog.Duration("retry_in", w.retry))
	}
	// Wait between half the retry time and all of it.
	wait := w.retry/2 + rand.N(w.retry/2+1)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// succeeded ends the current failure, if any, and reports its end.
func (w *watcher) succeeded(ctx context.Context) {
	if w.downSince.IsZero() {
		return
	}
	w.s.log.LogAttrs(ctx, slog.LevelInfo, "authwire: redisstore: watching revocations again",
		slog.Duration("after", time.Since(w.downSince).Round(time.Millisecond)), slog.String("from", w.last.String()))
	w.downSince = time.Time{}
}
