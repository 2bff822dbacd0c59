//go:build linux

package browsertest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// Timeouts of Start and of the cleanup. They are generous, because a busy CI
// runner under the race detector can be slow.
const (
	startTimeout = 30 * time.Second // until Chromium prints its DevTools address
	termTimeout  = 5 * time.Second  // from SIGTERM until SIGKILL
	killTimeout  = 5 * time.Second  // from SIGKILL until the cleanup gives up
)

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER of prctl(2).
const prSetChildSubreaper = 36

// Start launches Chromium for the life of t and connects to it. The flags
// go on its command line after the package's own, for example
// --ignore-certificate-errors-spki-list=HASH to trust the certificate of
// a test's HTTPS server (HASH is the base64 SHA-256 of the certificate's
// SubjectPublicKeyInfo).
//
// It skips t when it finds no Chromium, unless the environment variable CI is
// set: then it fails t. When $CHROMIUM is set, Start uses that path and fails
// t when it is not an executable. Start fails t when Chromium does not start.
//
// The first Start makes the test process a child subreaper (see prctl(2)), so
// that the processes that Chromium leaves behind become children of the test
// process and not of PID 1, and the cleanup can reap them. Many init processes
// of containers reap orphans late or never.
func Start(t testing.TB, flags ...string) *Browser {
	t.Helper()
	path, err := execPath()
	if err != nil {
		if os.Getenv("CHROMIUM") != "" {
			t.Fatalf("browsertest: %v", err) // an explicit path that is wrong is a mistake
		}
		unavailable(t, err)
	}
	if err := becomeSubreaper(); err != nil {
		t.Logf("browsertest: cannot become a child subreaper (%v); processes that Chromium leaves behind become zombies of PID 1", err)
	}

	b := &Browser{
		dir:       t.TempDir(),
		configDir: t.TempDir(),
		exited:    make(chan struct{}),
		done:      make(chan struct{}),
		stderr:    &tail{max: 100},
	}
	args := append(append(chromiumFlags(), flags...),
		"--user-data-dir="+b.dir,
		"--remote-debugging-port=0",
		"about:blank",
	)
	b.cmd = exec.Command(path, args...)
	// The crash handler of Chromium keeps its database in
	// $CHROME_CONFIG_HOME/chromium and not in the user data dir. Keep it out
	// of the home directory, and give the handler, which leaves the process
	// group, a unique directory on its command line.
	b.cmd.Env = append(os.Environ(), "CHROME_CONFIG_HOME="+b.configDir)
	b.cmd.SysProcAttr = &syscall.SysProcAttr{
		// A group of its own, so that the cleanup can stop Chromium
		// and all the processes that it forks.
		Setpgid: true,
		// If the test binary dies, for example on the panic of a
		// timeout, the browser goes with it. The renderers then lose
		// their connection to it and stop too.
		Pdeathsig: syscall.SIGKILL,
	}

	// Read stderr through a pipe of our own: the child processes of
	// Chromium inherit it, so EOF means that all of them have ended.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	b.cmd.Stderr = w
	if err := b.cmd.Start(); err != nil {
		r.Close()
		w.Close()
		t.Fatalf("browsertest: starting %s: %v", path, err)
	}
	w.Close()
	go func() {
		b.cmd.Wait()
		close(b.exited)
	}()
	wsURL := make(chan string, 1)
	go b.readStderr(r, wsURL)
	// From now on the cleanup stops the browser, whatever happens below.
	// It runs before the cleanups of the two TempDirs above.
	t.Cleanup(func() { b.stop(t) })

	var url string
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case url = <-wsURL:
	case <-b.exited:
		t.Fatalf("browsertest: %s exited before it printed its DevTools address (%v):\n%s",
			path, b.cmd.ProcessState, b.stderr)
	case <-timer.C:
		t.Fatalf("browsertest: %s printed no DevTools address in %v:\n%s", path, startTimeout, b.stderr)
	}

	allocCtx, allocCancel := remote.NewAllocator(context.Background(), url, remote.NoModifyURL)
	b.allocCancel = allocCancel
	b.ctx, b.cancel = chromedp.NewContext(allocCtx)
	// Connect now, so that a broken browser fails here and not in the
	// first action of the test.
	if err := chromedp.Do(b.ctx); err != nil {
		t.Fatalf("browsertest: connecting to %s: %v\n%s", url, err, b.stderr)
	}
	return b
}

// stop closes the connection, then ends the process group of Chromium:
// SIGTERM first, SIGKILL when it does not end in time. Then it reaps what is
// left and reports an error on t when a process of the browser remains.
func (b *Browser) stop(t testing.TB) {
	b.stopOnce.Do(func() {
		if b.cancel != nil {
			b.cancel()
		}
		if b.allocCancel != nil {
			b.allocCancel()
		}
		// Find the crash handlers while they still have a command line.
		handlers := b.crashHandlers()
		pgid := b.cmd.Process.Pid // Setpgid makes the pid of the leader the pgid
		syscall.Kill(-pgid, syscall.SIGTERM)
		if !wait(b.exited, termTimeout) || !wait(b.done, termTimeout) {
			// Chromium or one of its children still runs.
			syscall.Kill(-pgid, syscall.SIGKILL)
		}
		if !wait(b.exited, killTimeout) {
			t.Errorf("browsertest: Chromium (pid %d) did not exit after SIGKILL", pgid)
		}
		if left := reap(pgid, handlers, killTimeout); len(left) > 0 {
			t.Errorf("browsertest: processes of Chromium remain after the cleanup: %s", strings.Join(left, ", "))
		}
		if t.Failed() {
			t.Logf("browsertest: the stderr of Chromium ends with:\n%s", b.stderr)
		}
	})
}

// crashHandlers returns the pids of the crash handlers of this browser that
// are children of the test process. A crash handler leaves the process group
// of Chromium, but its command line holds the unique configDir.
func (b *Browser) crashHandlers() []int {
	var pids []int
	self := os.Getpid()
	for _, p := range processes() {
		if p.ppid != self {
			continue // not ours to signal or reap: its pid can be reused
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.pid), "cmdline"))
		if err == nil && strings.Contains(string(cmdline), b.configDir) {
			pids = append(pids, p.pid)
		}
	}
	return pids
}

// reap waits up to d until no process of the group pgid and none of the
// processes extra remains. It kills the ones that still run and reaps the
// zombies that are children of the test process. It returns a description of
// the processes that remain.
func reap(pgid int, extra []int, d time.Duration) []string {
	self := os.Getpid()
	deadline := time.Now().Add(d)
	for {
		var left []string
		for _, p := range processes() {
			if p.pgrp != pgid && !slices.Contains(extra, p.pid) {
				continue
			}
			switch {
			case p.state == 'Z' && p.ppid == self:
				// A child of ours, so the pid is still this process.
				syscall.Wait4(p.pid, nil, syscall.WNOHANG, nil)
				continue
			case p.state == 'Z':
				left = append(left, fmt.Sprintf("%d (zombie of %d)", p.pid, p.ppid))
			default:
				syscall.Kill(p.pid, syscall.SIGKILL)
				left = append(left, fmt.Sprintf("%d (state %c)", p.pid, p.state))
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// process is what reap needs to know of a process, from /proc/PID/stat.
type process struct {
	pid, ppid, pgrp int
	state           byte
}

// processes lists the processes of the system. It skips the ones that end
// while it reads.
func processes() []process {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var ps []process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp ...": comm can hold spaces and
		// parentheses, so split after its last ')'.
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 3 || len(f[0]) != 1 {
			continue
		}
		ppid, err1 := strconv.Atoi(f[1])
		pgrp, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			continue
		}
		ps = append(ps, process{pid: pid, ppid: ppid, pgrp: pgrp, state: f[0][0]})
	}
	return ps
}

var (
	subreaperOnce sync.Once
	subreaperErr  error
)

// becomeSubreaper makes the test process a child subreaper, once.
func becomeSubreaper() error {
	subreaperOnce.Do(func() {
		if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
			subreaperErr = errno
		}
	})
	return subreaperErr
}

// readStderr keeps the tail of the stderr of Chromium, and sends the DevTools
// address on ch as soon as Chromium prints it. It reads until EOF, so that
// Chromium never blocks on a full pipe.
func (b *Browser) readStderr(r io.ReadCloser, ch chan<- string) {
	defer close(b.done)
	defer r.Close()
	const prefix = "DevTools listening on "
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		b.stderr.add(line)
		if !sent {
			if i := strings.Index(line, prefix); i >= 0 {
				ch <- strings.TrimSpace(line[i+len(prefix):])
				sent = true
			}
		}
	}
	// After an error of the scanner, such as a line that is too long,
	// drain the pipe anyway.
	io.Copy(io.Discard, r)
}

// wait reports whether ch closes within d.
func wait(ch <-chan struct{}, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ch:
		return true
	case <-timer.C:
		return false
	}
}
