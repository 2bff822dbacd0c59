//go:build linux

package browsertest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestStartFlags: the flags given to Start reach Chromium. A browser
// started with --ignore-certificate-errors-spki-list naming the key of a
// test server's certificate loads its page over https; one started
// without it refuses the same page with a certificate error.
func TestStartFlags(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>trusted</title>")
	}))
	defer srv.Close()
	sum := sha256.Sum256(srv.Certificate().RawSubjectPublicKeyInfo)
	spki := base64.StdEncoding.EncodeToString(sum[:])

	t.Run("trusted", func(t *testing.T) {
		tab := Start(t, "--ignore-certificate-errors-spki-list="+spki).NewTab(t)
		Do(t, tab, chromedp.Navigate(srv.URL+"/"))
		if title := Do(t, tab, chromedp.Evaluate[string]("location.protocol + document.title")); title != "https:trusted" {
			t.Errorf("with the certificate's key trusted, the page is %q", title)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		tab := Start(t).NewTab(t)
		ctx, cancel := context.WithTimeout(tab, StepTimeout)
		defer cancel()
		_, err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/"))
		if err == nil || !strings.Contains(err.Error(), "ERR_CERT") {
			t.Errorf("without the flag, loading a page whose certificate Chromium cannot trust: %v, want a certificate error", err)
		}
	})
}
