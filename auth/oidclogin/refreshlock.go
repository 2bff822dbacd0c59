package oidclogin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authwire/authwire/auth"
)

// RefreshLocker is an interface a TokenStore shared by several processes
// may implement, so that a session is refreshed once across all of them,
// as singleflight does within one: a provider that rotates refresh
// tokens refuses the one it has seen redeemed already, which would end
// the session. Before redeeming a session's refresh token the provider
// takes the lock of its key; when another process holds it, the provider
// waits (a few seconds at most) for the record that process saves and
// uses it instead of refreshing again. auth/redisstore's OIDCTokens is
// one (a SET NX with an expiry, and a compare-and-delete). The default,
// in-memory store needs none.
type RefreshLocker interface {
	// LockRefresh takes the lock of key for ttl, unless another holds
	// it (ok false). unlock releases it, if it is still this caller's; a
	// lock whose holder went away expires after ttl.
	LockRefresh(ctx context.Context, key string, ttl time.Duration) (unlock func(), ok bool, err error)
}

const (
	// refreshLockTTL bounds a refresh under a RefreshLocker's lock: it
	// covers discovery and the token request, each ten seconds at most.
	refreshLockTTL = 30 * time.Second
	// refreshWait bounds the wait for another process's refresh.
	refreshWait = 5 * time.Second
	// refreshPoll is how often a waiting process looks again.
	refreshPoll = 50 * time.Millisecond
)

// errRefreshElsewhere is Refresh's error when another process's refresh
// of the session outlasts refreshWait: the session keeps its rights until
// the next recheck.
var errRefreshElsewhere = errors.New("oidclogin: another process is refreshing the session")

// lockedRedeem refreshes session id, whose record was kept, with locker's
// lock of its key held: when another process holds it, it waits for the
// record that process saves (or, should it let the lock go without one,
// takes the lock in its turn).
func (p *Provider) lockedRedeem(ctx context.Context, locker RefreshLocker, id *auth.Identity, kept *keptTokens) (*keptTokens, error) {
	key := p.tokenKey(id.SessionID)
	deadline := time.Now().Add(refreshWait)
	for {
		unlock, ok, err := locker.LockRefresh(ctx, key, refreshLockTTL)
		if err != nil {
			return nil, fmt.Errorf("oidclogin: locking the session's refresh: %w", err)
		}
		now, err := p.loadTokens(ctx, id.SessionID)
		switch {
		case err != nil:
			err = fmt.Errorf("oidclogin: loading the session's tokens: %w", err)
		case now == nil:
			err = fmt.Errorf("%w: its refresh token is gone", auth.ErrSessionEnded)
		case now.Refresh != kept.Refresh || now.Due != kept.Due:
			// Another process refreshed it.
		case ok:
			ctx, cancel := context.WithTimeout(ctx, refreshLockTTL)
			now, err = p.redeemAt(ctx, id, now)
			cancel()
		}
		if ok {
			unlock()
		}
		if err != nil || ok || now.Refresh != kept.Refresh || now.Due != kept.Due {
			return now, err
		}
		if !time.Now().Before(deadline) {
			return nil, errRefreshElsewhere
		}
		t := time.NewTimer(refreshPoll)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}
