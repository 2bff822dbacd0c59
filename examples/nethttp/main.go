// Command nethttp is the authwire demo on a net/http ServeMux: a dashboard
// behind a login form (or Basic auth), an admin-only page, a page per
// section (marketing, hr), public routes and a JSON API.
//
//	go run ./examples/nethttp
//	curl -u admin:admin http://127.0.0.1:8050/api/whoami
//
// See examples/internal/demo for the environment variables.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/examples/internal/demo"
)

func main() { demo.Main("nethttp demo", run) }

// run serves the example until ctx ends.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := demo.Load(getenv, stdout)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	a, err := auth.New(mux, cfg.Options...)
	if err != nil {
		return err
	}
	live, err := demo.NewLive(a, cfg)
	if err != nil {
		return err
	}
	if err := live.Mount(mux); err != nil {
		return err
	}
	routes(mux, a, cfg)

	ln, err := demo.Listen(cfg, stdout)
	if err != nil {
		return err
	}
	// a.Handler(), not mux: only what auth.New returns is guarded.
	return demo.ServeHTTP(ctx, cfg, ln, a.Handler(), live)
}

// routes registers the example's pages on mux.
func routes(mux *http.ServeMux, a *auth.Auth, cfg demo.Config) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("GET /public/{rest...}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "public page %s\n", r.PathValue("rest"))
	})
	mux.HandleFunc("GET /user/{id}/public", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "public profile of user %s\n", r.PathValue("id"))
	})
	mux.HandleFunc("GET /user/{id}/private", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "private page of user %s, seen by %s\n", r.PathValue("id"), auth.FromContext(r.Context()).User)
	})
	page := func(w http.ResponseWriter, body []byte) {
		for _, h := range cfg.PageHeaders() {
			w.Header().Set(h[0], h[1])
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		page(w, demo.Dashboard(auth.FromContext(ctx), a.CSRFToken(ctx)))
	})
	// A page per section, for callers in that section only.
	for _, name := range demo.SectionNames() {
		mux.Handle("GET /"+name, a.Require(auth.InSection(name))(http.HandlerFunc(
			func(w http.ResponseWriter, r *http.Request) {
				ctx := r.Context()
				page(w, demo.SectionPage(auth.FromContext(ctx), a.CSRFToken(ctx), name))
			})))
	}
	mux.HandleFunc("GET /api/whoami", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(demo.WhoAmI(auth.FromContext(r.Context())))
	})
	mux.Handle("GET /admin", a.Require(auth.OneOf("admin"))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "admin area, welcome %s\n", auth.FromContext(r.Context()).User)
		})))
}
