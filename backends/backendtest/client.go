package backendtest

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// browserFetch is the Fetch Metadata header a browser's navigation
// carries: with it, a Basic login starts a session; a script's request,
// without it, does not.
var browserFetch = [2]string{"Sec-Fetch-Mode", "navigate"}

// ServeHandler serves h on a loopback listener until the test ends and
// returns its base URL, for harnesses whose application is an
// http.Handler.
func ServeHandler(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// Listen returns a loopback listener on a free port, for harnesses whose
// framework serves a net.Listener itself, and the base URL it serves.
func Listen(t *testing.T) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("backendtest: listen: %v", err)
	}
	return ln, "http://" + ln.Addr().String()
}

// request is one request the suite sends, written byte for byte on its
// own connection so that no client cleans the target.
type request struct {
	method string // "GET" when empty
	target string // the request-target exactly as sent
	user   string // with pass: Basic credentials
	pass   string
	header [][2]string // more headers, in order; duplicates allowed
}

// response is what came back.
type response struct {
	status int
	header http.Header
	body   string
}

// client sends the suite's requests to one server.
type client struct {
	addr string // host:port
}

func newClient(t *testing.T, baseURL string) *client {
	t.Helper()
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		t.Fatalf("backendtest: Start returned %q, not a base URL", baseURL)
	}
	return &client{addr: u.Host}
}

// basic returns the Authorization value for user and pass.
func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// send writes rq on a fresh connection and reads the response.
func (c *client) send(rq request) (response, error) {
	method := rq.method
	if method == "" {
		method = http.MethodGet
	}
	conn, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
	if err != nil {
		return response{}, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return response{}, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nUser-Agent: backendtest\r\n", method, rq.target, c.addr)
	if rq.user != "" || rq.pass != "" {
		fmt.Fprintf(&b, "Authorization: %s\r\n", basic(rq.user, rq.pass))
	}
	for _, h := range rq.header {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return response{}, err
	}
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	out := response{status: res.StatusCode, header: res.Header, body: string(body)}
	if method == http.MethodHead {
		// The parser ignores a body after a HEAD response; with
		// "Connection: close" whatever the server wrote after the header
		// is still on the connection, and that must be nothing.
		rest, _ := io.ReadAll(br)
		out.body = string(rest)
	}
	return out, nil
}
