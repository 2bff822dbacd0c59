//go:build !race

package loadtest

// Race reports whether the race detector is on. Under it the load tests
// scale their counts down (it allows at most 8128 live goroutines, and
// its figures mean nothing).
const Race = false
