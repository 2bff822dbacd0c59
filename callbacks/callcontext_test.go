package callbacks

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCallContext(t *testing.T) {
	// The earlier of its own deadline and its parent's.
	parent, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Minute))
	defer cancel()
	own := time.Now().Add(time.Hour)
	c := newCallContext(parent, own)
	if d, ok := c.Deadline(); !ok || !d.Equal(func() time.Time { pd, _ := parent.Deadline(); return pd }()) {
		t.Errorf("Deadline %v %v, want the parent's", d, ok)
	}
	c.end()
	if d, ok := newCallContext(context.Background(), own).Deadline(); !ok || !d.Equal(own) {
		t.Errorf("Deadline %v %v, want its own", d, ok)
	}

	// No timer, and so no end, until it is armed, even past its deadline;
	// once armed, it ends at its deadline as context.WithDeadline's do.
	c = newCallContext(context.Background(), time.Now().Add(-time.Second))
	c.mu.Lock()
	timer := c.timer
	c.mu.Unlock()
	if timer != nil || c.Err() != nil {
		t.Fatalf("before arm: timer %v, Err %v", timer != nil, c.Err())
	}
	c.arm()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("armed past its deadline and not ended")
	}
	if !errors.Is(c.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(c), context.DeadlineExceeded) {
		t.Errorf("Err %v, cause %v, want DeadlineExceeded", c.Err(), context.Cause(c))
	}

	// end cancels, and a later arm does nothing.
	c = newCallContext(context.Background(), time.Now().Add(time.Hour))
	c.end()
	c.arm()
	if !errors.Is(c.Err(), context.Canceled) {
		t.Errorf("after end: %v", c.Err())
	}
	c.mu.Lock()
	armed := c.timer != nil
	c.mu.Unlock()
	if armed {
		t.Error("arm after end made a timer")
	}
}
