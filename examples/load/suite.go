package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authwire/authwire/examples/internal/demo"
	"github.com/authwire/authwire/internal/loadtest"
)

// settings are how hard and how long the load runs.
type settings struct {
	conns    int           // connections (or sockets) per scenario
	rounds   int           // rounds, each running every scenario once
	duration time.Duration // of one scenario in one round
	profile  string        // directory for CPU profiles of the first round; "" for none
	progress io.Writer     // where progress and problems along the way are told
}

// sample is one scenario's run in one round.
type sample struct {
	rate       float64
	p50, p99   time.Duration
	ok, failed int
	failure    error         // the first
	cpu        time.Duration // the server's CPU time over the run; -1 when unknown
	setCookies int64         // answers that carried Set-Cookie
}

// measure runs sc against t with s.conns connections for s.duration. The
// connections open before the clock starts and close after it stops; the
// server's CPU time is read around the run itself.
func measure(ctx context.Context, t *target, sc scenario, s settings, profile string) sample {
	var setCookies atomic.Int64
	conns := make([]conn, s.conns)
	clients := make([]loadtest.Client, s.conns)
	// The connections, like the run, give up Abandon after its end.
	openCtx, cancel := context.WithTimeout(ctx, s.duration+loadtest.Abandon)
	defer cancel()
	var failure error
	for i := range conns {
		conns[i] = sc.open(t, &setCookies)
		clients[i] = conns[i]
		if err := conns[i].connect(openCtx); err != nil && failure == nil {
			failure = err
		}
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if failure != nil {
		return sample{failed: 1, failure: failure, cpu: -1}
	}
	var profiled sync.WaitGroup
	if profile != "" {
		profiled.Go(func() {
			secs := max(1, int(math.Round(s.duration.Seconds())))
			if err := cpuProfile(ctx, t.hc, t.debug, secs, profile); err != nil {
				fmt.Fprintf(s.progress, "%s %s: %v\n", t.name, sc.name, err)
			}
		})
	}
	cpu0 := cpuTime(t.pid)
	r := loadtest.ClosedLoop(ctx, clients, s.duration)
	cpu1 := cpuTime(t.pid)
	profiled.Wait()
	smp := sample{
		rate: r.Rate(), p50: r.Latencies.Percentile(50), p99: r.Latencies.Percentile(99),
		ok: r.OK, failed: r.Failed, failure: r.FirstFailure, cpu: -1, setCookies: setCookies.Load(),
	}
	if cpu0 >= 0 && cpu1 >= 0 {
		smp.cpu = cpu1 - cpu0
	}
	return smp
}

// cpuTime is the CPU time of process pid so far, or -1 when it cannot be
// read (no pid, or no /proc).
func cpuTime(pid int) time.Duration {
	if pid <= 0 {
		return -1
	}
	d, err := loadtest.Proc(pid).CPU()
	if err != nil {
		return -1
	}
	return d
}

// memory is a server's goroutines and live heap before and after the load.
type memory struct {
	known         bool // the server's debug endpoint answered
	before, after demo.RuntimeStats
	back          bool // after is within tolerance of before
	err           error
}

// Tolerances for "back to the level before the run": the live heap may
// keep a little more (caches filled by the load, bounded by design); a
// goroutine or two may be a connection the server has not yet seen
// close.
const (
	heapSlack      = 2 << 20 // bytes, plus heapSlackShare of the level before
	heapSlackShare = 0.25
	goroutineSlack = 2
	settleTries    = 60 // reads of the figures, settlePause apart, before giving up
	settlePause    = 500 * time.Millisecond
)

// within reports whether s is back near base.
func within(s, base demo.RuntimeStats) bool {
	heapMax := float64(base.HeapAlloc)*(1+heapSlackShare) + heapSlack
	return s.Goroutines <= base.Goroutines+goroutineSlack && float64(s.HeapAlloc) <= heapMax
}

// baseline reads the server's level once its goroutines are steady (the
// same count twice in a row).
func baseline(ctx context.Context, t *target) (demo.RuntimeStats, error) {
	prev, err := runtimeStats(ctx, t.hc, t.debug)
	if err != nil {
		return prev, err
	}
	for range settleTries {
		if err := sleep(ctx, settlePause/5); err != nil {
			return prev, err
		}
		s, err := runtimeStats(ctx, t.hc, t.debug)
		if err != nil {
			return s, err
		}
		if s.Goroutines == prev.Goroutines {
			return s, nil
		}
		prev = s
	}
	return prev, nil
}

// settle reads the server's figures until they are back near base, up to
// settleTries times; a server's pools of idle workers (fasthttp's) and
// connections closing take a moment.
func settle(ctx context.Context, t *target, base demo.RuntimeStats) memory {
	m := memory{known: true, before: base}
	for range settleTries {
		m.after, m.err = runtimeStats(ctx, t.hc, t.debug)
		if m.err != nil {
			return m
		}
		if m.back = within(m.after, base); m.back {
			return m
		}
		if err := sleep(ctx, settlePause); err != nil {
			m.err = err
			return m
		}
	}
	return m
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// results are everything a suite run measured on one target.
type results struct {
	t       *target
	samples map[string][]sample // by scenario, one per round
	warmup  []error             // failures of the warm-up
	mem     memory
}

// warmupFor is each scenario's warm-up run, on one connection, which
// fills what the server makes on first use before its level is read.
const warmupFor = 200 * time.Millisecond

// runSuite runs every scenario against every target, s.rounds times,
// interleaved (round 1 of each scenario on each target, then round 2…),
// so that a machine that slows down for a while slows all of them alike.
// Each target is logged in and warmed up first, and its level of
// goroutines and heap read; after the last round it must come back to
// that level.
func runSuite(ctx context.Context, targets []*target, scs []scenario, s settings) ([]*results, error) {
	all := make([]*results, len(targets))
	for i, t := range targets {
		r := &results{t: t, samples: map[string][]sample{}}
		all[i] = r
		warm := settings{conns: 1, duration: min(warmupFor, s.duration), progress: s.progress}
		for _, sc := range scs {
			if smp := measure(ctx, t, sc, warm, ""); smp.failed > 0 {
				r.warmup = append(r.warmup, fmt.Errorf("%s warm-up: %d failed, the first: %w", sc.name, smp.failed, smp.failure))
			}
		}
		if t.debug != "" {
			base, err := baseline(ctx, t)
			if err != nil {
				return nil, fmt.Errorf("%s: reading the server's goroutines and heap: %w", t.name, err)
			}
			r.mem.before = base
		}
	}
	for round := range s.rounds {
		for _, r := range all {
			for _, sc := range scs {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				profile := ""
				if s.profile != "" && round == 0 && r.t.debug != "" {
					profile = filepath.Join(s.profile, r.t.name+"-"+sc.name+".pprof")
				}
				smp := measure(ctx, r.t, sc, s, profile)
				r.samples[sc.name] = append(r.samples[sc.name], smp)
				fmt.Fprintf(s.progress, "round %d/%d  %-8s %-14s %s/s  p99 %s  errors %d\n",
					round+1, s.rounds, r.t.name, sc.name, thousands(smp.rate), loadtest.Ms(smp.p99), smp.failed)
			}
		}
	}
	for _, r := range all {
		if r.t.debug != "" {
			r.mem = settle(ctx, r.t, r.mem.before)
		}
	}
	return all, nil
}

// failed says what went wrong in a suite run, or nil.
func failed(all []*results) error {
	var errs []error
	for _, r := range all {
		errs = append(errs, r.warmup...)
		for _, sc := range scenarios {
			if n := summarize(r.samples[sc.name]).failed; n > 0 {
				errs = append(errs, fmt.Errorf("%s %s: %d requests failed; the first: %w", r.t.name, sc.name, n, firstFailure(r.samples[sc.name])))
			}
		}
		switch m := r.mem; {
		case !m.known:
		case m.err != nil:
			errs = append(errs, fmt.Errorf("%s: reading the server's goroutines and heap: %w", r.t.name, m.err))
		case !m.back:
			errs = append(errs, fmt.Errorf("%s: the server did not come back to its level after the run: goroutines %d → %d, live heap %s → %s",
				r.t.name, m.before.Goroutines, m.after.Goroutines, loadtest.MiB(int64(m.before.HeapAlloc)), loadtest.MiB(int64(m.after.HeapAlloc))))
		}
	}
	return errors.Join(errs...)
}

// firstFailure is the error of the first request that failed in smps.
func firstFailure(smps []sample) error {
	for _, smp := range smps {
		if smp.failure != nil {
			return smp.failure
		}
	}
	return nil
}
