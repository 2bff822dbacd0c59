package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/authwire/authwire/examples/internal/demo"
)

// demoPackage is the import path of the demo named name.
func demoPackage(name string) string { return "github.com/authwire/authwire/examples/" + name }

// buildDemos builds the demos named into dir, in one go build.
func buildDemos(ctx context.Context, dir string, names []string) error {
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, demoPackage(n))
	}
	out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %w (run the command from within the authwire module, as go run ./examples/load)\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// demoProc is a demo running as a program of its own, as users run it.
type demoProc struct {
	name  string
	cmd   *exec.Cmd
	addr  string // host:port it serves on
	debug string // base URL of its debug endpoints
	waitc chan error
}

// startTimeout bounds the wait for a demo to say where it listens (its
// session keys come from the secret through argon2id first).
const startTimeout = time.Minute

// startDemo runs the program exe on a free loopback port with a state
// directory under dir, a strong random SESSION_SECRET, cookies without
// Secure (plain http on loopback), loopback as a trusted proxy (for
// forward auth's X-Original-URI) and its debug endpoints on another free
// port; the demo variables it does not set are emptied, so that the
// caller's environment (a REDIS_URL, say) does not change what is
// measured. What the demo prints later goes to logs, each line after its
// name.
func startDemo(ctx context.Context, name, exe, dir string, logs io.Writer) (*demoProc, error) {
	secret := make([]byte, 32)
	rand.Read(secret)
	state := filepath.Join(dir, "state-"+name)
	if err := os.MkdirAll(state, 0o700); err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(),
		"ADDR=127.0.0.1:0",
		"DEBUG_ADDR=127.0.0.1:0",
		"STATE_DIR="+state,
		"SESSION_SECRET="+base64.StdEncoding.EncodeToString(secret),
		"INSECURE_COOKIES=1",
		"TRUSTED_PROXIES=127.0.0.1/32",
		"AUTH_MODE=", "HTPASSWD=", "HTGROUPS=", "REDIS_URL=", "OIDC_ISSUER=", "TLS_CERT=", "TLS_KEY=", "ALLOWED_REDIRECT_HOSTS=",
	)
	started := make(chan struct{})
	p := &demoProc{name: name, cmd: cmd, waitc: make(chan error, 1)}
	var once sync.Once
	out := &lineWriter{line: func(line string) {
		if u, ok := strings.CutPrefix(line, "debug on "); ok {
			p.debug = u
			return
		}
		if u, ok := strings.CutPrefix(line, "listening on http://"); ok {
			p.addr = u
			once.Do(func() { close(started) })
			return
		}
		fmt.Fprintf(logs, "[%s] %s\n", name, line)
	}}
	cmd.Stdout = out
	cmd.Stderr = &lineWriter{line: func(line string) { fmt.Fprintf(logs, "[%s] %s\n", name, line) }}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.waitc <- cmd.Wait() }()
	select {
	case <-started:
		if p.debug == "" {
			p.stop()
			return nil, fmt.Errorf("%s demo: it printed no debug address", name)
		}
		return p, nil
	case err := <-p.waitc:
		p.waitc <- err
		return nil, fmt.Errorf("%s demo ended before it listened: %v", name, err)
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	case <-time.After(startTimeout):
		p.stop()
		return nil, fmt.Errorf("%s demo did not say where it listens within %v", name, startTimeout)
	}
}

// stop ends the demo with SIGINT (a clean shutdown), or kills it if it is
// still running ten seconds later, and reports how it ended.
func (p *demoProc) stop() error {
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-p.waitc:
		if err != nil {
			return fmt.Errorf("%s demo: %w", p.name, err)
		}
		return nil
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.waitc
		return fmt.Errorf("%s demo did not stop within 10 s of SIGINT; killed", p.name)
	}
}

// runtimeStats asks the demo's debug endpoint for its goroutines and live
// heap after two garbage collections.
func runtimeStats(ctx context.Context, hc *http.Client, debug string) (demo.RuntimeStats, error) {
	var s demo.RuntimeStats
	req, err := http.NewRequestWithContext(ctx, "GET", debug+"/debug/runtime", nil)
	if err != nil {
		return s, err
	}
	res, err := hc.Do(req)
	if err != nil {
		return s, err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return s, fmt.Errorf("GET %s/debug/runtime: %s", debug, res.Status)
	}
	return s, json.NewDecoder(res.Body).Decode(&s)
}

// cpuProfile writes a CPU profile of the demo over the next secs seconds
// to path.
func cpuProfile(ctx context.Context, hc *http.Client, debug string, secs int, path string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", debug, secs), nil)
	if err != nil {
		return err
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("CPU profile: %s: %s", res.Status, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, res.Body)
	return errors.Join(err, f.Close())
}

// lineWriter hands each complete line written to it to line.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	line func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}
