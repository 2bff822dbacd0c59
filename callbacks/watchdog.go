package callbacks

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// The watchdog's defaults.
const (
	// handOffAfter is how long a socket's reading goroutine may run a
	// call itself before reading moves to a new goroutine (see
	// socketSession).
	handOffAfter = time.Millisecond
	// watchTick is how often the watchdog looks at its sockets while
	// any has work in flight.
	watchTick = time.Millisecond
	// watchIdleTicks is how many ticks in a row with nothing in flight
	// stop the watchdog; the next piece of work starts it again.
	watchIdleTicks = 1000
	// writeTimeout bounds how long a socket's writes may make no
	// progress: a client that does not read for that long loses its
	// socket.
	writeTimeout = 10 * time.Second
)

// watchdog does, for all the sockets of a registry, what would otherwise
// take a runtime timer per call and per frame: it hands a socket's
// reading on to a new goroutine when the reading goroutine has been
// running a call for longer than handOff (and arms that call's deadline
// timer), and it ends sockets whose writes have made no progress for
// writeTimeout. It ticks only while some socket has a call running on its
// reading goroutine or a write in progress, and stops after idleTicks
// idle ticks or when life ends.
type watchdog struct {
	life  context.Context
	epoch time.Time // marks are durations since epoch (monotonic)

	// Set by newWatchdog to the defaults above; tests shorten them
	// before the registry serves.
	handOff, tick, writeTimeout time.Duration
	idleTicks                   int

	// busy holds the sockets that have marked work since the watchdog
	// last found them idle; only those are looked at, so a server with
	// many idle sockets costs nothing per tick.
	busyMu sync.Mutex
	busy   map[*socketSession]struct{}

	// mu orders starting and stopping: running is changed only under
	// it, and awake mirrors it for a lock-free fast path in wake.
	mu      sync.Mutex
	running bool
	closed  bool // wait has begun: the watchdog never starts again
	awake   atomic.Bool
	stopped sync.WaitGroup // the ticking goroutine
}

func newWatchdog(life context.Context) *watchdog {
	return &watchdog{
		life:         life,
		epoch:        time.Now(),
		handOff:      handOffAfter,
		tick:         watchTick,
		writeTimeout: writeTimeout,
		idleTicks:    watchIdleTicks,
		busy:         make(map[*socketSession]struct{}),
	}
}

// now returns the time since the epoch, the unit of the marks sockets
// leave for the watchdog.
func (w *watchdog) now() time.Duration { return time.Since(w.epoch) }

// watch makes sure s is looked at: a socket calls it after marking work
// (a call on its reading goroutine, a write). If the watchdog is finding
// s idle at the same moment, one of the two sees the other: the socket
// marks before it reads s.watched, the watchdog clears s.watched before
// its last look at the marks.
func (w *watchdog) watch(s *socketSession) {
	if !s.watched.Load() && s.watched.CompareAndSwap(false, true) {
		w.busyMu.Lock()
		w.busy[s] = struct{}{}
		w.busyMu.Unlock()
	}
	w.wake()
}

// wake makes sure the watchdog ticks. It is called (through watch) after
// work is marked, so that either wake sees the watchdog awake and the
// watchdog's last look before stopping sees the work, or wake starts it
// again.
func (w *watchdog) wake() {
	if w.awake.Load() {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running || w.closed || w.life.Err() != nil {
		return
	}
	w.running = true
	w.awake.Store(true)
	w.stopped.Add(1)
	go w.run()
}

// wait stops the watchdog from starting again and waits for it to stop,
// which it does when life ends.
func (w *watchdog) wait() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.stopped.Wait()
}

// run ticks until the watchdog has been idle for idleTicks or life ends.
func (w *watchdog) run() {
	defer w.stopped.Done()
	t := time.NewTicker(w.tick)
	defer t.Stop()
	idle := 0
	for {
		select {
		case <-w.life.Done():
			w.mu.Lock()
			w.running = false
			w.awake.Store(false)
			w.mu.Unlock()
			return
		case now := <-t.C:
			if w.look(now.Sub(w.epoch)) {
				idle = 0
				continue
			}
		}
		if idle++; idle < w.idleTicks {
			continue
		}
		w.mu.Lock()
		w.awake.Store(false)
		if w.look(w.now()) {
			w.awake.Store(true)
			w.mu.Unlock()
			idle = 0
			continue
		}
		w.running = false
		w.mu.Unlock()
		return
	}
}

// look acts on every busy socket, drops those found idle, and reports
// whether any is still busy.
func (w *watchdog) look(now time.Duration) bool {
	w.busyMu.Lock()
	defer w.busyMu.Unlock()
	for s := range w.busy {
		if s.watch(now) {
			continue
		}
		s.watched.Store(false)
		if s.watch(now) { // work marked meanwhile, and the socket saw watched still set
			s.watched.Store(true)
			continue
		}
		delete(w.busy, s)
	}
	return len(w.busy) > 0
}
