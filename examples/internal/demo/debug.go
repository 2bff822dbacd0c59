package demo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"
)

// RuntimeStats is the body of GET /debug/runtime on the debug address
// (DEBUG_ADDR): the process's goroutines and live heap, read after two
// garbage collections (the second empties what sync.Pools kept through
// the first).
type RuntimeStats struct {
	Goroutines int    `json:"goroutines"`
	HeapAlloc  uint64 `json:"heap_alloc"` // bytes of live objects
	HeapInuse  uint64 `json:"heap_inuse"` // bytes in spans holding objects
}

// readRuntimeStats collects the garbage twice and reads RuntimeStats.
func readRuntimeStats() RuntimeStats {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return RuntimeStats{Goroutines: runtime.NumGoroutine(), HeapAlloc: m.HeapAlloc, HeapInuse: m.HeapInuse}
}

// startDebug serves the debug endpoints on addr, which must be a loopback
// address (they show the process's memory, goroutines and code, and a
// CPU profile costs what it measures): net/http/pprof under
// /debug/pprof/, and RuntimeStats at /debug/runtime. It prints
// "debug on http://ADDR" and returns a function that stops the server.
func startDebug(addr string, stdout io.Writer) (stop func() error, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("DEBUG_ADDR %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("DEBUG_ADDR %q: the debug endpoints show the process's memory and code, so they listen on a loopback address only, such as 127.0.0.1:6060", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("DEBUG_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/runtime", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(readRuntimeStats())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "debug on http://%s\n", ln.Addr())
	return func() error {
		err := srv.Close()
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	}, nil
}
