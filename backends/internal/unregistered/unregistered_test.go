// Package unregistered checks what auth.New says about a Gin or Fiber app
// whose adapter package is not imported. Every other test package of
// backends imports both adapters, which registers them; this one imports
// the frameworks alone (go list -deps -test shows no adapter in it).
package unregistered

import (
	"errors"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

func TestNewNamesTheMissingAdapterImport(t *testing.T) {
	const (
		ginImport   = `import _ "github.com/authwire/authwire/backends/ginbackend"`
		fiberImport = `import _ "github.com/authwire/authwire/backends/fiberbackend"`
	)
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	for _, tc := range []struct {
		name string
		app  any
		want string
	}{
		{"*gin.Engine", engine, ginImport},
		{"*gin.RouterGroup", engine.Group("/api"), ginImport},
		{"*fiber.App", fiber.New(), fiberImport},
		{"*fiber.Group", fiber.New().Group("/api"), fiberImport},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := auth.New(tc.app, auth.WithUsers(map[string]string{"admin": "admin"}))
			if a != nil || err == nil {
				t.Fatalf("New = %v, %v; want an error (the adapter is not imported)", a, err)
			}
			if !errors.Is(err, auth.ErrInvalidConfig) || !errors.Is(err, backends.ErrUnknownApp) {
				t.Errorf("error %q does not wrap ErrInvalidConfig and ErrUnknownApp", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name the import line %s", err, tc.want)
			}
		})
	}
	if n := len(engine.Handlers); n != 0 {
		t.Errorf("a refused New left %d middleware on the engine", n)
	}
}
