package redisstore_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/internal/servetest"
	"github.com/authwire/authwire/internal/testbin"
)

// redisProc is a real redis-server that a test can kill with SIGKILL and
// start again on the same port, in the same directory (so with its data,
// when its arguments ask for persistence). servetest.Redis is the simpler
// server for tests that need neither.
type redisProc struct {
	t    *testing.T
	bin  string
	Addr string // 127.0.0.1:port
	Dir  string // its working directory, where it keeps its files
	args []string

	cmd  *exec.Cmd
	done chan error
}

// startRedis starts redis-server on a free loopback port with the given
// extra arguments (config-file directives as --name value), and waits
// until it answers PING. It is killed when t ends.
func startRedis(t *testing.T, args ...string) *redisProc {
	t.Helper()
	p := &redisProc{t: t, bin: testbin.Find(t, "redis-server", "redis-server"), Addr: servetest.FreeAddr(t), Dir: t.TempDir(), args: args}
	p.Start()
	t.Cleanup(p.Kill)
	return p
}

// Start runs the server (again), with the arguments it was made with, and
// waits until it answers PING.
func (p *redisProc) Start() {
	p.t.Helper()
	_, port, _ := net.SplitHostPort(p.Addr)
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", p.Dir, "--save", "", "--loglevel", "warning"}, p.args...)
	p.run(args...)
	waitPing(p.t, p.Addr)
}

// run starts the server's process with the given command line.
func (p *redisProc) run(args ...string) {
	p.t.Helper()
	p.cmd = exec.Command(p.bin, args...)
	p.cmd.Dir = p.Dir
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd.Stdout, p.cmd.Stderr = os.Stderr, os.Stderr
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan<- error) { done <- cmd.Wait() }(p.cmd, p.done)
}

// Kill ends the server with SIGKILL, as a crash would, and waits for it
// to be gone; it does nothing if the server is not running.
func (p *redisProc) Kill() {
	if p.cmd == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
	p.cmd = nil
}

// Client returns a client of the server that fails at once while it is
// away (no retries, a one-second dial timeout), closed when t ends.
func (p *redisProc) Client(t *testing.T) *redis.Client {
	return newClient(t, p.Addr)
}

// newClient returns a client of the Redis at addr that fails at once
// while it is away, closed when t ends.
func newClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// waitPing waits until the Redis (or sentinel) at addr answers PING.
func waitPing(t *testing.T, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(safetyNet)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server at %s does not answer PING", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
