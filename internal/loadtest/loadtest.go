// Package loadtest holds what the load tests of ws and the demos and the
// load command (examples/load) share: the AUTHWIRE_LOAD gate, counts
// scaled down under the race detector, a process's CPU time and resident
// memory from /proc, many loopback source addresses for clients that open
// more connections than one address has ports, a closed-loop runner,
// latency percentiles, and a table for t.Logf.
//
// Load tests report figures; they never assert a latency or a rate (the
// machines they run on are shared and noisy). They assert only what does
// not depend on timing: every request answered as it must be, every
// socket closed with the right code, memory back near its level.
package loadtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"
)

// EnvVar is the environment variable that turns the load tests on when it
// is "1", for .ci/run to set.
const EnvVar = "AUTHWIRE_LOAD"

// Gate skips t unless EnvVar is "1", and on systems without /proc.
func Gate(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvVar) != "1" {
		t.Skipf("load test: set %s=1 to run it; it takes about a minute and prints its figures with -v", EnvVar)
	}
	if runtime.GOOS != "linux" {
		t.Skipf("load test: reads /proc, so it runs on Linux only (this is %s)", runtime.GOOS)
	}
}

// Scale returns full, or underRace when the race detector is on.
func Scale[T any](full, underRace T) T {
	if Race {
		return underRace
	}
	return full
}

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// which Linux fixes at 100 per second for user space on every
// architecture Go supports.
const clockTick = 10 * time.Millisecond

// Proc is a process whose use of the machine is read from /proc.
type Proc int

// Self is the calling process.
func Self() Proc { return Proc(os.Getpid()) }

// CPU returns the CPU time the process has used so far, user and system
// (utime + stime), at 10 ms resolution.
func (p Proc) CPU() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces and parentheses;
	// the fields after its last ")" start with field 3, the state.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", p)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", p, len(f)+2)
	}
	var ticks int64
	for _, s := range f[11:13] { // fields 14 and 15: utime, stime
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", p, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// RSS returns the process's resident memory (VmRSS), in bytes.
func (p Proc) RSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/%d/status: VmRSS %q", p, v)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", p)
}

// MustCPU is CPU that fails t on error.
func (p Proc) MustCPU(t testing.TB) time.Duration {
	t.Helper()
	d, err := p.CPU()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// MustRSS is RSS that fails t on error.
func (p Proc) MustRSS(t testing.TB) int64 {
	t.Helper()
	n, err := p.RSS()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// RaiseFileLimit makes sure this process may hold at least n open files,
// raising RLIMIT_NOFILE (the hard limit too, which needs privilege, if it
// is below n).
func RaiseFileLimit(n uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= n {
		return nil
	}
	want := lim
	want.Cur = n
	want.Max = max(lim.Max, n)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		return fmt.Errorf("raise the open-file limit from %d (hard %d) to %d: %w (try ulimit -n %d)", lim.Cur, lim.Max, n, err, n)
	}
	return nil
}

// Loopback returns the IPv4 loopback addresses 127.0.0.first to
// 127.0.0.last. Linux answers on all of 127.0.0.0/8 with no setup.
func Loopback(first, last int) []net.IP {
	var ips []net.IP
	for i := first; i <= last; i++ {
		ips = append(ips, net.IPv4(127, 0, 0, byte(i)))
	}
	return ips
}

// DialFrom returns a DialContext for http.Transport that binds each new
// TCP connection to the next of ips in turn. Each source address has its
// own ephemeral ports, so n addresses open n times as many connections to
// one server before the ports run out.
func DialFrom(ips ...net.IP) func(ctx context.Context, network, addr string) (net.Conn, error) {
	dialers := make([]*net.Dialer, len(ips))
	for i, ip := range ips {
		dialers[i] = &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}
	}
	var next atomic.Uint64
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := dialers[(next.Add(1)-1)%uint64(len(dialers))]
		return d.DialContext(ctx, network, addr)
	}
}

// Latencies are durations measured by a load test.
type Latencies []time.Duration

// Percentile returns the p-th percentile (nearest rank), or 0 for none.
func (l Latencies) Percentile(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	rank := int(float64(len(s))*p/100+0.999999) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

// Max returns the longest, or 0 for none.
func (l Latencies) Max() time.Duration {
	if len(l) == 0 {
		return 0
	}
	return slices.Max(l)
}

// Ms formats d in milliseconds, to two decimals below 10 ms.
func Ms(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if ms < 9.995 { // what rounds to 10.00 is written 10
		return strconv.FormatFloat(ms, 'f', 2, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
}

// MiB formats a byte count in MiB.
func MiB(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }

// KiB formats a byte count in KiB.
func KiB(n float64) string { return strconv.FormatFloat(n/1024, 'f', 2, 64) + " KiB" }

// Table collects rows of figures and prints them aligned, for t.Logf.
type Table struct{ rows [][]string }

// Row adds a row; its cells are formatted with fmt.Sprint.
func (tb *Table) Row(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = fmt.Sprint(c)
	}
	tb.rows = append(tb.rows, row)
}

// String returns the rows aligned in columns, with a rule under the first.
func (tb *Table) String() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for i, row := range tb.rows {
		fmt.Fprintln(w, strings.Join(row, "\t"))
		if i == 0 {
			rule := make([]string, len(row))
			for j, c := range row {
				rule[j] = strings.Repeat("-", max(len(c), 3))
			}
			fmt.Fprintln(w, strings.Join(rule, "\t"))
		}
	}
	w.Flush()
	return b.String()
}
