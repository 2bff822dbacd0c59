package awstest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestVerifySigV4KnownVector checks the verifier on the "get-vanilla"
// case of AWS's published Signature Version 4 test suite, and that it
// refuses the same request once anything signed is changed.
func TestVerifySigV4KnownVector(t *testing.T) {
	const (
		key    = "AKIDEXAMPLE"
		secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
		authz  = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	)
	now := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	req := func() *http.Request {
		r, err := http.NewRequest(http.MethodGet, "http://example.amazonaws.com/", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("X-Amz-Date", "20150830T123600Z")
		r.Header.Set("Authorization", authz)
		return r
	}
	if err := verifySigV4(req(), nil, "service", "us-east-1", key, secret, now); err != nil {
		t.Fatalf("the published vector does not verify: %v", err)
	}
	for name, change := range map[string]func(r *http.Request) ([]byte, string, time.Time){
		"another secret": func(r *http.Request) ([]byte, string, time.Time) { return nil, secret[1:], now },
		"another host": func(r *http.Request) ([]byte, string, time.Time) {
			r.Host = "example2.amazonaws.com"
			return nil, secret, now
		},
		"another method": func(r *http.Request) ([]byte, string, time.Time) { r.Method = http.MethodPost; return nil, secret, now },
		"a body":         func(r *http.Request) ([]byte, string, time.Time) { return []byte("x"), secret, now },
		"another path":   func(r *http.Request) ([]byte, string, time.Time) { r.URL.Path = "/a"; return nil, secret, now },
		"a later date": func(r *http.Request) ([]byte, string, time.Time) {
			r.Header.Set("X-Amz-Date", "20150830T123601Z")
			return nil, secret, now
		},
		"too old": func(r *http.Request) ([]byte, string, time.Time) { return nil, secret, now.Add(16 * time.Minute) },
		"another signature": func(r *http.Request) ([]byte, string, time.Time) {
			r.Header.Set("Authorization", strings.Replace(authz, "Signature=5", "Signature=6", 1))
			return nil, secret, now
		},
		"no signature": func(r *http.Request) ([]byte, string, time.Time) {
			r.Header.Del("Authorization")
			return nil, secret, now
		},
	} {
		r := req()
		body, s, at := change(r)
		if err := verifySigV4(r, body, "service", "us-east-1", key, s, at); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	if err := verifySigV4(req(), nil, "ssm", "us-east-1", key, secret, now); err == nil {
		t.Error("another service: verified")
	}
}
