package backends_test

import (
	"net/http"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends/backendtest"
)

// httpHarness serves an *http.ServeMux guarded by auth.New.
func httpHarness() backendtest.Harness {
	return backendtest.Harness{
		Name: "net/http",
		Start: func(t *testing.T, s *backendtest.Setup) string {
			mux := http.NewServeMux()
			a := s.Install(mux)
			for _, r := range s.Routes() {
				var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
					w.Header().Set("Content-Type", "text/plain; charset=utf-8")
					w.Write(r.Echo(req.URL.Path, req.Context(), auth.FromContext(req.Context())))
				})
				if len(r.Rule) > 0 {
					h = a.Require(r.Rule...)(h)
				}
				mux.Handle(r.ServeMuxPattern(), h)
			}
			return backendtest.ServeHandler(t, a.Handler())
		},
	}
}

func TestHTTPConformance(t *testing.T) {
	backendtest.Run(t, httpHarness())
}
