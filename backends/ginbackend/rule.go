package ginbackend

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/authwire/authwire/backends"
)

// Rule returns gin middleware that runs g, typically what auth.Auth's Rule
// method returns, and aborts the chain unless it passes; g answers 401 or
// 403 itself:
//
//	engine.GET("/admin", ginbackend.Rule(a.Rule(auth.OneOf("admin"))), h)
//
// A nil g refuses every request with 500, so a rule that was never built
// fails closed.
func Rule(g backends.Guard) gin.HandlerFunc {
	return func(c *gin.Context) {
		if g == nil {
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		if !g(&ginExchange{c: c}) {
			c.Abort()
		}
	}
}
