package demo

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// HSTS is the Strict-Transport-Security value the demo sends over TLS
// (see [HSTSFor]): a browser that has seen it goes to the host name over
// https only, on every port, for a year.
const HSTS = "max-age=31536000"

// HSTSFor returns the Strict-Transport-Security value for a request to
// host (host or host:port, as in the Host header), or "" for none. A
// request over plain HTTP gets none: RFC 6797 forbids it there (section
// 7.2), and browsers ignore it (section 8.1). Nor does a request to
// localhost or a name under .localhost, which always mean this machine
// (RFC 6761): browsers keep HSTS for a host name on all its ports, so a
// demo on https://localhost:8050 would send every other development
// server on http://localhost to https for a year. Browsers keep no HSTS
// for an IP address, so https://127.0.0.1 gets it, harmlessly.
func HSTSFor(overTLS bool, host string) string {
	if !overTLS {
		return ""
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return ""
	}
	return HSTS
}

// loadTLS reads the certificate and key that TLS_CERT and TLS_KEY name,
// PEM files as openssl writes them (the certificate file may hold the
// chain after the leaf). It returns nil when neither is set. A missing or
// unreadable file, a file that holds no certificate or key, or a key that
// is not the certificate's is an error naming the variable and the file,
// so that the demo refuses to start. A certificate outside its validity
// period is only logged: browsers will refuse it, and say why.
func loadTLS(getenv func(string) string, log *slog.Logger) (*tls.Config, error) {
	certFile, keyFile := getenv("TLS_CERT"), getenv("TLS_KEY")
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case keyFile == "":
		return nil, errors.New("TLS_CERT is set but TLS_KEY is not: set both to serve HTTPS, or neither for plain HTTP")
	case certFile == "":
		return nil, errors.New("TLS_KEY is set but TLS_CERT is not: set both to serve HTTPS, or neither for plain HTTP")
	}
	// Read the files here rather than in tls.LoadX509KeyPair, whose
	// errors do not say which of the two files is wrong.
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("TLS_CERT: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS_KEY: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("TLS_CERT %s and TLS_KEY %s: %w", certFile, keyFile, err)
	}
	if leaf := cert.Leaf; leaf != nil { // nil only with GODEBUG=x509keypairleaf=0
		if now := time.Now(); now.After(leaf.NotAfter) {
			log.Warn("TLS_CERT has expired: browsers will refuse it", "file", certFile, "not_after", leaf.NotAfter)
		} else if now.Before(leaf.NotBefore) {
			log.Warn("TLS_CERT is not valid yet: browsers will refuse it", "file", certFile, "not_before", leaf.NotBefore)
		}
	}
	// TLS 1.2 at least; Go's defaults choose the cipher suites and curves.
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// StrictTransportSecurity sets Strict-Transport-Security on the
// responses h gives, as [HSTSFor] says.
func StrictTransportSecurity(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := HSTSFor(r.TLS != nil, r.Host); v != "" {
			w.Header().Set("Strict-Transport-Security", v)
		}
		h.ServeHTTP(w, r)
	})
}
