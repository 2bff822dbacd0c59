package callbacks_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/callbacks"
)

// TestCallsPerCaller checks MaxConcurrentPerCaller: a caller with that
// many calls running gets "too_many" (429) for the next, at once, while
// another user's call and the caller's own after one ends go through.
func TestCallsPerCaller(t *testing.T) {
	mux := http.NewServeMux()
	a, err := auth.New(mux,
		auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123"}),
		auth.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := callbacks.New(a, nil, callbacks.Config{MaxConcurrentPerCaller: 2, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	started := make(chan struct{}, 8)
	if err := reg.Protected("block", func(ctx context.Context, _ json.RawMessage) (any, error) {
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return "done", nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Mount(mux); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	defer reg.Shutdown(context.Background())

	call := func(user, pass string) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/_callbacks/block", strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(user, pass)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if status, body := call("viewer", "viewer123"); status != 200 {
				t.Errorf("a viewer call within the bound: %d %s", status, body)
			}
		})
	}
	for range 2 {
		select {
		case <-started:
		case <-time.After(waitFor):
			t.Fatal("the viewer's calls did not start")
		}
	}
	if status, body := call("viewer", "viewer123"); status != http.StatusTooManyRequests || !strings.Contains(body, `"too_many"`) {
		t.Errorf("a viewer call over the bound: %d %s", status, body)
	}
	admin := make(chan int, 1)
	go func() { status, _ := call("admin", "admin"); admin <- status }()
	select {
	case <-started:
	case <-time.After(waitFor):
		t.Fatal("admin's call did not start while the viewer held the bound")
	}
	close(release)
	if status := <-admin; status != 200 {
		t.Errorf("admin's call: %d", status)
	}
	wg.Wait()
}
