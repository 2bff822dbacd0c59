package ws

import (
	"context"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Each benchmark runs authwire's ws (net/http, session cookie, the guard
// in front) and raw coder/websocket (websocket.Accept, no authentication)
// side by side, over real loopback connections.

// benchTarget is one side of a comparison: where to dial and with what.
type benchTarget struct {
	url    string // ws://host/path
	header http.Header
	client *http.Client
	open   func() int // how many sockets the server holds
	app    *testApp   // nil for raw sockets
}

func (bt *benchTarget) dial(ctx context.Context) (*websocket.Conn, error) {
	c, _, err := websocket.Dial(ctx, bt.url, &websocket.DialOptions{HTTPClient: bt.client, HTTPHeader: bt.header})
	return c, err
}

// rawServer serves raw coder/websocket sockets that read until closed, and
// can close them all with one code, as a minimal hub would.
type rawServer struct {
	mu    sync.Mutex
	conns map[*websocket.Conn]struct{}
}

func (rs *rawServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	rs.mu.Lock()
	rs.conns[c] = struct{}{}
	rs.mu.Unlock()
	defer func() {
		rs.mu.Lock()
		delete(rs.conns, c)
		rs.mu.Unlock()
	}()
	readUntilClosed(context.Background(), c, nil)
}

func (rs *rawServer) closeAll(code websocket.StatusCode) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for c := range rs.conns {
		go c.Close(code, reasonEnded)
	}
}

func newRawTarget(b testing.TB) (*benchTarget, *rawServer) {
	rs := &rawServer{conns: make(map[*websocket.Conn]struct{})}
	mux := http.NewServeMux()
	mux.Handle("GET /ws/quiet", rs)
	base := newPlainServer(b, mux)
	client := &http.Client{Transport: &http.Transport{}}
	b.Cleanup(client.CloseIdleConnections)
	open := func() int {
		rs.mu.Lock()
		defer rs.mu.Unlock()
		return len(rs.conns)
	}
	return &benchTarget{url: "ws" + strings.TrimPrefix(base, "http") + "/ws/quiet", client: client, open: open}, rs
}

func newAuthwireTarget(b testing.TB) *benchTarget {
	app := newTestApp(b, backendsUnderTest[0], Config{Logger: discardLogger()})
	app.s.clock = realClock()
	cookie, _ := app.login("admin", "admin")
	return &benchTarget{
		url:    "ws" + strings.TrimPrefix(app.base, "http") + "/ws/quiet",
		header: cookieHeader(cookie),
		client: app.client,
		open:   app.s.Len,
		app:    app,
	}
}

// BenchmarkUpgrade measures a whole socket's life: dial, handshake, and a
// normal close handshake.
func BenchmarkUpgrade(b *testing.B) {
	run := func(b *testing.B, bt *benchTarget) {
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			c, err := bt.dial(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "upgrades/s")
	}
	b.Run("raw", func(b *testing.B) {
		bt, _ := newRawTarget(b)
		run(b, bt)
	})
	b.Run("authwire", func(b *testing.B) { run(b, newAuthwireTarget(b)) })
}

// idleSockets is how many sockets BenchmarkIdleSocketMemory holds open.
const idleSockets = 500

// BenchmarkIdleSocketMemory opens idleSockets sockets (client and server
// in this process) and reports the heap they hold, after GC, per socket;
// heap+stack-KiB/socket adds the goroutine stacks, which HeapInuse leaves out.
// Each authwire socket has a session of its own, as different users would.
func BenchmarkIdleSocketMemory(b *testing.B) {
	run := func(b *testing.B, bt *benchTarget) {
		headers := make([]http.Header, idleSockets)
		for i := range headers {
			headers[i] = bt.header
			if bt.app != nil {
				cookie, _ := bt.app.login("viewer", "viewer123")
				headers[i] = cookieHeader(cookie)
			}
		}
		ctx := context.Background()
		var heap, stack float64
		b.ResetTimer()
		for range b.N {
			before := memStats()
			conns := make([]*websocket.Conn, idleSockets)
			for i := range conns {
				c, _, err := websocket.Dial(ctx, bt.url, &websocket.DialOptions{HTTPClient: bt.client, HTTPHeader: headers[i]})
				if err != nil {
					b.Fatal(err)
				}
				conns[i] = c
			}
			waitOpen(b, bt, idleSockets)
			after := memStats()
			heap += float64(after.HeapInuse) - float64(before.HeapInuse)
			stack += float64(after.StackInuse) - float64(before.StackInuse)
			b.StopTimer()
			closeClients(conns)
			waitOpen(b, bt, 0)
			b.StartTimer()
		}
		per := float64(b.N) * idleSockets * 1024
		b.ReportMetric(heap/per, "KiB/socket")
		b.ReportMetric((heap+stack)/per, "heap+stack-KiB/socket")
	}
	b.Run("raw", func(b *testing.B) {
		bt, _ := newRawTarget(b)
		run(b, bt)
	})
	b.Run("authwire", func(b *testing.B) { run(b, newAuthwireTarget(b)) })
}

// waitOpen waits until the server side holds n sockets.
func waitOpen(b testing.TB, bt *benchTarget, n int) {
	deadline := time.Now().Add(waitFor)
	for {
		open := bt.open()
		if open == n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d sockets open, want %d", open, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func memStats() runtime.MemStats {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

func closeClients(conns []*websocket.Conn) {
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { c.Close(websocket.StatusNormalClosure, "") })
	}
	wg.Wait()
}

// revokeSockets is how many sockets of one session BenchmarkRevocation
// holds open.
const revokeSockets = 1000

// BenchmarkRevocation measures, per run, the time from the revocation of
// a session with revokeSockets open sockets (a.Revoke) to the last of its
// clients seeing 4401; ns/op is its mean. p50-ms and p99-ms are over the
// runs; client-p99-ms is over every client of every run. The raw side
// closes the same number of plain sockets with one goroutine each.
func BenchmarkRevocation(b *testing.B) {
	run := func(b *testing.B, bt *benchTarget, rs *rawServer) {
		var runs, clients []time.Duration
		ctx := context.Background()
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			sid := ""
			if bt.app != nil {
				var cookie string
				cookie, sid = bt.app.login("admin", "admin")
				bt.header = cookieHeader(cookie)
			}
			conns := dialMany(b, bt, revokeSockets)
			waitOpen(b, bt, revokeSockets)
			seen := make(chan time.Time, revokeSockets)
			for _, c := range conns {
				go func() {
					_, _, err := c.Read(ctx)
					if websocket.CloseStatus(err) != StatusUnauthenticated {
						b.Errorf("client read: %v", err)
					}
					seen <- time.Now()
				}()
			}
			b.StartTimer()
			start := time.Now()
			if bt.app != nil {
				if err := bt.app.a.Revoke(ctx, sid); err != nil {
					b.Fatal(err)
				}
			} else {
				rs.closeAll(StatusUnauthenticated)
			}
			var last time.Duration
			for range revokeSockets {
				d := (<-seen).Sub(start)
				clients = append(clients, d)
				last = max(last, d)
			}
			b.StopTimer()
			runs = append(runs, last)
			waitOpen(b, bt, 0)
			for _, c := range conns {
				c.CloseNow()
			}
			b.StartTimer()
		}
		b.ReportMetric(percentile(runs, 50), "p50-ms")
		b.ReportMetric(percentile(runs, 99), "p99-ms")
		b.ReportMetric(percentile(clients, 99), "client-p99-ms")
	}
	b.Run("raw", func(b *testing.B) {
		bt, rs := newRawTarget(b)
		run(b, bt, rs)
	})
	b.Run("authwire", func(b *testing.B) { run(b, newAuthwireTarget(b), nil) })
}

// dialMany opens n sockets, a few at a time.
func dialMany(b testing.TB, bt *benchTarget, n int) []*websocket.Conn {
	conns := make([]*websocket.Conn, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range conns {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := bt.dial(context.Background())
			if err != nil {
				b.Error(err)
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return conns
}

// percentile returns the p-th percentile of ds, in milliseconds.
func percentile(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)-1, (len(s)*p+99)/100-1)
	return float64(s[max(i, 0)]) / float64(time.Millisecond)
}
