package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/authwire/authwire/internal/loadtest"
)

// conn is one connection of a closed loop, opened before the run's clock
// starts and closed after it stops.
type conn interface {
	loadtest.Client
	connect(ctx context.Context) error
	Close() error
}

// target is a demo under load, logged in.
type target struct {
	name  string
	addr  string // host:port
	jar   *jar   // the browser's cookies, with the session from the form login
	basic string // the Authorization header of the same user
	hc    *http.Client
	pid   int    // the server's process, for its CPU time; 0 when unknown
	debug string // base URL of the demo's debug endpoints (DEBUG_ADDR); "" when none
}

func newTarget(name, addr string, hc *http.Client) *target {
	return &target{name: name, addr: addr, jar: newJar(&url.URL{Scheme: "http", Host: addr, Path: "/"}), hc: hc}
}

// scenario is one kind of request the load is made of.
type scenario struct {
	name string
	what string // what each request is, for the legend
	ws   bool   // a request is a WebSocket message
	open func(t *target, setCookies *atomic.Int64) conn
}

// httpScenario sends req on keep-alive connections.
func httpScenario(name, what string, req func(t *target) *request) scenario {
	return scenario{name: name, what: what, open: func(t *target, setCookies *atomic.Int64) conn {
		return newHTTPClient(t.addr, t.addr, req(t), setCookies)
	}}
}

// wsScenario sends messages on sockets opened at path with the session.
func wsScenario(name, what, path string, message func([]byte, int) []byte, check func([]byte, int) error) scenario {
	return scenario{name: name, what: what, ws: true, open: func(t *target, _ *atomic.Int64) conn {
		return &wsClient{url: "ws://" + t.addr + path, jar: t.jar, hc: t.hc, message: message, check: check}
	}}
}

// The names of the scenarios the summary compares.
const (
	scHealthz     = "healthz"
	scPublic      = "public"
	scGuarded     = "guarded"
	scWhoami      = "whoami"
	scBasicNoJar  = "basic-nojar"
	scForwardAuth = "forward-auth"
	scWSEcho      = "ws-echo"
	scCallback    = "callback-echo"
)

// scenarios are the kinds of load, in the order each round runs them.
var scenarios = []scenario{
	httpScenario(scHealthz, "`GET /healthz`, no cookie", func(*target) *request {
		return &request{method: "GET", path: "/healthz"}
	}),
	httpScenario(scPublic, "`GET /user/7/public` (a public route), the browser's cookies sent along as a browser does", func(t *target) *request {
		return &request{method: "GET", path: "/user/7/public", jar: t.jar}
	}),
	httpScenario(scGuarded, "`GET /user/7/private`, the same handler behind the session check, session cookie from a form login (the jar stores refreshed cookies)", func(t *target) *request {
		return &request{method: "GET", path: "/user/7/private", jar: t.jar}
	}),
	httpScenario(scWhoami, "`GET /api/whoami` with the session cookie", func(t *target) *request {
		return &request{method: "GET", path: "/api/whoami", jar: t.jar}
	}),
	httpScenario(scBasicNoJar, "`GET /api/whoami` with Basic credentials and no cookie jar (never sends a cookie back)", func(t *target) *request {
		return &request{method: "GET", path: "/api/whoami", header: []string{"Authorization: " + t.basic}}
	}),
	httpScenario(scForwardAuth, "`GET /auth/verify` as nginx's auth_request sends it (`X-Original-URI`, `X-Forwarded-*`, the browser's cookies; refreshed cookies go back to the browser)", func(t *target) *request {
		return &request{method: "GET", path: "/auth/verify", jar: t.jar, header: []string{
			"X-Original-URI: /app/dashboard",
			"X-Forwarded-Proto: http",
			"X-Forwarded-Host: " + t.addr,
			"X-Forwarded-For: 127.0.0.1",
		}}
	}),
	wsScenario(scWSEcho, "a message and its echo on `/ws/echo` (a guarded socket, opened with the session cookie)", "/ws/echo", echoMessage, checkEcho),
	wsScenario(scCallback, "a call of the public `echo` callback and its result on `/_callbacks/ws` (opened with the session cookie)", "/_callbacks/ws", callMessage, checkCall),
}

// pickScenarios returns the scenarios named in list (comma-separated,
// "all" for every one), in their usual order.
func pickScenarios(list string) ([]scenario, error) {
	if list == "all" {
		return scenarios, nil
	}
	names := strings.Split(list, ",")
	var out []scenario
	for _, sc := range scenarios {
		if i := slices.Index(names, sc.name); i >= 0 {
			out = append(out, sc)
			names = slices.Delete(names, i, i+1)
		}
	}
	if len(names) > 0 {
		var all []string
		for _, sc := range scenarios {
			all = append(all, sc.name)
		}
		return nil, fmt.Errorf("no scenario %q; there are %s", names[0], strings.Join(all, ", "))
	}
	return out, nil
}
