package ws

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/internal/loadtest"
	"github.com/authwire/authwire/internal/servetest"
	"github.com/authwire/authwire/internal/testbin"
)

// Sizes of TestLoadIdleSockets; the race detector allows at most 8128
// live goroutines, so it gets fewer.
var (
	loadIdleSockets  = loadtest.Scale(10_000, 1_000) // idle sockets of one user
	loadCloseSockets = loadtest.Scale(1_000, 200)    // sockets of the user that CloseUser closes
)

// TestLoadIdleSockets holds loadIdleSockets idle sockets of one user on
// authwire (ws.Server on net/http, session cookie, the guard in front),
// and as many on raw coder/websocket (websocket.Accept, no auth), and
// reports what each costs the server in memory: BenchmarkIdleSocketMemory
// for more sockets than one process may hold both ends of. Each server
// runs in a process of its own (this test binary, as TestLoadServer),
// measured after two GCs through a control endpoint and in /proc; the
// clients are here. Then, with those sockets still open, another user's
// loadCloseSockets sockets are closed with Server.CloseUser, and at the
// end the first user's, and it reports the time from the call to each
// client seeing 4401. The raw server closes its sockets with one
// goroutine each, as a minimal hub would.
//
// It asserts only what is not a timing: every socket opens and gets 4401
// (the other user's none), and each server's live heap returns near its
// level once the sockets are gone. It runs with AUTHWIRE_LOAD=1; the
// figures are printed with -v.
func TestLoadIdleSockets(t *testing.T) {
	loadtest.Gate(t)
	n, m := loadIdleSockets, loadCloseSockets
	if err := loadtest.RaiseFileLimit(loadFiles()); err != nil {
		testbin.Unavailable(t, err.Error())
	}
	// One source address has about 28,000 ephemeral ports, and a
	// connection bound to one keeps it for a minute after it closes
	// (TIME_WAIT); eight give room for both servers and for reruns.
	client := &http.Client{Transport: &http.Transport{DialContext: loadtest.DialFrom(loadtest.Loopback(1, 8)...)}}
	t.Cleanup(client.CloseIdleConnections)

	// Raw: n idle sockets, all closed with 4401 at once; then m more,
	// closed the same way.
	raw := startLoadServer(t, "raw", client)
	rawBase := raw.mem(t)
	began := time.Now()
	conns := dialMany(t, raw.target, n)
	waitOpen(t, raw.target, n)
	rawOpen := time.Since(began)
	rawPeak := raw.mem(t)
	rawCloseAll := watch(conns).closes(t, func() { raw.closeUser(t, "", n) })
	waitOpen(t, raw.target, 0)
	conns = dialMany(t, raw.target, m)
	waitOpen(t, raw.target, m)
	rawCloseFew := watch(conns).closes(t, func() { raw.closeUser(t, "", m) })
	waitOpen(t, raw.target, 0)
	rawAfter := raw.mem(t)
	raw.stop(t)

	// authwire: n sockets of viewer on one session; then m of admin
	// beside them, closed by CloseUser("admin"), which must leave
	// viewer's alone; then CloseUser("viewer").
	aw := startLoadServer(t, "authwire", client)
	viewer, admin := *aw.target, *aw.target
	viewer.header = cookieHeader(aw.login(t, "viewer", "viewer123"))
	admin.header = cookieHeader(aw.login(t, "admin", "admin"))
	awBase := aw.mem(t)
	began = time.Now()
	conns = dialMany(t, &viewer, n)
	waitOpen(t, aw.target, n)
	awOpen := time.Since(began)
	awPeak := aw.mem(t)
	viewers := watch(conns) // reads from now on, so pings are answered
	admins := watch(dialMany(t, &admin, m))
	waitOpen(t, aw.target, n+m)
	awCloseFew := admins.closes(t, func() { aw.closeUser(t, "admin", m) })
	waitOpen(t, aw.target, n)
	if got := viewers.ended(); got != 0 {
		t.Errorf("CloseUser(admin) ended %d of viewer's sockets", got)
	}
	awCloseAll := viewers.closes(t, func() { aw.closeUser(t, "viewer", n) })
	waitOpen(t, aw.target, 0)
	awAfter := aw.mem(t)
	aw.stop(t)

	var tb loadtest.Table
	tb.Row("server side, per socket or per close", "raw coder/websocket", "authwire", "authwire/raw")
	ratio := func(a, r float64) string { return strconv.FormatFloat(a/r, 'f', 2, 64) }
	perSocket := func(what string, f func(serverMem) int64) {
		r := float64(f(rawPeak)-f(rawBase)) / float64(n)
		a := float64(f(awPeak)-f(awBase)) / float64(n)
		tb.Row(what, loadtest.KiB(r), loadtest.KiB(a), ratio(a, r))
	}
	tb.Row(fmt.Sprintf("open %d sockets (16 dials at a time)", n), rawOpen.Round(time.Millisecond), awOpen.Round(time.Millisecond),
		ratio(awOpen.Seconds(), rawOpen.Seconds()))
	perSocket("heap per socket (HeapInuse)", func(s serverMem) int64 { return s.HeapInuse })
	perSocket("heap + goroutine stacks per socket", func(s serverMem) int64 { return s.HeapInuse + s.StackInuse })
	perSocket("RSS per socket (VmRSS)", func(s serverMem) int64 { return s.RSS })
	closeRows := func(what string, r, a loadtest.Latencies) {
		for _, p := range []float64{50, 99} {
			tb.Row(fmt.Sprintf("%s, p%v", what, p), loadtest.Ms(r.Percentile(p)), loadtest.Ms(a.Percentile(p)),
				ratio(float64(a.Percentile(p)), float64(r.Percentile(p))))
		}
	}
	closeRows(fmt.Sprintf("CloseUser → client sees 4401, %d sockets (authwire: %d of another user open)", m, n), rawCloseFew, awCloseFew)
	closeRows(fmt.Sprintf("CloseUser → client sees 4401, %d sockets", n), rawCloseAll, awCloseAll)
	path := func(f func(serverMem) int64, a, b, c serverMem) string {
		return loadtest.MiB(f(a)) + " → " + loadtest.MiB(f(b)) + " → " + loadtest.MiB(f(c))
	}
	heapAlloc := func(s serverMem) int64 { return s.HeapAlloc }
	rss := func(s serverMem) int64 { return s.RSS }
	tb.Row("live heap (HeapAlloc): before → with sockets → after", path(heapAlloc, rawBase, rawPeak, rawAfter), path(heapAlloc, awBase, awPeak, awAfter), "")
	tb.Row("RSS: before → with sockets → after", path(rss, rawBase, rawPeak, rawAfter), path(rss, awBase, awPeak, awAfter), "")
	t.Logf("%d idle sockets of one user, each server in a process of its own, clients in this one:\n%s", n, tb.String())
	if loadtest.Race {
		t.Log("race detector on: counts scaled down, and the figures mean nothing")
	}

	// What the sockets held is given back: the live heap ends within a
	// tenth of what they took of where it began (plus 2 MiB for the
	// runtime's own bookkeeping).
	for _, side := range []struct {
		name              string
		base, peak, after serverMem
	}{{"raw", rawBase, rawPeak, rawAfter}, {"authwire", awBase, awPeak, awAfter}} {
		held := side.peak.HeapAlloc - side.base.HeapAlloc
		if left := side.after.HeapAlloc - side.base.HeapAlloc; left > held/10+2<<20 {
			t.Errorf("%s: the live heap grew by %s with %d sockets and stays %s above where it began once they are closed",
				side.name, loadtest.MiB(held), n, loadtest.MiB(left))
		}
	}
}

// loadFiles is how many open files the client and the server process of
// TestLoadIdleSockets each need: one per socket, and some to spare.
func loadFiles() uint64 { return uint64(loadIdleSockets + loadCloseSockets + 1024) }

// loadServerEnv tells TestLoadServer which server to run: "raw" or
// "authwire".
const loadServerEnv = "AUTHWIRE_LOAD_SERVER"

// loadServerReady starts the line on which TestLoadServer gives the
// socket URL and the control URL.
const loadServerReady = "load server ready:"

// TestLoadServer is the server process of TestLoadIdleSockets when that
// test asks for it through the environment, and does nothing otherwise.
// It serves the raw or the authwire side of the benchmarks (newRawTarget,
// newAuthwireTarget) and, on a listener of its own, a control API: GET
// /mem (memory after two GCs), GET /open (sockets held), POST
// /close?user= (CloseUser on authwire; closing every socket on raw, with
// 4401). It stops when its standard input closes.
func TestLoadServer(t *testing.T) {
	side := os.Getenv(loadServerEnv)
	if side == "" {
		return
	}
	if err := loadtest.RaiseFileLimit(loadFiles()); err != nil {
		t.Fatal(err)
	}
	var bt *benchTarget
	var closeUser func(user string) int
	switch side {
	case "raw":
		var rs *rawServer
		bt, rs = newRawTarget(t)
		closeUser = func(string) int {
			n := bt.open()
			rs.closeAll(StatusUnauthenticated)
			return n
		}
	case "authwire":
		bt = newAuthwireTarget(t)
		closeUser = bt.app.s.CloseUser
	default:
		t.Fatalf("%s=%q: want raw or authwire", loadServerEnv, side)
	}
	ctl := http.NewServeMux()
	ctl.HandleFunc("GET /mem", func(w http.ResponseWriter, _ *http.Request) {
		m := memStats()
		json.NewEncoder(w).Encode(serverMem{HeapInuse: int64(m.HeapInuse), HeapAlloc: int64(m.HeapAlloc), StackInuse: int64(m.StackInuse)})
	})
	ctl.HandleFunc("GET /open", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, bt.open()) })
	ctl.HandleFunc("POST /close", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, closeUser(r.FormValue("user")))
	})
	fmt.Printf("%s %s %s\n", loadServerReady, bt.url, newPlainServer(t, ctl))
	io.Copy(io.Discard, os.Stdin)
}

// serverMem is a load server's memory: what runtime.MemStats says after
// two GCs, and its VmRSS.
type serverMem struct{ HeapInuse, HeapAlloc, StackInuse, RSS int64 }

// loadServer is a running TestLoadServer process.
type loadServer struct {
	target *benchTarget // dials through the test's client; open asks the process
	ctl    string       // the control API's base URL
	http   *http.Client // for the control API and logins
	proc   loadtest.Proc
	stop   func(t *testing.T)
}

// startLoadServer runs TestLoadServer for side in a process of its own,
// until stop is called or the test ends.
func startLoadServer(t *testing.T, side string, client *http.Client) *loadServer {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadServer$", "-test.count=1", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), loadServerEnv+"="+side)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan []string, 1)
	var rest bytes.Buffer // what it prints after the ready line, for a failure
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if f, ok := strings.CutPrefix(s.Text(), loadServerReady); ok {
				ready <- strings.Fields(f)
				break
			}
			rest.WriteString(s.Text() + "\n")
		}
		io.Copy(&rest, stdout)
	}()
	ctlClient := &http.Client{Transport: &http.Transport{}}
	var once sync.Once
	stop := func(t *testing.T) {
		once.Do(func() {
			ctlClient.CloseIdleConnections()
			stdin.Close()
			done := make(chan error, 1)
			go func() {
				<-copied
				done <- cmd.Wait()
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("%s load server: %v\n%s", side, err, rest.String())
				}
			case <-time.After(waitFor):
				cmd.Process.Kill()
				<-done
				t.Errorf("%s load server did not stop when its input closed", side)
			}
		})
	}
	t.Cleanup(func() { stop(t) })
	var f []string
	select {
	case f = <-ready:
	case <-copied:
		stop(t)
		t.Fatalf("%s load server ended before it was ready", side)
	case <-time.After(waitFor):
		t.Fatalf("%s load server is not ready after %v", side, waitFor)
	}
	if len(f) != 2 {
		t.Fatalf("%s load server: ready line %q", side, f)
	}
	ls := &loadServer{ctl: f[1], http: ctlClient, proc: loadtest.Proc(cmd.Process.Pid), stop: stop}
	ls.target = &benchTarget{url: f[0], client: client, open: func() int {
		n, err := strconv.Atoi(ls.call(t, "GET", "/open"))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}}
	return ls
}

// call sends a control request and returns the answer's body.
func (ls *loadServer) call(t *testing.T, method, path string) string {
	t.Helper()
	req, err := http.NewRequest(method, ls.ctl+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ls.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("%s %s: %d %q %v", method, path, res.StatusCode, b, err)
	}
	return string(b)
}

// mem returns the server's memory after two GCs.
func (ls *loadServer) mem(t *testing.T) serverMem {
	t.Helper()
	var m serverMem
	if err := json.Unmarshal([]byte(ls.call(t, "GET", "/mem")), &m); err != nil {
		t.Fatal(err)
	}
	m.RSS = ls.proc.MustRSS(t)
	return m
}

// login starts a session on the authwire server and returns its cookie.
func (ls *loadServer) login(t *testing.T, user, pass string) string {
	t.Helper()
	base := "http" + strings.TrimSuffix(strings.TrimPrefix(ls.target.url, "ws"), "/ws/quiet")
	cookie, _ := servetest.Login(t, ls.http, base+"/api/sid", user, pass)
	return cookie
}

// closeUser asks the server to close user's sockets and checks that it
// began closing want of them.
func (ls *loadServer) closeUser(t *testing.T, user string, want int) {
	t.Helper()
	if got := ls.call(t, "POST", "/close?user="+user); got != strconv.Itoa(want) {
		t.Errorf("close %q began closing %s sockets, want %d", user, got, want)
	}
}

// watcher reads client sockets until they close, noting when and how.
type watcher struct {
	wg    sync.WaitGroup
	mu    sync.Mutex
	at    []time.Time
	codes []websocket.StatusCode
	count int
}

// watch starts reading each of conns in a goroutine of its own, as a
// client that holds a socket does.
func watch(conns []*websocket.Conn) *watcher {
	w := &watcher{at: make([]time.Time, len(conns)), codes: make([]websocket.StatusCode, len(conns))}
	for i, c := range conns {
		w.wg.Go(func() {
			defer c.CloseNow()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var err error
			for err == nil {
				_, _, err = c.Read(ctx)
			}
			now := time.Now()
			w.mu.Lock()
			defer w.mu.Unlock()
			w.at[i], w.codes[i] = now, websocket.CloseStatus(err)
			w.count++
		})
	}
	return w
}

// ended reports how many of the sockets have closed so far.
func (w *watcher) ended() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count
}

// closes runs closeFn, waits for every socket to close, fails t unless
// each closed with 4401, and returns the time from the start of the call
// to each client seeing its close.
func (w *watcher) closes(t *testing.T, closeFn func()) loadtest.Latencies {
	t.Helper()
	start := time.Now()
	closeFn()
	w.wg.Wait()
	wrong := map[websocket.StatusCode]int{}
	d := make(loadtest.Latencies, len(w.at))
	for i, at := range w.at {
		if w.codes[i] != StatusUnauthenticated {
			wrong[w.codes[i]]++
		}
		d[i] = at.Sub(start)
	}
	if len(wrong) > 0 {
		t.Errorf("of %d sockets, some closed with another code than 4401 (code: how many; -1 is no close frame): %v", len(w.at), wrong)
	}
	return d
}
