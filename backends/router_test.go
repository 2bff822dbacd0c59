package backends_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/backends/fiberbackend"
	"github.com/authwire/authwire/backends/ginbackend"
	"github.com/authwire/authwire/backends/internal/adaptertest"
)

// routerApp is one framework's app with its backends.Router, and how to
// send it a request (status and body).
type routerApp struct {
	name   string
	auth   *auth.Auth
	router backends.Router
	do     func(method, target, user, pass string) (int, string)
}

func routerApps(t *testing.T, opts ...auth.Option) []routerApp {
	t.Helper()
	opts = append(adaptertest.Users(), opts...)
	mux := http.NewServeMux()
	am, err := auth.New(mux, opts...)
	if err != nil {
		t.Fatal(err)
	}
	engine := gin.New()
	ag, err := auth.New(engine, opts...)
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New()
	af, err := auth.New(app, opts...)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(h http.Handler) func(method, target, user, pass string) (int, string) {
		return func(method, target, user, pass string) (int, string) {
			rec := adaptertest.Do(h, method, target, user, pass)
			return rec.Code, rec.Body.String()
		}
	}
	return []routerApp{
		{"net/http", am, mux, serve(am.Handler())},
		{"gin", ag, ginbackend.Router(engine), serve(engine)},
		{"fiber", af, fiberbackend.Router(app), func(method, target, user, pass string) (int, string) {
			return adaptertest.FiberDo(t, app, method, target, user, pass)
		}},
	}
}

// TestRoutersAgree mounts the same ServeMux patterns through each
// framework's backends.Router and checks that they route alike: methods
// (a GET route answers HEAD), one-segment and rest wildcards, and a
// subtree for every method. A handler authwire gives out on a public
// route is served (401 from the rule, not 500), on every backend.
func TestRoutersAgree(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Method+" "+r.URL.Path) })
	for _, app := range routerApps(t, auth.WithPublicRoutes("/pub/{rest...}")) {
		t.Run(app.name, func(t *testing.T) {
			app.router.Handle("GET /x", echo)
			app.router.Handle("/sub/", echo)
			app.router.Handle("GET /p/{id}", echo)
			app.router.Handle("POST /r/{rest...}", echo)
			app.router.Handle("GET /pub/{rest...}", app.auth.Require(auth.OneOf("admin"))(echo))
			for _, tc := range []struct {
				method, target, user string
				status               int
				body                 string
			}{
				{"GET", "/x", "admin", 200, "GET /x"},
				{"HEAD", "/x", "admin", 200, ""},
				{"GET", "/sub/", "admin", 200, "GET /sub/"},
				{"POST", "/sub/a/b", "admin", 200, "POST /sub/a/b"},
				{"DELETE", "/sub/a", "admin", 200, "DELETE /sub/a"},
				{"GET", "/p/7", "admin", 200, "GET /p/7"},
				{"GET", "/p/7/8", "admin", 404, ""},
				{"POST", "/r/a/b/c", "admin", 200, "POST /r/a/b/c"},
				{"GET", "/x", "", 401, ""},
				{"GET", "/pub/page", "", 401, ""},
			} {
				status, body := app.do(tc.method, tc.target, tc.user, tc.user) // admin's password is admin
				if status != tc.status || tc.body != "" && strings.TrimSpace(body) != tc.body {
					t.Errorf("%s %s as %q: %d %q, want %d %q", tc.method, tc.target, tc.user, status, body, tc.status, tc.body)
				}
			}
		})
	}
}
