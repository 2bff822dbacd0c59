package backends_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"

	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/backends/fiberbackend"
	"github.com/authwire/authwire/backends/ginbackend"
)

func TestDetect(t *testing.T) {
	custom := backends.NewHTTP(http.NewServeMux())
	for _, tc := range []struct {
		name string
		app  any
		want string // backend name
	}{
		{"ServeMux", http.NewServeMux(), "net/http"},
		{"HandlerFunc", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), "net/http"},
		{"Handler", http.NotFoundHandler(), "net/http"},
		{"gin.Engine", gin.New(), "gin"},
		{"fiber.App", fiber.New(), "fiber"},
		{"Backend", custom, "net/http"},
		{"Gin backend", ginbackend.New(gin.New()), "gin"},
		{"Fiber backend", fiberbackend.New(fiber.New()), "fiber"},
	} {
		b, err := backends.Detect(tc.app)
		if err != nil || b == nil || b.Name() != tc.want {
			t.Errorf("%s: Detect = %v, %v; want a %s backend", tc.name, b, err, tc.want)
		}
	}
	if b, _ := backends.Detect(custom); b != backends.Backend(custom) {
		t.Error("a Backend was not returned as it is")
	}
	if b, _ := backends.Detect(gin.New()); b != nil {
		if _, ok := b.(*ginbackend.Backend); !ok {
			t.Errorf("a *gin.Engine got %T, want *ginbackend.Backend (gin.Engine is also an http.Handler)", b)
		}
	}
}

func TestDetectRejects(t *testing.T) {
	var (
		nilMux   *http.ServeMux
		nilFunc  http.HandlerFunc
		nilGin   *gin.Engine
		nilFiber *fiber.App
		nilBack  *backends.HTTP
	)
	for _, tc := range []struct {
		name string
		app  any
		msg  string
	}{
		{"nil", nil, "nil"},
		{"nil ServeMux", nilMux, "nil *http.ServeMux"},
		{"nil HandlerFunc", nilFunc, "nil http.HandlerFunc"},
		{"nil gin.Engine", nilGin, "nil *gin.Engine"},
		{"nil fiber.App", nilFiber, "nil *fiber.App"},
		{"gin.RouterGroup", gin.New().Group("/api"), "ginbackend.NewGroup"},
		{"fiber.Group", fiber.New().Group("/api"), "fiberbackend.NewGroup"},
		{"struct", struct{}{}, "struct {}"},
		{"string", "app", "string"},
		{"nil Backend", nilBack, "nil *backends.HTTP"},
	} {
		b, err := backends.Detect(tc.app)
		if b != nil || !errors.Is(err, backends.ErrUnknownApp) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: Detect = %v, %v; want an ErrUnknownApp mentioning %q", tc.name, b, err, tc.msg)
		}
	}
}
