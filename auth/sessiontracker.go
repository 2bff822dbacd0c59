package auth

import (
	"sync"
	"sync/atomic"
)

// maxTrackedSessions bounds the [sessionTracker]: twice the session
// cache, since a session can have a cached cookie value and a refreshed
// one at once.
const maxTrackedSessions = 2 * maxCachedSessions

// sessionTracker keeps what this process knows of each session it has
// served, by session ID, beyond what its cookie says: when it was last
// used here, and its rights as last read from their sources. The session
// cache's entries for the cookie values of one session share its
// [liveSession], and so does a WebSocket's recheck ([Auth.Recheck]).
//
// It is bounded by maxTrackedSessions: when full, the sessions unused for
// an idle timeout (which are over anyway) are dropped, or else an eighth,
// picked by Go's randomised map iteration. A dropped session is tracked
// afresh on its next request; a cache entry that still points to the old
// record keeps using it, so the two may disagree on the last use, by at
// most the time since the drop.
type sessionTracker struct {
	mu   sync.RWMutex
	byID map[string]*liveSession
}

// liveSession is what a [sessionTracker] keeps of one session.
type liveSession struct {
	// seen is the latest Unix second this process served the session.
	seen atomic.Int64
	// rights is the session's identity as its sources last gave it, and
	// when they were asked; nil until the first request.
	rights atomic.Pointer[sessionRights]
}

// sessionRights is a session's identity and the Unix second at which its
// rights were read from their sources.
type sessionRights struct {
	id *Identity
	at int64
}

func newSessionTracker() *sessionTracker {
	return &sessionTracker{byID: make(map[string]*liveSession)}
}

// find returns the record of session id, or nil.
func (t *sessionTracker) find(id string) *liveSession {
	t.mu.RLock()
	l := t.byID[id]
	t.mu.RUnlock()
	return l
}

// get returns the record of session id, making one (last used at
// lastSeen) if there is none. idleBefore is the Unix second before which
// a session's last use makes it idle, for sweeping.
func (t *sessionTracker) get(id string, lastSeen, idleBefore int64) *liveSession {
	if l := t.find(id); l != nil {
		return l
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if l := t.byID[id]; l != nil {
		return l
	}
	if len(t.byID) >= maxTrackedSessions {
		t.sweepLocked(idleBefore)
	}
	l := &liveSession{}
	l.seen.Store(lastSeen)
	t.byID[id] = l
	return l
}

// forget drops the record of session id.
func (t *sessionTracker) forget(id string) {
	t.mu.Lock()
	delete(t.byID, id)
	t.mu.Unlock()
}

// sweepLocked makes room: it drops the idle sessions, and an eighth of
// the rest if that freed too little. t.mu must be held.
func (t *sessionTracker) sweepLocked(idleBefore int64) {
	for id, l := range t.byID {
		if l.seen.Load() < idleBefore {
			delete(t.byID, id)
		}
	}
	if len(t.byID) < maxTrackedSessions*7/8 {
		return
	}
	dropSome(t.byID, maxTrackedSessions/8)
}

// dropSome deletes n entries of m, picked by Go's randomised map
// iteration: how the session cache and the tracker make room.
func dropSome[K comparable, V any](m map[K]V, n int) {
	for k := range m {
		if n <= 0 {
			return
		}
		delete(m, k)
		n--
	}
}

// touch records a use at Unix second t.
func (l *liveSession) touch(t int64) {
	for old := l.seen.Load(); old < t && !l.seen.CompareAndSwap(old, t); old = l.seen.Load() {
	}
}
