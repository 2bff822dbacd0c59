// Package testclock is a clock that tests move by hand, for the Now and
// WithClock hooks of authwire's packages.
package testclock

import (
	"sync"
	"time"
)

// Clock is a settable clock, safe for concurrent use. Its zero value
// stands at the zero time; New starts it at a fixed instant.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a Clock at t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
