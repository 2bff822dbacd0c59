package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authwire/authwire/internal/loadtest"
)

// mdTable is a Markdown table, its columns padded so that it reads as
// text too. Columns after the first are right-aligned.
type mdTable struct {
	rows [][]string // the first is the header
}

func (t *mdTable) row(cells ...string) { t.rows = append(t.rows, cells) }

func (t *mdTable) String() string {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 3)
			}
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	line := func(cells []string, rule bool) {
		b.WriteString("|")
		for i, w := range widths {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			pad := strings.Repeat(" ", w-len([]rune(c)))
			switch {
			case rule && i == 0:
				c = strings.Repeat("-", w)
			case rule:
				c = strings.Repeat("-", w-1) + ":"
			case i == 0:
				c += pad
			default:
				c = pad + c
			}
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
	}
	for i, r := range t.rows {
		line(r, false)
		if i == 0 {
			line(nil, true)
		}
	}
	return b.String()
}

// summary is one scenario's rounds, summed up.
type summary struct {
	rate       float64       // median
	p50, p99   time.Duration // medians
	failed     int           // all rounds
	cpuPerReq  time.Duration // all rounds; -1 when unknown
	setCookies float64       // share of the answers that carried Set-Cookie
}

func summarize(smps []sample) summary {
	s := summary{cpuPerReq: -1}
	if len(smps) == 0 {
		return s
	}
	var rates []float64
	var p50s, p99s []time.Duration
	var cpu time.Duration
	ok, answered, cookies := 0, 0, int64(0)
	cpuKnown := true
	for _, m := range smps {
		rates = append(rates, m.rate)
		p50s, p99s = append(p50s, m.p50), append(p99s, m.p99)
		s.failed += m.failed
		ok += m.ok
		answered += m.ok + m.failed
		cookies += m.setCookies
		if m.cpu < 0 {
			cpuKnown = false
		}
		cpu += m.cpu
	}
	s.rate, s.p50, s.p99 = median(rates), median(p50s), median(p99s)
	if cpuKnown && ok > 0 {
		s.cpuPerReq = cpu / time.Duration(ok)
	}
	if answered > 0 {
		s.setCookies = float64(cookies) / float64(answered)
	}
	return s
}

// ratios are the rate of a to that of b in each round.
func ratios(a, b []sample) []float64 {
	var out []float64
	for i := range min(len(a), len(b)) {
		if b[i].rate > 0 {
			out = append(out, a[i].rate/b[i].rate)
		}
	}
	return out
}

// median returns the middle value (the mean of the two middle ones for
// an even count), or zero for none.
func median[T int64 | float64 | time.Duration](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ratioText is the median of per-round ratios, with their range when
// there are several.
func ratioText(r []float64) string {
	if len(r) == 0 {
		return "—"
	}
	text := strconv.FormatFloat(median(r), 'f', 2, 64)
	if len(r) > 1 {
		text += fmt.Sprintf(" (%.2f–%.2f)", slices.Min(r), slices.Max(r))
	}
	return text
}

// thousands formats a rate as a whole number with thousands separators.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// micros formats a CPU time per request, or "n/a".
func micros(d time.Duration) string {
	if d < 0 {
		return "n/a"
	}
	return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 1, 64) + " µs"
}

func percent(f float64) string { return strconv.FormatFloat(100*f, 'f', 0, 64) + "%" }

// writeSuite prints the summary across targets, one table per target and
// the servers' memory before and after.
func writeSuite(w io.Writer, all []*results, scs []scenario, s settings) {
	fmt.Fprintf(w, "%s\n\n", machine())
	fmt.Fprintf(w, "Closed loop over loopback: %d keep-alive connections (WebSockets: sockets) per scenario, %d rounds × %v, "+
		"rounds interleaved across scenarios and backends; medians of the rounds (ratios: median of each round's ratio, and their range). "+
		"The load generator and the servers share the cores.\n\n", s.conns, s.rounds, s.duration)

	var sum mdTable
	sum.row("backend", "public req/s", "guarded req/s", "guarded ÷ public", "`/api/whoami` with session ÷ `/healthz`",
		"`/api/whoami` with Basic and no cookie jar ÷ `/healthz`", "forward auth req/s", "WebSocket echo round trips/s", "callback round trips/s")
	rate := func(r *results, name string) string {
		if smps := r.samples[name]; len(smps) > 0 {
			return thousands(summarize(smps).rate)
		}
		return "—"
	}
	for _, r := range all {
		sum.row(r.t.name, rate(r, scPublic), rate(r, scGuarded), "**"+ratioText(ratios(r.samples[scGuarded], r.samples[scPublic]))+"**",
			ratioText(ratios(r.samples[scWhoami], r.samples[scHealthz])), ratioText(ratios(r.samples[scBasicNoJar], r.samples[scHealthz])),
			rate(r, scForwardAuth), rate(r, scWSEcho), rate(r, scCallback))
	}
	fmt.Fprintf(w, "%s\n", sum.String())

	for _, r := range all {
		var t mdTable
		t.row(r.t.name, "req/s", "p50", "p99", "errors", "÷ public", "server CPU / req", "answers with Set-Cookie")
		for _, sc := range scs {
			smp := summarize(r.samples[sc.name])
			name := sc.name
			if sc.ws {
				name += " (round trips)"
			}
			t.row(name, thousands(smp.rate), loadtest.Ms(smp.p50), loadtest.Ms(smp.p99), strconv.Itoa(smp.failed),
				ratioText(ratios(r.samples[sc.name], r.samples[scPublic])), micros(smp.cpuPerReq), percent(smp.setCookies))
		}
		fmt.Fprintf(w, "%s\n", t.String())
	}

	var mem mdTable
	mem.row("backend", "server goroutines: before → after", "live heap after GC: before → after", "back to its level")
	for _, r := range all {
		m := r.mem
		switch {
		case !m.known:
			mem.row(r.t.name, "n/a", "n/a", "n/a (not started by this command)")
		case m.err != nil:
			mem.row(r.t.name, "?", "?", "error: "+m.err.Error())
		default:
			back := "yes"
			if !m.back {
				back = "**no**"
			}
			mem.row(r.t.name, fmt.Sprintf("%d → %d", m.before.Goroutines, m.after.Goroutines),
				loadtest.MiB(int64(m.before.HeapAlloc))+" → "+loadtest.MiB(int64(m.after.HeapAlloc)), back)
		}
	}
	fmt.Fprintf(w, "%s\n", mem.String())

	fmt.Fprintf(w, "Scenarios:\n")
	for _, sc := range scs {
		fmt.Fprintf(w, "- %s: %s\n", sc.name, sc.what)
	}
	fmt.Fprintf(w, "\nServer CPU / req is the server process's user + system time over a scenario's runs (10 ms ticks of /proc/<pid>/stat) divided by the requests answered.\n")
}

// machine names the machine, the Go toolchain and the time.
func machine() string {
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	k := strings.TrimSpace(string(kernel))
	if k == "" {
		k = "unknown"
	}
	return fmt.Sprintf("Machine: %s, %d cores (GOMAXPROCS %d), %s %s, %s %s/%s; %s.",
		cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, k, runtime.Version(), runtime.GOOS, runtime.GOARCH,
		time.Now().UTC().Format("2006-01-02 15:04 MST"))
}

// cpuModel is the processor's name from /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name", "Model", "Hardware", "cpu model":
			if v = strings.TrimSpace(v); v != "" {
				return v
			}
		}
	}
	return "unknown CPU"
}
