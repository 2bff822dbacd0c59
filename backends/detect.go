package backends

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
)

// Detect returns the adapter for app:
//
//   - a [Backend] is returned as it is;
//   - a *gin.Engine gets [Gin] ([NewGin]);
//   - a *fiber.App gets [Fiber] ([NewFiber]);
//   - an *http.ServeMux or any other http.Handler gets [HTTP].
//
// Anything else is an error wrapping [ErrUnknownApp]: write a Backend for
// it and pass that instead. So is a nil pointer of a known type, and a
// *gin.RouterGroup alone, which cannot be checked for routes registered
// before the guard: pass [NewGinGroup] with its engine instead.
func Detect(app any) (Backend, error) {
	switch a := app.(type) {
	case nil:
		return nil, fmt.Errorf("%w: got nil", ErrUnknownApp)
	case Backend:
		return a, nil
	case *gin.Engine:
		if a == nil {
			return nil, fmt.Errorf("%w: got a nil *gin.Engine", ErrUnknownApp)
		}
		return NewGin(a), nil
	case *gin.RouterGroup:
		return nil, fmt.Errorf("%w: got a *gin.RouterGroup, which alone cannot be checked for routes registered before the guard; pass backends.NewGinGroup(engine, group)", ErrUnknownApp)
	case *fiber.App:
		if a == nil {
			return nil, fmt.Errorf("%w: got a nil *fiber.App", ErrUnknownApp)
		}
		return NewFiber(a), nil
	case *http.ServeMux:
		if a == nil {
			return nil, fmt.Errorf("%w: got a nil *http.ServeMux", ErrUnknownApp)
		}
		return NewHTTP(a), nil
	case http.HandlerFunc:
		if a == nil {
			return nil, fmt.Errorf("%w: got a nil http.HandlerFunc", ErrUnknownApp)
		}
		return NewHTTP(a), nil
	case http.Handler:
		return NewHTTP(a), nil
	default:
		return nil, fmt.Errorf("%w: got %T", ErrUnknownApp, app)
	}
}
