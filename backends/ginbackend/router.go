package ginbackend

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/backends/internal/adapter"
)

// Router returns r, an engine or a group, as a [backends.Router], for
// ws.Server's Mount and callbacks.Registry's Mount:
//
//	err := sockets.Mount(ginbackend.Router(engine), "/ws/echo", echo)
//
// {name} becomes :name, {name...} becomes *name, and a pattern ending in
// "/" covers its subtree with *path. A GET pattern answers HEAD too, as
// net/http's ServeMux does. It panics on a pattern it cannot spell, as
// gin's own registration does.
func Router(r gin.IRoutes) backends.Router { return router{r} }

type router struct{ r gin.IRoutes }

func (rt router) Handle(pattern string, h http.Handler) {
	method, path := adapter.Spell("ginbackend", pattern, func(name string, rest bool) string {
		if rest {
			return "*" + name
		}
		return ":" + name
	}, "*path")
	hf := gin.WrapH(h)
	switch method {
	case "":
		rt.r.Any(path, hf)
	case http.MethodGet:
		rt.r.GET(path, hf)
		rt.r.HEAD(path, hf)
	default:
		rt.r.Handle(method, path, hf)
	}
}
