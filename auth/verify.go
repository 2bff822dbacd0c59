package auth

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// verifier checks a user name and password against a credential source.
//
// Plaintext and single-digest entries are compared directly in constant
// time. Real password hashes go through three layers: the verified cache
// answers a credential seen recently; singleflight makes concurrent
// requests with the same credential share one hash run; and a semaphore
// caps how many hashes run at once, so a burst of logins cannot take every
// core. An unknown user is checked against the source's dummy, the dearest
// entry's format and parameters, so the answer takes as long as a wrong
// password for a real user. A refused (banned) attempt takes as long
// again: burn holds a hash slot for as long as a real hash of that cost
// took lately, mostly without running one.
type verifier struct {
	src    credentialSource
	cache  *verifiedCache
	flight singleflight.Group
	burns  singleflight.Group // burn's runs, never shared with verify's
	slots  chan struct{}
	times  hashTimes             // how long real hashes took, for burn
	sleep  func(d time.Duration) // time.Sleep; a test's stand-in
	log    *slog.Logger

	hashRuns atomic.Uint64 // expensive verify calls actually made
}

func newVerifier(src credentialSource, cache *verifiedCache, maxHashes int, log *slog.Logger) *verifier {
	return &verifier{
		src: src, cache: cache, slots: make(chan struct{}, maxHashes), log: log,
		times: hashTimes{now: time.Now}, sleep: time.Sleep,
	}
}

// verify reports whether password is user's password. It fails only when
// ctx ends while the request waits for a hash slot.
func (v *verifier) verify(ctx context.Context, user, password []byte) (bool, error) {
	// The generation is read first: if a reload lands between here and
	// the lookup, a success is cached under the older generation and
	// discarded, never the other way round.
	gen := v.src.generation()
	stored, known := v.lookup(user)
	if !stored.expensive() {
		ok := stored.verify(password)
		return ok && known, nil
	}
	key := v.cache.key(user, password)
	if v.cache.hit(key, gen) {
		return known, nil
	}
	// Requests with the same credential share one hash run. Followers
	// take the leader's result, and each may leave early when its own
	// request ends. The password is copied because the run may outlive
	// the caller's buffer.
	pw, k := string(password), key // copies for the run, so key stays on the stack
	ch := v.flight.DoChan(k.name(), func() (any, error) {
		v.slots <- struct{}{}
		defer func() { <-v.slots }()
		v.hashRuns.Add(1)
		ok := v.hash(stored, []byte(pw))
		if ok && known {
			v.cache.store(k, gen)
		}
		return ok, nil
	})
	select {
	case r := <-ch:
		return r.Val.(bool) && known, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// lookup returns user's stored password, or the source's dummy when there
// is no such user.
func (v *verifier) lookup(user []byte) (stored storedPassword, known bool) {
	if s, ok := v.src.(*staticCredentials); ok {
		stored, known = s.users[string(user)] // no copy of user needed
	} else {
		stored, known = v.src.lookup(string(user))
	}
	if !known {
		stored = v.src.dummy()
	}
	return stored, known
}

// cachedGood reports whether user and password verified lately against
// the current generation of stored passwords, so that verify would answer
// yes without running a hash.
func (v *verifier) cachedGood(user, password []byte) bool {
	gen := v.src.generation()
	stored, known := v.lookup(user)
	return known && stored.expensive() && v.cache.hit(v.cache.key(user, password), gen)
}

// hash runs stored's verify, which the caller holds a slot for, and
// records how long it took.
func (v *verifier) hash(stored storedPassword, password []byte) bool {
	began := time.Now()
	ok := stored.verify(password)
	v.times.record(stored.work(), time.Since(began))
	return ok
}

// burn spends on a refused attempt what checking password against user's
// stored password (or the dummy) takes when the verified cache does not
// answer: a refused attempt takes as long as a checked one, so timing does not tell a ban from a wrong password.
//
// It takes a hash slot like a check, so refused attempts queue behind
// checked ones and each other exactly as checks would, and holds it for
// as long as a real hash of that cost took within the last minute
// ([hashTimeFresh]), without running one: a flood of banned guesses
// costs timers, not CPU, and leaves the cores to the users who have a
// session. Only when no such figure is at hand does it run the real hash
// (and measure it). Concurrent burns of one credential share a run, as
// verify's do. It returns early when ctx ends.
func (v *verifier) burn(ctx context.Context, user, password []byte) {
	stored, _ := v.lookup(user)
	if !stored.expensive() {
		_ = stored.verify(password)
		return
	}
	pw := string(password)
	ch := v.burns.DoChan(v.cache.key(user, password).name(), func() (any, error) {
		v.slots <- struct{}{}
		defer func() { <-v.slots }()
		if d, ok := v.times.estimate(stored.work()); ok {
			v.sleep(d)
			return nil, nil
		}
		_ = v.hash(stored, []byte(pw))
		return nil, nil
	})
	select {
	case <-ch:
	case <-ctx.Done():
	}
}
