package demo_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/authwire/authwire/examples/internal/demo"
)

// TestDebugAddr: DEBUG_ADDR serves the runtime figures and pprof on a
// loopback address until Close, and refuses any other address.
func TestDebugAddr(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:6060", ":6060", "example.com:6060", "127.0.0.1"} {
		var out bytes.Buffer
		if _, err := load(t, map[string]string{"DEBUG_ADDR": addr}, &out); err == nil || !strings.Contains(err.Error(), "DEBUG_ADDR") {
			t.Errorf("DEBUG_ADDR=%s: %v", addr, err)
		}
	}

	var out bytes.Buffer
	cfg, err := demo.Load(env(map[string]string{"STATE_DIR": t.TempDir(), "DEBUG_ADDR": "127.0.0.1:0"}), &out)
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(out.String(), "debug on ")
	base, _, _ := strings.Cut(after, "\n")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") {
		cfg.Close()
		t.Fatalf("no debug address in %q", out.String())
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Get(base + "/debug/runtime")
	if err != nil {
		cfg.Close()
		t.Fatal(err)
	}
	var stats demo.RuntimeStats
	err = json.NewDecoder(res.Body).Decode(&stats)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || stats.Goroutines < 2 || stats.HeapAlloc == 0 || stats.HeapInuse < stats.HeapAlloc {
		t.Errorf("/debug/runtime: %d %+v %v", res.StatusCode, stats, err)
	}
	res, err = client.Get(base + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		cfg.Close()
		t.Fatal(err)
	}
	var page bytes.Buffer
	page.ReadFrom(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(page.String(), "goroutine profile: total ") {
		t.Errorf("/debug/pprof/goroutine: %d %.80q", res.StatusCode, page.String())
	}
	if err := cfg.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Get(base + "/debug/runtime"); err == nil {
		t.Error("the debug server still answers after Close")
	}
}
