package backends_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/authwire/authwire/backends"
	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
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
		{"Gin backend", backends.NewGin(gin.New()), "gin"},
		{"Fiber backend", backends.NewFiber(fiber.New()), "fiber"},
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
		if _, ok := b.(*backends.Gin); !ok {
			t.Errorf("a *gin.Engine got %T, want *backends.Gin (gin.Engine is also an http.Handler)", b)
		}
	}
}

func TestDetectRejects(t *testing.T) {
	var (
		nilMux   *http.ServeMux
		nilFunc  http.HandlerFunc
		nilGin   *gin.Engine
		nilFiber *fiber.App
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
		{"gin.RouterGroup", gin.New().Group("/api"), "NewGinGroup"},
		{"fiber.Group", fiber.New().Group("/api"), "*fiber.Group"},
		{"struct", struct{}{}, "struct {}"},
		{"string", "app", "string"},
	} {
		b, err := backends.Detect(tc.app)
		if b != nil || !errors.Is(err, backends.ErrUnknownApp) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: Detect = %v, %v; want an ErrUnknownApp mentioning %q", tc.name, b, err, tc.msg)
		}
	}
}
