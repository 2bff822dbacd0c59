//go:build linux

package auth

import (
	"runtime"
	"syscall"
)

// hashNiceSteps is how far below the process's own scheduling priority
// a password hash runs, in nice steps (capped at the lowest, 19).
const hashNiceSteps = 10

// runHash runs fn, a password hash, and returns when it is done. On
// Linux fn runs on an OS thread of its own whose nice value is raised by
// hashNiceSteps, so that while hashes and requests want the same cores
// the kernel runs the requests first. The thread is given up with fn's
// goroutine, which ends still locked to it: the runtime then ends the
// thread too, and no other goroutine ever runs at the lowered priority
// (an unprivileged process could not raise it back). A thread costs tens
// of microseconds to make; a hash worth the trouble costs milliseconds.
// If the priority cannot be lowered, fn runs at the process's.
func runHash(fn func()) {
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: see above
		defer close(done)
		lowerThreadPriority()
		fn()
	}()
	<-done
}

// lowerThreadPriority raises the calling thread's nice value by
// hashNiceSteps. On Linux PRIO_PROCESS with a thread ID names that
// thread alone.
func lowerThreadPriority() {
	tid := syscall.Gettid()
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return
	}
	nice := 20 - prio // the system call itself answers 20 − nice
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(nice+hashNiceSteps, 19))
}
