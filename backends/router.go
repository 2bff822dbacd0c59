package backends

import "net/http"

// Router is what package ws and package callbacks need of an
// application's router to mount their handlers with one call, which also
// declares the routes to the guard. Handle registers h for pattern, in
// net/http's ServeMux syntax: an optional method, then a path of literal
// segments and {name} wildcards, ending in a {name...} wildcard or a "/"
// that covers the subtree below ("GET /ws/echo", "/_callbacks/").
//
// An *http.ServeMux is a Router; ginbackend.Router and fiberbackend.Router
// adapt Gin and Fiber. Like ServeMux, a Router may panic on a pattern it
// cannot register: that is a programming error, found at start-up.
type Router interface {
	Handle(pattern string, h http.Handler)
}
