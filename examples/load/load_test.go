package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authwire/authwire/internal/loadtest"
)

// short is a load light enough for a test: its figures mean nothing, but
// every scenario runs, on real connections to a real demo.
var short = []string{"-duration", "150ms", "-rounds", "1", "-conns", "2"}

func runLoad(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errs bytes.Buffer
	code = run(context.Background(), args, &out, &errs)
	return code, out.String(), errs.String()
}

// row returns the table row whose first cell is name, or "".
func row(table, name string) string {
	for line := range strings.Lines(table) {
		if cells := strings.Split(line, "|"); len(cells) > 2 && strings.TrimSpace(cells[1]) == name {
			return line
		}
	}
	return ""
}

// cell returns the i-th cell (from 0) of a table row.
func cell(row string, i int) string {
	cells := strings.Split(row, "|")
	if i+1 >= len(cells) {
		return ""
	}
	return strings.TrimSpace(cells[i+1])
}

// checkBackendTable wants a row for every scenario with no errors, and a
// rate that is a number above zero.
func checkBackendTable(t *testing.T, out string) {
	t.Helper()
	for _, sc := range scenarios {
		name := sc.name
		if sc.ws {
			name += " (round trips)"
		}
		r := row(out, name)
		if r == "" {
			t.Errorf("no row for %s in:\n%s", name, out)
			continue
		}
		if rate := cell(r, 1); rate == "0" || !regexp.MustCompile(`^[0-9,]+$`).MatchString(rate) {
			t.Errorf("%s: rate %q", name, rate)
		}
		if errs := cell(r, 4); errs != "0" {
			t.Errorf("%s: %s errors", name, errs)
		}
	}
}

// TestRun builds the net/http demo once, then runs every scenario
// against it briefly, as the command starts it (-bin): no request fails,
// every row is there, and the demo's goroutines and heap come back to
// their level. Then it drives a demo started elsewhere (-addr), where
// memory is n/a, and logs in there with a wrong password: exit 1.
func TestRun(t *testing.T) {
	bin := t.TempDir()
	if err := buildDemos(context.Background(), bin, []string{"nethttp"}); err != nil {
		t.Fatal(err)
	}

	t.Run("started", func(t *testing.T) {
		code, out, errs := runLoad(t, append([]string{"-backends", "nethttp", "-bin", bin}, short...)...)
		if code != exitOK {
			t.Fatalf("exit %d\n%s\n%s", code, errs, out)
		}
		checkBackendTable(t, out)
		if sum := row(out, "nethttp"); !strings.Contains(sum, "**") {
			t.Errorf("no summary row for nethttp in:\n%s", out)
		}
		mem := regexp.MustCompile(`(?m)^\| nethttp +\| +\d+ → \d+ \| +[0-9.]+ MiB → [0-9.]+ MiB \| +yes \|$`)
		if !mem.MatchString(out) {
			t.Errorf("no memory row saying the demo came back to its level in:\n%s", out)
		}
		// The session cookie is fresh, so the jar's requests are not
		// answered with a refreshed one; a script's Basic requests
		// start no session.
		for _, name := range []string{scGuarded, scBasicNoJar} {
			if c := cell(row(out, name), 7); c != "0%" {
				t.Errorf("%s: %s of the answers set a cookie", name, c)
			}
		}
		if !strings.Contains(out, "Machine: ") || !strings.Contains(out, "cores") {
			t.Errorf("no machine line in:\n%s", out)
		}
	})

	t.Run("addr", func(t *testing.T) {
		hc := &http.Client{Transport: &http.Transport{}}
		defer hc.CloseIdleConnections()
		var logs bytes.Buffer
		targets, stop, err := startDemos(context.Background(), []string{"nethttp"}, bin, hc, &logs)
		defer func() {
			if err := stop(); err != nil {
				t.Errorf("stopping the demo: %v", err)
			}
		}()
		if err != nil {
			t.Fatalf("%v\n%s", err, logs.String())
		}
		addr := targets[0].addr
		code, out, errs := runLoad(t, append([]string{"-addr", addr, "-pid", fmt.Sprint(targets[0].pid), "-scenarios", "guarded,forward-auth"}, short...)...)
		if code != exitOK {
			t.Fatalf("exit %d\n%s\n%s", code, errs, out)
		}
		for _, name := range []string{scGuarded, scForwardAuth} {
			if r := row(out, name); cell(r, 4) != "0" || cell(r, 6) == "n/a" {
				t.Errorf("%s: errors or no CPU time per request with -pid: %q", name, r)
			}
		}
		if row(out, scPublic) != "" {
			t.Errorf("a scenario not asked for ran:\n%s", out)
		}
		if !strings.Contains(out, "n/a (not started by this command)") {
			t.Errorf("memory of a demo not started here is not n/a:\n%s", out)
		}

		code, out, errs = runLoad(t, append([]string{"-addr", addr, "-password", "wrong"}, short...)...)
		if code != exitFailed || !strings.Contains(errs, "wrong user or password") || out != "" {
			t.Errorf("wrong password: exit %d\n%s\n%s", code, errs, out)
		}
	})
}

// TestDrive drives two URLs with -url: each gets its own cookie and
// header on every request; a server that fails some requests makes the
// command exit 1.
func TestDrive(t *testing.T) {
	var good, bad atomic.Int64
	var wrong atomic.Value
	okSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cookie") != "a=1" || r.Header.Get("X-Original-URI") != "/app/" || r.URL.Path != "/verify" {
			wrong.Store(fmt.Sprintf("%s %q", r.URL, r.Header))
		}
		good.Add(1)
	}))
	defer okSrv.Close()
	failSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if bad.Add(1)%5 == 0 {
			http.Error(w, "no", http.StatusServiceUnavailable)
		}
	}))
	defer failSrv.Close()

	code, out, errs := runLoad(t, append([]string{
		"-url", okSrv.URL + "/verify", "-name", "first", "-cookie", "a=1", "-header", "X-Original-URI: /app/",
		"-url", okSrv.URL + "/verify", "-name", "second", "-cookie", "a=1", "-header", "X-Original-URI:/app/",
	}, short...)...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, errs, out)
	}
	if w := wrong.Load(); w != nil {
		t.Errorf("a request came without its cookie or header: %s", w)
	}
	for _, name := range []string{"first", "second"} {
		if r := row(out, name); cell(r, 4) != "0" || cell(r, 1) == "0" {
			t.Errorf("%s: %q", name, r)
		}
	}
	if ratio := cell(row(out, "first"), 5); ratio != "1.00" {
		t.Errorf("first ÷ first: %q", ratio)
	}

	// -jar: the cookie the answers set is sent from then on; only the
	// first request of each connection (2) may still carry the old one.
	var old, renewed atomic.Int64
	refresher := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch c := r.Header.Get("Cookie"); c {
		case "s=old; t=1":
			old.Add(1)
			http.SetCookie(w, &http.Cookie{Name: "s", Value: "new"})
		case "t=1; s=new", "s=new; t=1":
			renewed.Add(1)
		default:
			wrong.Store("cookie " + c)
		}
	}))
	defer refresher.Close()
	code, out, errs = runLoad(t, append([]string{"-url", refresher.URL, "-name", "jar", "-cookie", "s=old; t=1", "-jar"}, short...)...)
	if code != exitOK || old.Load() < 1 || old.Load() > 2 || renewed.Load() == 0 {
		t.Errorf("-jar: exit %d, %d requests with the old cookie, %d with the new\n%s\n%s", code, old.Load(), renewed.Load(), errs, out)
	}
	if w := wrong.Load(); w != nil {
		t.Errorf("-jar: %s", w)
	}

	code, out, errs = runLoad(t, append([]string{"-url", failSrv.URL}, short...)...)
	if code != exitFailed || !strings.Contains(errs, "requests failed") || !strings.Contains(errs, "503") {
		t.Errorf("a server that fails every fifth request: exit %d\n%s\n%s", code, errs, out)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-cookie", "a=1"},
		{"-jar"},
		{"-url", "http://192.0.2.1:80/"},
		{"-url", "https://127.0.0.1:4180/"},
		{"-addr", "example.com:80"},
		{"-addr", "127.0.0.1:1", "-profile", t.TempDir()},
		{"-addr", "127.0.0.1:1", "-bin", t.TempDir()},
		{"-conns", "0"},
		{"-backends", "echo"},
		{"-scenarios", "public,nonesuch"},
		{"-url", "http://127.0.0.1:1/", "-header", "no colon"},
		{"stray"},
	} {
		if code, out, errs := runLoad(t, args...); code != exitUsage || errs == "" || out != "" {
			t.Errorf("%q: exit %d\n%s\n%s", args, code, errs, out)
		}
	}
}

// TestLoadAllBackends runs the whole command as README's figures do, on
// the three demos, for a shorter time. It runs with AUTHWIRE_LOAD=1.
func TestLoadAllBackends(t *testing.T) {
	loadtest.Gate(t)
	code, out, errs := runLoad(t, "-duration", "1s", "-rounds", "2")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, errs, out)
	}
	for _, name := range []string{"nethttp", "gin", "fiber"} {
		if !strings.Contains(out, "| "+name+" ") {
			t.Errorf("no table for %s", name)
		}
	}
	t.Logf("\n%s", out)
}
