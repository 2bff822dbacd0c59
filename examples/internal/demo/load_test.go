package demo_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/examples/internal/demo"
	"github.com/authwire/authwire/internal/loadtest"
	"github.com/authwire/authwire/internal/servetest"
)

// The phases of TestLoadPasswordFlood; under the race detector (which
// allows at most 8128 live goroutines in this process) a shorter, slower
// flood.
var (
	quietFor  = loadtest.Scale(5*time.Second, 2*time.Second)
	floodFor  = loadtest.Scale(30*time.Second, 5*time.Second)
	floodRate = loadtest.Scale(200, 50) // wrong passwords per second
	settleFor = loadtest.Scale(10*time.Second, 3*time.Second)
	afterFor  = loadtest.Scale(5*time.Second, 2*time.Second) // users measured again, within settleFor
)

const (
	floodWorkers = 4                    // logged-in users, one closed loop each
	floodThink   = 5 * time.Millisecond // each user's pause between requests
)

// floodUsers are the names the flood guesses for, round robin: three that
// exist (one of them logged in and working meanwhile) and three that do
// not. floodGuesses are its passwords, all wrong.
var (
	floodUsers   = []string{"alice", "bob", "worker1", "ghost1", "ghost2", "ghost3"}
	floodGuesses = []string{"123456", "password", "qwerty", "letmein"}
)

// TestLoadPasswordFlood runs the net/http demo on a bcrypt htpasswd file
// (auth.HashPassword's cost) with the default regulation, and measures
// logged-in users asking GET /api/whoami with their session cookies:
// quiet, then while a flood of wrong Basic passwords arrives at
// floodRate from 127.0.0.2-9 for floodFor, then after. It reports the
// users' latency and rate, how the flood was answered, the demo's CPU
// time against the cap on concurrent hashes (GOMAXPROCS), and its
// resident memory.
//
// The flood draws on a small dictionary (floodUsers × floodGuesses), as a
// botnet trying common passwords does. After a few seconds every user and
// address it uses is banned, and each refused attempt still does the hash
// work of a checked one; concurrent attempts with the same credential
// share a hash run, so the demo keeps up with 200 such requests a second
// on two cores. (Every guess a different password would cost one bcrypt
// run each: at cost 12, a few per second per core, and the rest wait.)
//
// It asserts only what is not a timing: no request of a logged-in user
// failed; every flood request got 401; the right password of a flooded
// user was refused during the flood while another user could log in; the
// demo's live heap (after two collections, from its debug address)
// settles below 3× its quiet level (or 4 MiB over it); its RSS is only reported, since the
// runtime gives memory back to the system when it pleases. It runs with
// AUTHWIRE_LOAD=1; the figures are printed with -v.
func TestLoadPasswordFlood(t *testing.T) {
	loadtest.Gate(t)
	exe := buildDemo(t, "nethttp")

	// The users, hashed as auth.HashPassword does by default.
	const password = "the-right-password"
	names := []string{"alice", "bob", "carol"}
	for i := 1; i <= floodWorkers; i++ {
		names = append(names, fmt.Sprintf("worker%d", i))
	}
	htpasswd, hashTime := writeHtpasswd(t, names, password)
	debugAddr := servetest.FreeAddr(t)
	base, p := startProcess(t, exe, "INSECURE_COOKIES=1", "HTPASSWD="+htpasswd, "DEBUG_ADDR="+debugAddr)
	demoProc := loadtest.Proc(p.Pid)
	debugClient := &http.Client{Transport: &http.Transport{}, Timeout: time.Minute}
	t.Cleanup(debugClient.CloseIdleConnections)
	liveHeap := func() int64 {
		t.Helper()
		res, err := debugClient.Get("http://" + debugAddr + "/debug/runtime")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var stats demo.RuntimeStats
		if err := json.NewDecoder(res.Body).Decode(&stats); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("/debug/runtime: %d %v", res.StatusCode, err)
		}
		return int64(stats.HeapInuse)
	}

	// The logged-in users: a Basic login each, then only the cookie.
	cookies := make([]string, floodWorkers)
	clients := make([]*http.Client, floodWorkers)
	for i := range cookies {
		clients[i] = &http.Client{Transport: &http.Transport{}}
		t.Cleanup(clients[i].CloseIdleConnections)
		user := fmt.Sprintf("worker%d", i+1)
		cookies[i], _ = servetest.Login(t, clients[i], base+"/api/whoami", user, password)
	}
	users := func(d time.Duration) phase {
		return runUsers(base, clients, cookies, d)
	}
	probe := &http.Client{Transport: &http.Transport{}, Timeout: 2 * time.Minute}
	t.Cleanup(probe.CloseIdleConnections)
	// login tries user's right password, from 127.0.0.1; it may run on
	// any goroutine.
	type probeResult struct {
		user   string
		status int // 0 when there was no answer
		took   time.Duration
		err    error
	}
	login := func(user string) probeResult {
		req, err := http.NewRequest("GET", base+"/api/whoami", nil)
		if err != nil {
			return probeResult{user: user, err: err}
		}
		req.SetBasicAuth(user, password)
		began := time.Now()
		res, err := probe.Do(req)
		if err != nil {
			return probeResult{user: user, err: err}
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return probeResult{user: user, status: res.StatusCode, took: time.Since(began)}
	}
	// alice's right password is checked once before the flood, so that
	// during it the verified cache knows it: refused all the same.
	if r := login("alice"); r.status != 200 {
		t.Fatalf("alice before the flood: %d %v", r.status, r.err)
	}

	// Quiet.
	cpu0 := demoProc.MustCPU(t)
	quiet := users(quietFor)
	quietCPU := demoProc.MustCPU(t) - cpu0
	rssQuiet := demoProc.MustRSS(t)
	heapQuiet := liveHeap()

	// The flood, with the users working and three right passwords tried
	// a third of the way in.
	cpu0 = demoProc.MustCPU(t)
	floodBegan := time.Now()
	floodDone := startFlood(t, base)
	probeUsers := []string{"alice", "bob", "carol"}
	probes := make(chan probeResult, len(probeUsers))
	probeAt := (floodFor / 3).Round(100 * time.Millisecond)
	for _, user := range probeUsers {
		go func() {
			time.Sleep(probeAt)
			probes <- login(user)
		}()
	}
	rssPeak := rssQuiet
	sampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-sampling:
				return
			case <-time.After(time.Second):
				if rss, err := demoProc.RSS(); err == nil {
					rssPeak = max(rssPeak, rss)
				}
			}
		}
	}()
	during := users(floodFor)
	fl := <-floodDone // the last flood request answered
	floodWall := time.Since(floodBegan)
	floodCPU := demoProc.MustCPU(t) - cpu0
	close(sampling)
	<-sampled
	rssAfter := demoProc.MustRSS(t)

	// After: the flood's connections closed as its process ended; the
	// users again, then quiet until settleFor has passed.
	settleBegan := time.Now()
	after := users(afterFor)
	time.Sleep(time.Until(settleBegan.Add(settleFor)))
	rssSettled := demoProc.MustRSS(t)
	heapSettled := liveHeap()
	probed := make(map[string]probeResult)
	for range probeUsers {
		r := <-probes
		probed[r.user] = r
	}

	hashCap := runtime.GOMAXPROCS(0) // the demo's too: same machine, same environment
	cores := func(cpu, wall time.Duration) string {
		return fmt.Sprintf("%.2f of %d", cpu.Seconds()/wall.Seconds(), hashCap)
	}
	ratio := func(a, b time.Duration) string { return fmt.Sprintf("%.1f", float64(a)/float64(b)) }
	var tb loadtest.Table
	tb.Row("logged-in users (GET /api/whoami, session cookie)", "quiet", "during the flood", "after")
	tb.Row("phase length", quietFor, floodFor, afterFor)
	tb.Row("requests", len(quiet.lat), len(during.lat), len(after.lat))
	tb.Row("requests per second", quiet.rate(), during.rate(), after.rate())
	for _, p := range []float64{50, 99} {
		tb.Row(fmt.Sprintf("latency p%v", p), loadtest.Ms(quiet.lat.Percentile(p)), loadtest.Ms(during.lat.Percentile(p)), loadtest.Ms(after.lat.Percentile(p)))
	}
	tb.Row("latency p99 ÷ quiet p99", "1", ratio(during.lat.Percentile(99), quiet.lat.Percentile(99)), ratio(after.lat.Percentile(99), quiet.lat.Percentile(99)))
	tb.Row("latency max", loadtest.Ms(quiet.lat.Max()), loadtest.Ms(during.lat.Max()), loadtest.Ms(after.lat.Max()))
	tb.Row("failed requests", quiet.failed, during.failed, after.failed)
	tb.Row("demo CPU time / wall time, cores (cap on hashes: GOMAXPROCS − 1)",
		cores(quietCPU, quietFor), cores(floodCPU, floodWall)+fmt.Sprintf(" (%.1f s over %.1f s)", floodCPU.Seconds(), floodWall.Seconds()), "")
	tb.Row("demo RSS", loadtest.MiB(rssQuiet), "peak "+loadtest.MiB(rssPeak)+", at the end "+loadtest.MiB(rssAfter),
		fmt.Sprintf("%s %v later, the flood's connections closed", loadtest.MiB(rssSettled), settleFor))
	tb.Row("demo live heap (after two GCs)", loadtest.MiB(heapQuiet), "", loadtest.MiB(heapSettled)+" "+settleFor.String()+" later")
	var fb loadtest.Table
	fb.Row("the flood", "")
	existing := 0
	for _, u := range floodUsers {
		if slices.Contains(names, u) {
			existing++
		}
	}
	fb.Row("wrong Basic passwords sent", fmt.Sprintf("%d in %v from 127.0.0.2-9 (%d users × %d passwords; %d of the users exist)",
		fl.Sent, floodFor, len(floodUsers), len(floodGuesses), existing))
	fb.Row("answers", fl.answers())
	fb.Row("connections it opened (kept alive until it exited)", fl.Dials)
	for _, p := range []float64{50, 99} {
		fb.Row(fmt.Sprintf("time to answer, p%v", p), loadtest.Ms(fl.Lat.Percentile(p)))
	}
	fb.Row("time to answer, max", loadtest.Ms(fl.Lat.Max()))
	for _, user := range probeUsers {
		pr := probed[user]
		fb.Row(fmt.Sprintf("%s's right password, from 127.0.0.1, %v in", user, probeAt), fmt.Sprintf("%d in %s", pr.status, loadtest.Ms(pr.took)))
	}
	fb.Row("one bcrypt hash at HashPassword's cost, in the test process", loadtest.Ms(hashTime))
	t.Logf("net/http demo, bcrypt htpasswd, default regulation; %d users in closed loops (%v pause), %d wrong passwords/s for %v:\n%s\n%s",
		floodWorkers, floodThink, floodRate, floodFor, tb.String(), fb.String())
	if loadtest.Race {
		t.Log("race detector on: a shorter, slower flood, and the figures mean nothing")
	}

	for name, ph := range map[string]phase{"quiet": quiet, "during the flood": during, "after": after} {
		if ph.failed > 0 {
			t.Errorf("%s: %d of the logged-in users' %d requests failed; the first: %s", name, ph.failed, len(ph.lat)+ph.failed, ph.firstFailure)
		}
	}
	if fl.err != nil {
		t.Errorf("the flood's process: %v", fl.err)
	}
	if fl.Status[http.StatusUnauthorized] != fl.Sent {
		t.Errorf("of %d flood requests, %d got 401; all answers: %s", fl.Sent, fl.Status[http.StatusUnauthorized], fl.answers())
	}
	// alice and bob are flooded, so their user keys are banned: their
	// right passwords are refused (alice's from the verified cache, bob's
	// before any check). carol is not, and 127.0.0.1 is not banned.
	for user, want := range map[string]int{"alice": 401, "bob": 401, "carol": 200} {
		if pr := probed[user]; pr.status != want {
			t.Errorf("%s's right password during the flood: %d %v, want %d", user, pr.status, pr.err, want)
		}
	}
	// 3× a small quiet heap leaves little room for what the flood may
	// rightly leave (the regulator's entries, the verified cache), so
	// 4 MiB more is allowed too: a leak of a KiB a flood request is 6 MiB.
	if heapSettled > max(3*heapQuiet, heapQuiet+4<<20) {
		t.Errorf("the demo's live heap was %s when quiet and is %s %v after the flood", loadtest.MiB(heapQuiet), loadtest.MiB(heapSettled), settleFor)
	}
}

// writeHtpasswd writes an htpasswd file in which every user has the
// password pass, hashed once with auth.HashPassword (each user's line is
// checked on its own, so sharing the hash changes nothing but the time
// the test takes to start), and returns its path and how long the hash
// took.
func writeHtpasswd(t *testing.T, users []string, pass string) (string, time.Duration) {
	began := time.Now()
	h, err := auth.HashPassword(pass)
	took := time.Since(began)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, u := range users {
		b.WriteString(u + ":" + h + "\n")
	}
	path := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, took
}

// phase is what the logged-in users saw in one phase.
type phase struct {
	d            time.Duration
	lat          loadtest.Latencies // of the requests that succeeded
	failed       int
	firstFailure string
}

func (p phase) rate() string { return fmt.Sprintf("%.0f", float64(len(p.lat))/p.d.Seconds()) }

// runUsers runs one closed loop per client for d: GET /api/whoami with
// the client's session cookie, which must answer 200 with its user, then
// a pause of floodThink.
func runUsers(base string, clients []*http.Client, cookies []string, d time.Duration) phase {
	end := time.Now().Add(d)
	var mu sync.Mutex
	all := phase{d: d}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			var mine phase
			want := fmt.Sprintf(`"user":"worker%d"`, i+1)
			for time.Now().Before(end) {
				began := time.Now()
				problem := userRequest(c, base, cookies[i], want)
				if problem == "" {
					mine.lat = append(mine.lat, time.Since(began))
				} else if mine.failed++; mine.failed == 1 {
					mine.firstFailure = problem
				}
				time.Sleep(floodThink)
			}
			mu.Lock()
			defer mu.Unlock()
			all.lat = append(all.lat, mine.lat...)
			all.failed += mine.failed
			if all.firstFailure == "" {
				all.firstFailure = mine.firstFailure
			}
		})
	}
	wg.Wait()
	return all
}

// userRequest sends one request of a logged-in user and says what was
// wrong with it, or "".
func userRequest(c *http.Client, base, cookie, want string) string {
	req, err := http.NewRequest("GET", base+"/api/whoami", nil)
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Cookie", auth.DefaultSessionCookie+"="+cookie)
	res, err := c.Do(req)
	if err != nil {
		return err.Error()
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 || !strings.Contains(string(b), want) {
		return fmt.Sprintf("%d %q %v", res.StatusCode, b, err)
	}
	return ""
}
