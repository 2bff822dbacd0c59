// Command load puts the authwire demos under load over loopback and
// prints what they sustain, side by side: one table per backend (req/s,
// p50, p99, errors, ratio to the public route, the server's CPU time per
// request) and a summary across them.
//
//	go run ./examples/load                      # nethttp, gin and fiber, 32 connections, 3 rounds × 5 s
//	go run ./examples/load -backends gin -duration 2s -rounds 1
//	go run ./examples/load -addr 127.0.0.1:8050 # a demo already running
//	go run ./examples/load -profile /tmp/prof   # and a CPU profile of each scenario's first round
//
// It builds each demo (examples/nethttp, gin, fiber) and runs it as a
// program of its own on a free loopback port, with a state directory in
// a temporary directory, a strong random SESSION_SECRET and its debug
// endpoints on (DEBUG_ADDR), logs in through the login form, and drives
// it with closed loops: each connection sends a request, waits for the
// answer, and sends the next. The scenarios (-scenarios) are healthz,
// public, guarded, whoami, basic-nojar, forward-auth, ws-echo and
// callback-echo; each round runs each of them on each backend, and the
// tables give medians of the rounds.
//
// It exits with status 1 if any request failed (a transport error, or an
// answer that is not 2xx or not the echo sent), or if a demo's goroutines
// or live heap did not come back near their level before the load (read
// after garbage collection, a few times while pools of idle workers and
// closing connections drain). With -addr the demo is not started here,
// so those two checks are n/a; -pid names its process for the CPU time.
//
// With -url instead, it drives each URL given with the same load and one
// fixed request, for comparing a server that is not a demo, such as
// oauth2-proxy (scripts/oauth2proxy-compare.sh). The flags -name,
// -cookie, -jar, -header and -pid after a -url describe that URL:
//
//	go run ./examples/load -url http://127.0.0.1:4180/oauth2/auth -name oauth2-proxy -cookie "_oauth2_proxy=…" -pid 4242 \
//		-url http://127.0.0.1:8050/auth/verify -name authwire -cookie "authwire_session=…" -pid 4343
//
// The load only ever goes to loopback addresses. Progress goes to
// standard error, the tables (Markdown) to standard output.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // a request failed, or a server did not come back to its level
	exitUsage  = 2
)

// demoBackends are the demos there are, as -backends lists them.
const demoBackends = "nethttp,gin,fiber"

// run runs the command with args and returns its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	backends := fs.String("backends", demoBackends, "the demos to start and drive, comma-separated")
	addr := fs.String("addr", "", "drive the demo already listening at this loopback host:port instead of starting the demos")
	conns := fs.Int("conns", 32, "keep-alive connections (WebSocket scenarios: sockets) per scenario")
	rounds := fs.Int("rounds", 3, "rounds; each runs every scenario once, and the tables give medians")
	duration := fs.Duration("duration", 5*time.Second, "how long each scenario runs in each round")
	list := fs.String("scenarios", "all", "the scenarios to run, comma-separated: "+scenarioNames())
	user := fs.String("user", "viewer", "the demo user who logs in")
	password := fs.String("password", "viewer123", "that user's password")
	profile := fs.String("profile", "", "write a CPU profile of each scenario's first round on each demo into this directory")
	bin := fs.String("bin", "", "run the demo programs in this directory (as `go build -o DIR/ ./examples/nethttp …` leaves them) instead of building them")
	var drives []*driveTarget
	var pid int
	last := func(flagName string) (*driveTarget, error) {
		if len(drives) == 0 {
			return nil, fmt.Errorf("-%s describes the -url before it; there is none", flagName)
		}
		return drives[len(drives)-1], nil
	}
	fs.Func("url", "drive this http URL on loopback with one fixed request (repeatable; see -name, -cookie, -jar, -header, -pid)", func(s string) error {
		u, err := parseDriveURL(s)
		if err != nil {
			return err
		}
		drives = append(drives, &driveTarget{name: u.Host, u: u})
		return nil
	})
	fs.Func("name", "after -url: the name of that URL in the table", func(s string) error {
		d, err := last("name")
		if err == nil {
			d.name = s
		}
		return err
	})
	fs.Func("cookie", "after -url: the Cookie header sent with each request to it", func(s string) error {
		d, err := last("cookie")
		if err == nil {
			d.cookie = s
		}
		return err
	})
	fs.BoolFunc("jar", "after -url: keep the cookies its answers set and send those from then on, as a browser behind nginx does (auth_request_set and add_header Set-Cookie)", func(string) error {
		d, err := last("jar")
		if err == nil {
			d.jar = true
		}
		return err
	})
	fs.Func("header", "after -url: a header line \"Name: value\" sent with each request to it (repeatable)", func(s string) error {
		d, err := last("header")
		if err != nil {
			return err
		}
		h, err := headerLine(s)
		if err == nil {
			d.header = append(d.header, h)
		}
		return err
	})
	fs.Func("pid", "the server's process id, for its CPU time per request: with -addr, the demo's; after -url, that URL's server", func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return fmt.Errorf("want a process id, not %q", s)
		}
		if len(drives) > 0 {
			drives[len(drives)-1].pid = n
		} else {
			pid = n
		}
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "load: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		return usage("unexpected arguments %q", fs.Args())
	case *conns < 1 || *rounds < 1 || *duration <= 0:
		return usage("-conns and -rounds must be at least 1, -duration more than 0")
	case len(drives) > 0 && (*addr != "" || *profile != ""):
		return usage("-url drives the URLs given; it goes with neither -addr nor -profile")
	case *addr != "" && (*profile != "" || *bin != ""):
		return usage("-profile and -bin are for the demos this command starts, not for one at -addr")
	}
	s := settings{conns: *conns, rounds: *rounds, duration: *duration, profile: *profile, progress: stderr}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer hc.CloseIdleConnections()

	if len(drives) > 0 {
		if err := drive(ctx, drives, s, hc, stdout); err != nil {
			fmt.Fprintf(stderr, "load: %v\n", err)
			return exitFailed
		}
		return exitOK
	}

	scs, err := pickScenarios(*list)
	if err != nil {
		return usage("%v", err)
	}
	if *profile != "" {
		if err := os.MkdirAll(*profile, 0o755); err != nil {
			return usage("-profile: %v", err)
		}
	}
	var targets []*target
	if *addr != "" {
		host, _, err := net.SplitHostPort(*addr)
		if err == nil {
			err = loopbackHost(host)
		}
		if err != nil {
			return usage("-addr %q: %v", *addr, err)
		}
		t := newTarget(*addr, *addr, hc)
		t.pid = pid
		targets = append(targets, t)
	} else {
		names := strings.Split(*backends, ",")
		for _, n := range names {
			if !strings.Contains(","+demoBackends+",", ","+n+",") {
				return usage("-backends: no demo %q; there are %s", n, demoBackends)
			}
		}
		started, stopAll, err := startDemos(ctx, names, *bin, hc, stderr)
		defer func() {
			if err := stopAll(); err != nil {
				fmt.Fprintf(stderr, "load: %v\n", err)
			}
		}()
		if err != nil {
			fmt.Fprintf(stderr, "load: %v\n", err)
			return exitFailed
		}
		targets = started
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(*user+":"+*password))
	for _, t := range targets {
		t.basic = basic
		if err := formLogin(ctx, hc, "http://"+t.addr, t.jar, *user, *password); err != nil {
			fmt.Fprintf(stderr, "load: %s: %v\n", t.name, err)
			return exitFailed
		}
	}
	all, err := runSuite(ctx, targets, scs, s)
	if err != nil {
		fmt.Fprintf(stderr, "load: %v\n", err)
		return exitFailed
	}
	writeSuite(stdout, all, scs, s)
	if err := failed(all); err != nil {
		fmt.Fprintf(stderr, "load: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// startDemos starts the demos named, the programs in bin, or else built
// into a temporary directory, which also holds their state directories.
// stop ends the ones started and removes the temporary directory; call it
// in any case.
func startDemos(ctx context.Context, names []string, bin string, hc *http.Client, logs io.Writer) (targets []*target, stop func() error, err error) {
	dir, err := os.MkdirTemp("", "authwire-load-")
	if err != nil {
		return nil, func() error { return nil }, err
	}
	var procs []*demoProc
	stop = func() error {
		var errs []error
		for _, p := range procs {
			errs = append(errs, p.stop())
		}
		return errors.Join(append(errs, os.RemoveAll(dir))...)
	}
	if bin == "" {
		bin = dir
		fmt.Fprintf(logs, "building %s…\n", strings.Join(names, ", "))
		if err := buildDemos(ctx, dir, names); err != nil {
			return nil, stop, err
		}
	}
	for _, n := range names {
		p, err := startDemo(ctx, n, filepath.Join(bin, n), dir, logs)
		if err != nil {
			return nil, stop, err
		}
		procs = append(procs, p)
		t := newTarget(n, p.addr, hc)
		t.pid, t.debug = p.cmd.Process.Pid, p.debug
		targets = append(targets, t)
	}
	return targets, stop, nil
}

// scenarioNames lists the scenarios for -help.
func scenarioNames() string {
	var names []string
	for _, sc := range scenarios {
		names = append(names, sc.name)
	}
	return strings.Join(names, ", ") + ", or all"
}
