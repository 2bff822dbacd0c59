package ws

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// Mount serves f at path on r, for authenticated callers whose identity
// meets every requirement in reqs (see [Server.Handler]), and declares
// path to the guard as a WebSocket route, so that a browser whose
// handshake fails authentication is accepted and closed with 4401, which
// it can read, instead of refused with an HTTP 401 it sees as 1006. It is
// one call on every framework:
//
//	err := s.Mount(mux, "/ws/echo", echo)                                // net/http
//	err := s.Mount(ginbackend.Router(engine), "/ws/echo", echo)          // Gin
//	err := s.Mount(fiberbackend.Router(app), "/ws/echo", echo, admins)   // Fiber
//
// path is a path in Go's ServeMux syntax without a method ("/ws/echo",
// "/ws/room/{id}"); it is routed for GET. A path declared already (with
// auth.WithWebSocketRoutes, say) or a bad one is an error wrapping
// auth.ErrInvalidConfig, and nothing is mounted.
func (s *Server) Mount(r backends.Router, path string, f Func, reqs ...auth.Requirement) error {
	return s.mount(r, path, s.Handler(f, reqs...))
}

// MountPublic is [Server.Mount] for [Server.PublicHandler]: anonymous
// callers get a socket too, with a nil identity.
func (s *Server) MountPublic(r backends.Router, path string, f Func) error {
	return s.mount(r, path, s.PublicHandler(f))
}

// mount declares path and registers h for GET path on r.
func (s *Server) mount(r backends.Router, path string, h http.Handler) error {
	switch {
	case r == nil:
		return fmt.Errorf("%w: ws: Mount needs a router", auth.ErrInvalidConfig)
	case !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " <>"):
		return fmt.Errorf("%w: ws: Mount path %q must be a path in Go's ServeMux syntax, such as /ws/echo or /ws/room/{id}", auth.ErrInvalidConfig, path)
	}
	if err := s.auth.AddWebSocketRoutes(path); err != nil {
		return err
	}
	r.Handle(http.MethodGet+" "+path, h)
	return nil
}
