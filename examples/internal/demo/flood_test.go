package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authwire/authwire/internal/loadtest"
)

// floodBaseEnv, when set, makes this test binary the flood's process of
// TestLoadPasswordFlood (see TestMain): it floods the demo at that base
// URL, prints a floodResult as JSON and exits. The flood runs in a
// process of its own, as an attacker would, so that its goroutines,
// connections and garbage do not share a heap and a collector with the
// logged-in users' clients whose latency the test measures.
const floodBaseEnv = "AUTHWIRE_TEST_FLOOD_BASE"

// floodResult is what the flood's process saw.
type floodResult struct {
	Sent   int            // requests sent
	Status map[int]int    // answers by status code
	Errs   map[string]int // requests that failed, by error text
	Dials  int64          // connections opened
	Lat    loadtest.Latencies

	err error // the process failed; the rest may be empty
}

// answers describes how the flood was answered.
func (r *floodResult) answers() string {
	var parts []string
	for code, n := range r.Status {
		parts = append(parts, fmt.Sprintf("%d × %d", n, code))
	}
	for e, n := range r.Errs {
		parts = append(parts, fmt.Sprintf("%d × error %q", n, e))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// startFlood starts the flood's process against base and returns what it
// reports once it has sent floodRate requests a second for floodFor and
// every one was answered.
func startFlood(t *testing.T, base string) <-chan *floodResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), floodBaseEnv+"="+base)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan *floodResult, 1)
	waited := make(chan struct{})
	go func() {
		defer close(waited)
		r := new(floodResult)
		if r.err = cmd.Wait(); r.err == nil {
			r.err = json.Unmarshal(out.Bytes(), r)
		}
		done <- r
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-waited
	})
	return done
}

// runFlood is the flood's process: it floods base and prints what it saw.
func runFlood(base string) int {
	f := newFlooder(base)
	f.run(floodFor, floodRate)
	f.close()
	if err := json.NewEncoder(os.Stdout).Encode(&f.res); err != nil {
		fmt.Fprintln(os.Stderr, "flood:", err)
		return 1
	}
	return 0
}

// flooder sends wrong Basic passwords from 127.0.0.2 to 127.0.0.9, each
// address with a client of its own, which keeps its connections open
// until close.
type flooder struct {
	base    string
	clients []*http.Client

	dials atomic.Int64 // connections opened

	mu  sync.Mutex
	res floodResult
}

func newFlooder(base string) *flooder {
	f := &flooder{base: base, res: floodResult{Status: map[int]int{}, Errs: map[string]int{}}}
	for _, ip := range loadtest.Loopback(2, 9) {
		dial := loadtest.DialFrom(ip)
		f.clients = append(f.clients, &http.Client{
			Transport: &http.Transport{
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					f.dials.Add(1)
					return dial(ctx, network, addr)
				},
				MaxIdleConnsPerHost: 1024,
			},
			Timeout: 2 * time.Minute,
		})
	}
	return f
}

// close closes the connections the flood left open.
func (f *flooder) close() {
	for _, c := range f.clients {
		c.CloseIdleConnections()
	}
	f.res.Dials = f.dials.Load()
}

// run sends rate requests a second for d, on a fixed schedule whatever
// the answers take (an open loop), and returns once every one is
// answered. Request i guesses floodGuesses[i/48%4] for floodUsers[i%6]
// from address i/6%8.
func (f *flooder) run(d time.Duration, rate int) {
	var wg sync.WaitGroup
	began := time.Now()
	for i := 0; ; i++ {
		at := time.Duration(i) * time.Second / time.Duration(rate)
		if at >= d {
			break
		}
		time.Sleep(time.Until(began.Add(at)))
		user := floodUsers[i%len(floodUsers)]
		c := f.clients[i/len(floodUsers)%len(f.clients)]
		pass := floodGuesses[i/(len(floodUsers)*len(f.clients))%len(floodGuesses)]
		f.mu.Lock()
		f.res.Sent++
		f.mu.Unlock()
		wg.Go(func() { f.send(c, user, pass) })
	}
	wg.Wait()
}

func (f *flooder) send(c *http.Client, user, pass string) {
	req, err := http.NewRequest("GET", f.base+"/api/whoami", nil)
	if err != nil {
		panic(err)
	}
	req.SetBasicAuth(user, pass)
	began := time.Now()
	res, err := c.Do(req)
	if err == nil {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	took := time.Since(began)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		f.res.Errs[err.Error()]++
		return
	}
	f.res.Status[res.StatusCode]++
	f.res.Lat = append(f.res.Lat, took)
}
