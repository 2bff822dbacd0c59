package loadtest

import (
	"context"
	"sync"
	"time"
)

// A Client is one closed loop's end of a connection to the server under
// load. Do sends one request, waits for its answer and returns an error
// unless the answer is the one expected; after an error, the next Do may
// connect again. Each Client is used by one goroutine at a time.
type Client interface {
	Do(ctx context.Context) error
}

// Abandon is how long after its run's end a request still unanswered is
// given up: Do's context ends then.
const Abandon = 10 * time.Second

// Result is what a closed-loop run measured.
type Result struct {
	// OK counts the requests answered as expected, Failed the others.
	OK, Failed int
	// FirstFailure is the error of the first request that failed, nil
	// when none did.
	FirstFailure error
	// Latencies holds the time of each request answered as expected.
	Latencies Latencies
	// Elapsed runs from the start of the loops to the end of the last
	// request of the last one.
	Elapsed time.Duration
}

// Rate returns the requests answered as expected per second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// ClosedLoop runs one closed loop per client for d: each sends a request,
// waits for its answer and sends the next, so the load is as high as the
// server answers, with one request in flight per client. A loop starts
// no request once d has passed or ctx has ended. Do's context ends
// Abandon after d, or with ctx.
func ClosedLoop(ctx context.Context, clients []Client, d time.Duration) Result {
	began := time.Now()
	end := began.Add(d)
	ctx, cancel := context.WithDeadline(ctx, end.Add(Abandon))
	defer cancel()
	results := make([]Result, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			r := &results[i]
			for ctx.Err() == nil {
				sent := time.Now()
				if !sent.Before(end) {
					break
				}
				err := c.Do(ctx)
				took := time.Since(sent)
				if err != nil {
					if r.Failed++; r.Failed == 1 {
						r.FirstFailure = err
					}
					continue
				}
				r.OK++
				r.Latencies = append(r.Latencies, took)
			}
			r.Elapsed = time.Since(began)
		})
	}
	wg.Wait()
	var all Result
	n := 0
	for _, r := range results {
		n += len(r.Latencies)
	}
	all.Latencies = make(Latencies, 0, n)
	for _, r := range results {
		all.OK += r.OK
		all.Failed += r.Failed
		if all.FirstFailure == nil {
			all.FirstFailure = r.FirstFailure
		}
		all.Latencies = append(all.Latencies, r.Latencies...)
		all.Elapsed = max(all.Elapsed, r.Elapsed)
	}
	return all
}
