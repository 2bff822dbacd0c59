//go:build !linux

package auth

// runHash runs fn, a password hash. Only on Linux does it lower the
// scheduling priority of the thread that runs it (see hashthread_linux.go);
// elsewhere fn runs on the calling goroutine.
func runHash(fn func()) { fn() }
