package loadtest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// countingClient fails every third request and records what it saw.
type countingClient struct {
	calls    int
	inFlight atomic.Int32
	overlap  bool // two of its requests were in flight at once
}

func (c *countingClient) Do(ctx context.Context) error {
	if c.inFlight.Add(1) != 1 {
		c.overlap = true
	}
	defer c.inFlight.Add(-1)
	c.calls++
	if _, ok := ctx.Deadline(); !ok {
		return errors.New("no deadline")
	}
	time.Sleep(time.Millisecond)
	if c.calls%3 == 0 {
		return fmt.Errorf("call %d failed", c.calls)
	}
	return nil
}

func TestClosedLoop(t *testing.T) {
	clients := []*countingClient{{}, {}, {}}
	loop := make([]Client, len(clients))
	for i, c := range clients {
		loop[i] = c
	}
	const d = 50 * time.Millisecond
	began := time.Now()
	r := ClosedLoop(context.Background(), loop, d)
	calls, failed := 0, 0
	for i, c := range clients {
		calls += c.calls
		failed += c.calls / 3
		if c.overlap {
			t.Errorf("client %d had two requests in flight", i)
		}
	}
	if calls == 0 || r.OK+r.Failed != calls || r.Failed != failed || len(r.Latencies) != r.OK {
		t.Fatalf("%d calls, %d of them failing; result %d ok, %d failed, %d latencies", calls, failed, r.OK, r.Failed, len(r.Latencies))
	}
	if r.FirstFailure == nil || r.FirstFailure.Error() != "call 3 failed" {
		t.Errorf("first failure %v", r.FirstFailure)
	}
	if r.Elapsed < d || time.Since(began) < r.Elapsed {
		t.Errorf("elapsed %v for a run of %v that took %v", r.Elapsed, d, time.Since(began))
	}
	if want := float64(r.OK) / r.Elapsed.Seconds(); r.Rate() != want {
		t.Errorf("rate %v, want %v", r.Rate(), want)
	}
	for _, l := range r.Latencies {
		if l < time.Millisecond {
			t.Fatalf("a latency of %v for a request that sleeps 1 ms", l)
		}
	}
	if (Result{}).Rate() != 0 {
		t.Error("rate of nothing")
	}
}

// blockingClient waits for its context to end.
type blockingClient struct{ started chan struct{} }

func (c blockingClient) Do(ctx context.Context) error {
	select {
	case c.started <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestClosedLoopCancel: ending ctx ends the run, and the request it cut
// short counts as failed.
func TestClosedLoopCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := blockingClient{started: make(chan struct{}, 1)}
	go func() {
		<-c.started
		cancel()
	}()
	r := ClosedLoop(ctx, []Client{c}, time.Hour)
	if r.OK != 0 || r.Failed != 1 || !errors.Is(r.FirstFailure, context.Canceled) {
		t.Errorf("%+v", r)
	}
}
