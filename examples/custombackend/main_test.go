package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends/backendtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestConformance runs the backend conformance suite against Router.
func TestConformance(t *testing.T) {
	backendtest.Run(t, backendtest.Harness{
		Name: "custom-router",
		Start: func(t *testing.T, s *backendtest.Setup) string {
			r := &Router{}
			a := s.Install(NewBackend(r))
			for _, rt := range s.Routes() {
				var hs []Handler
				if len(rt.Rule) > 0 {
					hs = append(hs, Rule(a.Rule(rt.Rule...)))
				}
				hs = append(hs, func(c *Ctx) {
					v, _ := c.Get(auth.LocalsKey)
					c.W.Header().Set("Content-Type", "text/plain; charset=utf-8")
					c.W.Write(rt.Echo(c.R.URL.Path, c.R.Context(), v))
				})
				r.Handle(rt.Method, rt.ColonPath(), hs...)
			}
			return backendtest.ServeHandler(t, a.Handler())
		},
	})
}

func TestDemoApp(t *testing.T) {
	h, err := newApp()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct {
		path, user, pass string
		status           int
		body             string
	}{
		{"/healthz", "", "", 200, "ok"},
		{"/HEALTHZ/", "", "", 200, "ok"},
		{"/", "", "", 401, "unauthenticated"},
		{"/", "viewer", "viewer123", 200, "hello, viewer"},
		{"/api/whoami", "admin", "admin", 200, `"user":"admin"`},
		{"/admin", "viewer", "viewer123", 403, "forbidden"},
		{"/admin", "admin", "admin", 200, "admin area"},
		{"/user/7/public", "", "", 200, "public profile 7"},
		{"/user/7/private", "", "", 401, ""},
	} {
		req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || !strings.Contains(string(b), tc.body) {
			t.Errorf("GET %s as %q: %d %q, want %d %q", tc.path, tc.user, res.StatusCode, b, tc.status, tc.body)
		}
	}
}
