package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/authwire/authwire/internal/loadtest"
)

// driveTarget is a URL given with -url, driven with a fixed request.
type driveTarget struct {
	name   string
	u      *url.URL
	cookie string   // the Cookie header, sent as it is on every request
	jar    bool     // keep the cookies answers set, and send those instead
	header []string // more header lines ("Name: value")
	pid    int      // the server's process, for its CPU time; 0 when unknown
}

// parseDriveURL checks a -url value: http, a host and port on loopback
// (the load never leaves the machine).
func parseDriveURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("-url %q: want http://host:port/path (plain http, no user or fragment)", s)
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), "80")
	}
	if err := loopbackHost(u.Hostname()); err != nil {
		return nil, fmt.Errorf("-url %q: %w", s, err)
	}
	return u, nil
}

// loopbackHost refuses a host that is not a loopback address.
func loopbackHost(host string) error {
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return nil
	}
	return errors.New("the load command drives servers on this machine only: give a loopback address such as 127.0.0.1")
}

// headerLine checks a -header value, "Name: value".
func headerLine(s string) (string, error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n") {
		return "", fmt.Errorf("-header %q: want \"Name: value\" on one line", s)
	}
	return name + ": " + strings.TrimSpace(value), nil
}

// scenario is the target's one kind of request.
func (d *driveTarget) scenario() (scenario, error) {
	req := &request{method: "GET", path: d.u.RequestURI(), header: d.header, cookie: d.cookie}
	if d.jar {
		cookies, err := http.ParseCookie(d.cookie)
		if d.cookie != "" && err != nil {
			return scenario{}, fmt.Errorf("%s: -cookie %q: %w", d.name, d.cookie, err)
		}
		req.jar, req.cookie = newJar(&url.URL{Scheme: "http", Host: d.u.Host, Path: "/"}), ""
		req.jar.j.SetCookies(req.jar.site, cookies)
	}
	host := d.u.Host
	if d.u.Port() == "80" {
		host = d.u.Hostname()
	}
	return scenario{name: d.name, what: "GET " + d.u.String(), open: func(t *target, setCookies *atomic.Int64) conn {
		return newHTTPClient(t.addr, host, req, setCookies)
	}}, nil
}

// drive runs the same closed-loop load on each of drives, rounds
// interleaved, prints one table and says whether any request failed.
func drive(ctx context.Context, drives []*driveTarget, s settings, hc *http.Client, w io.Writer) error {
	targets := make([]*target, len(drives))
	scs := make([]scenario, len(drives))
	for i, d := range drives {
		targets[i] = &target{name: d.name, addr: d.u.Host, hc: hc, pid: d.pid}
		var err error
		if scs[i], err = d.scenario(); err != nil {
			return err
		}
	}
	samples := make([][]sample, len(drives))
	for round := range s.rounds {
		for i, t := range targets {
			if err := ctx.Err(); err != nil {
				return err
			}
			smp := measure(ctx, t, scs[i], s, "")
			samples[i] = append(samples[i], smp)
			fmt.Fprintf(s.progress, "round %d/%d  %-14s %s/s  p99 %s  errors %d\n",
				round+1, s.rounds, t.name, thousands(smp.rate), loadtest.Ms(smp.p99), smp.failed)
		}
	}

	fmt.Fprintf(w, "%s\n\n", machine())
	fmt.Fprintf(w, "Closed loop over loopback: %d keep-alive connections, %d rounds × %v, rounds interleaved across the targets; medians of the rounds. "+
		"The load generator and the servers share the cores.\n\n", s.conns, s.rounds, s.duration)
	var t mdTable
	t.row("target", "req/s", "p50", "p99", "errors", "req/s ÷ "+drives[0].name, "server CPU / req", "CPU / req ÷ "+drives[0].name, "answers with Set-Cookie")
	var errs []error
	first := summarize(samples[0])
	for i, d := range drives {
		sum := summarize(samples[i])
		cpuRatio := "n/a"
		if sum.cpuPerReq > 0 && first.cpuPerReq > 0 {
			cpuRatio = strconv.FormatFloat(float64(sum.cpuPerReq)/float64(first.cpuPerReq), 'f', 2, 64)
		}
		t.row(d.name, thousands(sum.rate), loadtest.Ms(sum.p50), loadtest.Ms(sum.p99), strconv.Itoa(sum.failed),
			ratioText(ratios(samples[i], samples[0])), micros(sum.cpuPerReq), cpuRatio, percent(sum.setCookies))
		if sum.failed > 0 {
			errs = append(errs, fmt.Errorf("%s: %d requests failed; the first: %w", d.name, sum.failed, firstFailure(samples[i])))
		}
	}
	fmt.Fprintf(w, "%s\n", t.String())
	for _, d := range drives {
		how := "the same cookie on every request"
		switch {
		case d.cookie == "":
			how = "no cookie"
		case d.jar:
			how = "cookies kept as a browser keeps them"
		}
		fmt.Fprintf(w, "- %s: GET %s, %s\n", d.name, d.u, how)
	}
	return errors.Join(errs...)
}
