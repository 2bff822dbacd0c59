package loadtest

import (
	"context"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestProcSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	before := Self().MustCPU(t)
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	if after := Self().MustCPU(t); after <= before {
		t.Errorf("CPU time did not grow over 50 ms of spinning: %v then %v", before, after)
	}
	if rss := Self().MustRSS(t); rss < 1<<20 || rss > 1<<40 {
		t.Errorf("RSS %d bytes", rss)
	}
	if _, err := Proc(-1).CPU(); err == nil {
		t.Error("CPU of no process: no error")
	}
}

func TestPercentile(t *testing.T) {
	var l Latencies
	if l.Percentile(99) != 0 || l.Max() != 0 {
		t.Error("empty")
	}
	for i := 100; i >= 1; i-- {
		l = append(l, time.Duration(i))
	}
	for p, want := range map[float64]time.Duration{50: 50, 99: 99, 100: 100, 1: 1, 0: 1} {
		if got := l.Percentile(p); got != want {
			t.Errorf("p%v = %d, want %d", p, got, want)
		}
	}
	if l[0] != 100 {
		t.Error("Percentile sorted its receiver")
	}
	if l.Max() != 100 {
		t.Errorf("max %d", l.Max())
	}
}

func TestDialFrom(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("binds 127.0.0.2, which needs Linux's 127/8 loopback")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dial := DialFrom(Loopback(2, 3)...)
	var seen []string
	for range 3 {
		c, err := dial(context.Background(), "tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, s.RemoteAddr().(*net.TCPAddr).IP.String())
		s.Close()
		c.Close()
	}
	if strings.Join(seen, " ") != "127.0.0.2 127.0.0.3 127.0.0.2" {
		t.Errorf("source addresses %v", seen)
	}
}

func TestTable(t *testing.T) {
	var tb Table
	tb.Row("what", "value")
	tb.Row("a longer name", 1)
	want := "what           value\n----           -----\na longer name  1\n"
	if got := tb.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
	if Ms(1500*time.Microsecond) != "1.50 ms" || Ms(25*time.Millisecond) != "25 ms" || Ms(9999*time.Microsecond) != "10 ms" || Ms(9990*time.Microsecond) != "9.99 ms" || MiB(3<<20) != "3.0 MiB" || KiB(2048) != "2.00 KiB" {
		t.Error("formats")
	}
}
