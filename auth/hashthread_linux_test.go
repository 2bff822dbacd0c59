//go:build linux

package auth

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// threadPassword is a stored password whose verify records the thread
// it runs on and that thread's nice value.
type threadPassword struct{ seen chan<- threadSeen }

type threadSeen struct{ tid, nice int }

func (p threadPassword) verify([]byte) bool {
	tid := syscall.Gettid()
	p.seen <- threadSeen{tid, threadNice(tid)}
	return false
}
func (threadPassword) work() int                        { return 100 }
func (threadPassword) expensive() bool                  { return true }
func (p threadPassword) dummy() (storedPassword, error) { return p, nil }

// threadNice reads thread tid's nice value, or -100 when it has none
// (it has ended).
func threadNice(tid int) int {
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return -100
	}
	return 20 - prio
}

// TestHashesRunOnLowPriorityThreads checks that verify's and burn's
// hashes run on a thread other than the caller's, with its nice value
// raised by hashNiceSteps, and that the thread ends with the hash, so
// that no other goroutine ever runs at that priority.
func TestHashesRunOnLowPriorityThreads(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	caller := syscall.Gettid()
	base := threadNice(caller)
	if base >= 19 {
		t.Fatalf("the test runs at nice %d: no lower priority to give a hash", base)
	}
	want := min(base+hashNiceSteps, 19)

	seen := make(chan threadSeen, 1)
	p := threadPassword{seen}
	cache, err := newVerifiedCache(time.Minute, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(fixedSource{"alice": p, "dummy": p}, cache, 1, slog.Default())
	ctx := context.Background()
	runs := map[string]func(){
		"verify": func() {
			if ok, err := v.verify(ctx, []byte("alice"), []byte("pw")); ok || err != nil {
				t.Errorf("verify: ok=%v err=%v, want a refusal", ok, err)
			}
		},
		"burn": func() { v.burn(ctx, []byte("alice"), []byte("pw")) },
	}
	for name, run := range runs {
		run()
		got := <-seen
		if got.tid == caller {
			t.Errorf("%s: the hash ran on the caller's thread %d", name, caller)
		}
		if got.nice != want {
			t.Errorf("%s: the hash ran at nice %d, want %d (the caller's %d + %d)", name, got.nice, want, base, hashNiceSteps)
		}
		// The thread ends just after its goroutine does.
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := os.Stat("/proc/self/task/" + strconv.Itoa(got.tid))
			if errors.Is(err, fs.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: thread %d, which ran the hash, is still there 10 s later (stat: %v)", name, got.tid, err)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if threadNice(caller) != base {
		t.Errorf("the caller's nice went from %d to %d", base, threadNice(caller))
	}
}
