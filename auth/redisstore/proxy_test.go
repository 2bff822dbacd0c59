package redisstore_test

import (
	"io"
	"net"
	"sync"
	"testing"
)

// linkProxy is the network between one process and Redis, as a TCP
// proxy on loopback that the test can cut: while cut, it closes every
// connection it carries and every new one at once, as a partition does
// to the process behind it, while other processes still reach Redis.
type linkProxy struct {
	Addr string

	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
}

// newLinkProxy proxies to target until t ends.
func newLinkProxy(t *testing.T, target string) *linkProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &linkProxy{Addr: ln.Addr().String(), ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.Cut(true)
		p.wg.Wait()
	})
	return p
}

// Cut cuts the link (true) or mends it (false).
func (p *linkProxy) Cut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
	}
}

// track adds c to the connections a cut closes, or closes it at once if
// the link is cut; it reports whether c was added.
func (p *linkProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *linkProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *linkProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(client) {
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			p.untrack(client)
			continue
		}
		if !p.track(server) {
			p.untrack(client)
			continue
		}
		p.wg.Add(2)
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			_, _ = io.Copy(dst, src)
			p.untrack(client, server)
		}
		go pipe(server, client)
		go pipe(client, server)
	}
}
