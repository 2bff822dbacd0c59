package callbacks

import (
	"context"
	"errors"
	"sync"
	"time"
)

// callContext is the context of one call. It ends at its deadline as a
// context from context.WithDeadline does (Err is DeadlineExceeded, and so
// is its cause), but the timer that ends it is armed on demand: a call
// that runs on a socket's reading goroutine and is answered within
// [handOffAfter] never needs one. Making a runtime timer wakes the
// network poller, which on a small machine costs about as much as the
// rest of a quick call (see the package benchmarks).
type callContext struct {
	context.Context // from context.WithCancelCause(parent)
	cancel          context.CancelCauseFunc
	deadline        time.Time

	mu    sync.Mutex
	timer *time.Timer // once armed
	ended bool
}

// newCallContext returns a context of parent that ends at deadline, once
// armed, or when parent ends or end is called.
func newCallContext(parent context.Context, deadline time.Time) *callContext {
	ctx, cancel := context.WithCancelCause(parent)
	return &callContext{Context: ctx, cancel: cancel, deadline: deadline}
}

// Deadline returns the call's deadline, or the parent's when that is
// earlier.
func (c *callContext) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

// Err returns DeadlineExceeded once the deadline has ended the call, as
// a context from context.WithDeadline would.
func (c *callContext) Err() error {
	err := c.Context.Err()
	if err != nil && errors.Is(context.Cause(c.Context), context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}

// arm starts the timer that ends the call at its deadline; it does
// nothing if the timer runs already or the call is over.
func (c *callContext) arm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil || c.ended {
		return
	}
	c.timer = time.AfterFunc(time.Until(c.deadline), func() { c.cancel(context.DeadlineExceeded) })
}

// end ends the call's context and stops its timer.
func (c *callContext) end() {
	c.mu.Lock()
	c.ended = true
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	c.cancel(context.Canceled)
}
