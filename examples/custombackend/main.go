// Command custombackend serves the authwire demo routes on a tiny router
// of its own, through a Backend written outside package backends: the
// model for adding a framework authwire does not know.
//
//	go run ./examples/custombackend
//	curl -u admin:admin http://127.0.0.1:8050/api/whoami
//
// ADDR sets the listen address (default 127.0.0.1:8050). The demo users
// are admin/admin (group admin) and viewer/viewer123 (group viewer).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/authwire/authwire/auth"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8050"
	}
	h, err := newApp()
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// newApp builds the guarded demo application.
func newApp() (http.Handler, error) {
	r := &Router{}
	a, err := auth.New(NewBackend(r),
		auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123"}),
		auth.WithUserGroups(map[string][]string{"admin": {"admin"}, "viewer": {"viewer"}}),
		auth.WithPublicRoutes("/healthz", "/public/<path:rest>", "/user/<id>/public"),
	)
	if err != nil {
		return nil, err
	}
	text := func(s string) Handler {
		return func(c *Ctx) { fmt.Fprintln(c.W, s) }
	}
	r.Handle(http.MethodGet, "/healthz", text("ok"))
	r.Handle(http.MethodGet, "/", func(c *Ctx) {
		fmt.Fprintf(c.W, "hello, %s\n", auth.FromContext(c.R.Context()).User)
	})
	r.Handle("", "/public/*rest", func(c *Ctx) { fmt.Fprintf(c.W, "public %s\n", c.Param("rest")) })
	r.Handle("", "/user/:id/public", func(c *Ctx) { fmt.Fprintf(c.W, "public profile %s\n", c.Param("id")) })
	r.Handle("", "/user/:id/private", func(c *Ctx) { fmt.Fprintf(c.W, "private profile %s\n", c.Param("id")) })
	r.Handle(http.MethodGet, "/admin", Rule(a.Rule(auth.OneOf("admin"))), text("admin area"))
	r.Handle(http.MethodGet, "/api/whoami", func(c *Ctx) {
		v, _ := c.Get(auth.LocalsKey) // the router's own store holds it too
		id, _ := v.(*auth.Identity)
		if id == nil {
			http.Error(c.W, "no identity", http.StatusInternalServerError)
			return
		}
		c.W.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(c.W).Encode(map[string]any{"user": id.User, "groups": id.Groups, "provider": id.Provider})
	})
	return a.Handler(), nil
}
