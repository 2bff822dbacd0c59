package callbacks

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/ws"
)

// TestStalledWritesEndTheSocket checks that a client that stops reading
// loses its socket once the server's writes have made no progress for the
// write timeout, and that the stream writing to it is told so (emit
// fails) and ends, rather than holding its goroutine and memory.
func TestStalledWritesEndTheSocket(t *testing.T) {
	mux := http.NewServeMux()
	a, err := auth.New(mux, auth.WithUsers(map[string]string{"admin": "admin"}))
	if err != nil {
		t.Fatal(err)
	}
	sockets, err := ws.New(a, ws.Config{PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := New(a, sockets, Config{Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	reg.dog.writeTimeout = 100 * time.Millisecond
	ended := make(chan error, 1)
	chunk := strings.Repeat("x", 64<<10)
	if err := reg.PublicStream("flood", func(ctx context.Context, _ json.RawMessage, emit func(any) error) error {
		for {
			if err := emit(chunk); err != nil {
				ended <- err
				return err
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	mux.Handle("/_callbacks/", reg.Handler())
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/_callbacks/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"id":"f","call":"flood"}`)); err != nil {
		t.Fatal(err)
	}
	// The client never reads: the socket's buffers fill and the server's
	// writes stall.
	select {
	case err := <-ended:
		if err == nil {
			t.Fatal("emit failed with a nil error")
		}
	case <-ctx.Done():
		t.Fatal("the stream to a client that stopped reading never ended")
	}
	shutdown, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	if err := reg.Shutdown(shutdown); err != nil {
		t.Fatalf("registry shutdown: %v", err)
	}
	if err := sockets.Shutdown(shutdown); err != nil {
		t.Fatalf("ws shutdown: %v", err)
	}
}

// TestWatchdogStopsWhenIdleAndStartsAgain checks the watchdog's life
// cycle: it stops after its idle ticks, a later piece of work starts it
// again, and wait returns once life has ended.
func TestWatchdogStopsWhenIdleAndStartsAgain(t *testing.T) {
	life, end := context.WithCancel(context.Background())
	w := newWatchdog(life)
	w.tick, w.idleTicks = time.Millisecond, 3
	stopped := func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return !w.running
	}
	for round := range 2 {
		w.wake()
		if stopped() {
			t.Fatalf("round %d: not running after wake", round)
		}
		deadline := time.Now().Add(10 * time.Second)
		for !stopped() {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: still running with nothing to watch", round)
			}
			time.Sleep(time.Millisecond)
		}
	}
	w.wake()
	end()
	w.wait()
	if !stopped() {
		t.Fatal("running after life ended and wait returned")
	}
	w.wake()
	if !stopped() {
		t.Fatal("started again after wait")
	}
}

// TestWatchdogLooksOnlyAtBusySockets checks that a socket enters the
// watchdog's busy set when it marks work and leaves it once idle, so that
// idle sockets cost the watchdog nothing.
func TestWatchdogLooksOnlyAtBusySockets(t *testing.T) {
	life, end := context.WithCancel(context.Background())
	defer end()
	w := newWatchdog(life)
	r := &Registry{dog: w}
	busy := &socketSession{r: r}

	busy.writes.Add(1)
	busy.writeProgress.Store(int64(w.now()))
	w.watch(busy)
	count := func() int {
		w.busyMu.Lock()
		defer w.busyMu.Unlock()
		return len(w.busy)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d sockets in the busy set, want 1", n)
	}
	if !w.look(w.now()) || count() != 1 {
		t.Fatal("a socket with a write in progress was dropped")
	}
	busy.writes.Add(-1)
	if w.look(w.now()) || count() != 0 || busy.watched.Load() {
		t.Fatal("an idle socket stayed in the busy set")
	}
	// Marked again, it is watched again.
	busy.writes.Add(1)
	w.watch(busy)
	if count() != 1 || !busy.watched.Load() {
		t.Fatal("a socket with new work is not watched")
	}
	busy.writes.Add(-1)
	end()
	w.wait()
}
