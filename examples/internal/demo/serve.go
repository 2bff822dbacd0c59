package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// MaxHeaderBytes bounds the request headers each demo's server reads, the
// same on every backend (Fiber's ReadBufferSize): up to it authwire
// decides, and answers an oversized Authorization header with its JSON
// 431; beyond it the server itself answers 431 before any handler runs.
const MaxHeaderBytes = 16 << 10

// Main runs a demo until SIGINT or SIGTERM and exits non-zero on error.
func Main(name string, run func(ctx context.Context, getenv func(string) string, stdout io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Listen opens the demo's TCP listener and prints "listening on
// http://ADDR", or https:// when cfg.TLS is set: the line scripts and
// tests wait for. The server that accepts on it speaks TLS itself.
func Listen(cfg Config, stdout io.Writer) (net.Listener, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if cfg.TLS != nil {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "listening on %s://%s\n", scheme, ln.Addr())
	return ln, nil
}

// ServeUntil serves serve(ln) until ctx ends, then stops it with shutdown
// (given five seconds) and returns the first real error.
func ServeUntil(ctx context.Context, serve func() error, shutdown func(context.Context) error) error {
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ServeHTTP serves h on ln until ctx ends (net/http and Gin), closing
// live's sockets first (http.Server.Shutdown does not wait for hijacked
// connections) and letting go of Redis last. With cfg.TLS it serves
// HTTPS, HTTP/2 and HTTP/1.1 (WebSockets take the latter), and
// responses carry Strict-Transport-Security (see [HSTSFor]).
func ServeHTTP(ctx context.Context, cfg Config, ln net.Listener, h http.Handler, live *Live) error {
	srv := &http.Server{
		Handler:           StrictTransportSecurity(h),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
		TLSConfig:         cfg.TLS,
	}
	serve := func() error { return srv.Serve(ln) }
	if cfg.TLS != nil {
		// The certificate is in TLSConfig; ServeTLS adds HTTP/2.
		serve = func() error { return srv.ServeTLS(ln, "", "") }
	}
	return ServeUntil(ctx, serve, func(ctx context.Context) error {
		return errors.Join(live.Shutdown(ctx), srv.Shutdown(ctx), live.Close())
	})
}
