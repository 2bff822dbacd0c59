package servetest

import (
	"context"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/authwire/authwire/internal/testbin"

	"github.com/redis/go-redis/v9"
)

// RedisServer is a real redis-server run for one test.
type RedisServer struct {
	// Addr is the server's host:port on 127.0.0.1.
	Addr string

	cmd     *exec.Cmd
	done    chan error
	stopped sync.Once
}

// Redis runs redis-server on a free loopback port, with nothing saved to
// disk, in a process group of its own that is killed when t ends. Without
// redis-server the test skips, unless the CI environment variable is set:
// there .ci/run installs it, and a missing server is a failure.
func Redis(t testing.TB) *RedisServer {
	t.Helper()
	bin := testbin.Find(t, "redis-server", "redis-server")
	s := &RedisServer{Addr: FreeAddr(t), done: make(chan error, 1)}
	_, port, _ := net.SplitHostPort(s.Addr)
	s.cmd = exec.Command(bin, "--port", port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--loglevel", "warning")
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(s.Stop)
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("redis-server does not answer PING")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// Stop kills the server, to test what happens when Redis goes away;
// later calls do nothing.
func (s *RedisServer) Stop() {
	s.stopped.Do(func() {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	})
}

// Client returns a client of s that gives up at once when s is away
// (no retries, a one-second dial timeout), closed when t ends.
func (s *RedisServer) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}
