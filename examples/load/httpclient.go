package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
)

// request is what one HTTP scenario sends on every request.
type request struct {
	method, path string
	// header holds header lines sent as they are ("Name: value").
	header []string
	// jar, when set, supplies the Cookie header and stores every
	// Set-Cookie of the answers; without it no cookie is sent back.
	jar *jar
	// cookie is a fixed Cookie header, for a jar-less client that
	// replays a cookie it was given.
	cookie string
}

// wire returns the request as sent, with cookies as the Cookie header
// when there are any.
func (r *request) wire(host, cookies string) []byte {
	var b strings.Builder
	b.WriteString(r.method + " " + r.path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: authwire-load\r\n")
	for _, h := range r.header {
		b.WriteString(h + "\r\n")
	}
	if cookies != "" {
		b.WriteString("Cookie: " + cookies + "\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// httpClient is one keep-alive HTTP/1.1 connection of a closed loop: it
// writes the request, reads the whole answer, and wants a 2xx. It is
// leaner than net/http's client (no goroutines per connection, the
// request built once and rebuilt only when the jar changes), so that the
// load generator takes less of the cores it shares with the server.
type httpClient struct {
	addr, host string
	req        *request
	setCookies *atomic.Int64 // answers that carried Set-Cookie

	conn net.Conn
	br   *bufio.Reader
	wire []byte
	gen  uint64 // the jar generation wire was built from
}

func newHTTPClient(addr, host string, req *request, setCookies *atomic.Int64) *httpClient {
	c := &httpClient{addr: addr, host: host, req: req, setCookies: setCookies}
	c.build()
	return c
}

// build renders the request with the cookies of now.
func (c *httpClient) build() {
	cookies := c.req.cookie
	if c.req.jar != nil {
		cookies, c.gen = c.req.jar.header()
	}
	c.wire = c.req.wire(c.host, cookies)
}

// connect opens the connection, which is given until ctx's deadline to
// serve the whole run.
func (c *httpClient) connect(ctx context.Context) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	c.conn = conn
	if c.br == nil {
		c.br = bufio.NewReaderSize(conn, 8<<10)
	} else {
		c.br.Reset(conn)
	}
	return nil
}

// Do sends the request once and reads its answer.
func (c *httpClient) Do(ctx context.Context) error {
	if c.conn == nil {
		if err := c.connect(ctx); err != nil {
			return err
		}
	}
	if c.req.jar != nil && c.req.jar.generation() != c.gen {
		c.build()
	}
	err := c.roundTrip()
	if err != nil {
		c.Close()
	}
	return err
}

func (c *httpClient) roundTrip() error {
	if _, err := c.conn.Write(c.wire); err != nil {
		return err
	}
	res, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	if len(res.Header["Set-Cookie"]) > 0 {
		c.setCookies.Add(1)
		if c.req.jar != nil {
			c.req.jar.store(res)
		}
	}
	if res.Close {
		c.Close()
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("%s %s: %s", c.req.method, c.req.path, res.Status)
	}
	return nil
}

// Close closes the connection; the next Do opens another.
func (c *httpClient) Close() error {
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn = nil
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
