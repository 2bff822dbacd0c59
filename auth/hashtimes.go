package auth

import (
	"sync"
	"time"
)

// hashTimeFresh is how long a measured hash time stands in for a real
// hash in [verifier.burn]. After that, the next refused attempt of that
// cost runs a real hash again and measures it, so the stand-in follows
// the machine's load: one real hash a minute per cost, however long a
// flood of refused attempts lasts.
const hashTimeFresh = time.Minute

// maxHashCosts bounds how many distinct hash costs are remembered. A
// password file holds few; one with more (a hostile one) makes refused
// attempts of the others run real hashes, as they did before.
const maxHashCosts = 16

// hashTimes remembers how long a real hash of each cost (a stored
// password's work) took lately, in wall time while holding a hash slot:
// what a checked attempt spends beyond its wait for the slot.
type hashTimes struct {
	now func() time.Time

	mu sync.Mutex
	m  map[int]hashTime
}

type hashTime struct {
	took time.Duration // a moving average of the last runs
	at   time.Time     // when the last run ended
}

// record adds a run of a hash of the given work that took took.
func (h *hashTimes) record(work int, took time.Duration) {
	at := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	old, ok := h.m[work]
	switch {
	case ok && at.Sub(old.at) < hashTimeFresh:
		// A quarter of each new run: steady under noise, and a busier
		// machine shows within a few runs.
		took = old.took + (took-old.took)/4
	case !ok && len(h.m) >= maxHashCosts:
		return
	case h.m == nil:
		h.m = make(map[int]hashTime)
	}
	h.m[work] = hashTime{took: took, at: at}
}

// estimate returns how long a hash of the given work takes, if a real run
// measured it within hashTimeFresh.
func (h *hashTimes) estimate(work int) (time.Duration, bool) {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.m[work]
	if !ok || now.Sub(t.at) >= hashTimeFresh {
		return 0, false
	}
	return t.took, true
}
