package fiberbackend

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/backends/internal/adapter"
)

// Router returns r, an app or a group, as a [backends.Router], for
// ws.Server's Mount and callbacks.Registry's Mount. Each handler is
// served through [Handler], so WebSockets work:
//
//	err := sockets.Mount(fiberbackend.Router(app), "/ws/echo", echo)
//
// {name} becomes :name, {name...} and a pattern ending in "/" become *. A
// GET route answers HEAD too, as Fiber's Get does. It panics on a pattern
// it cannot spell, as Fiber's own registration does.
func Router(r fiber.Router) backends.Router { return router{r} }

type router struct{ r fiber.Router }

func (rt router) Handle(pattern string, h http.Handler) {
	method, path := adapter.Spell("fiberbackend", pattern, func(name string, rest bool) string {
		if rest {
			return "*"
		}
		return ":" + name
	}, "*")
	fh := Handler(h)
	switch method {
	case "":
		rt.r.All(path, fh)
	case http.MethodGet:
		rt.r.Get(path, fh)
	default:
		rt.r.Add(method, path, fh)
	}
}
