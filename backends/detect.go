package backends

import (
	"fmt"
	"net/http"
	"reflect"
	"sync"
)

// DetectFunc recognises the application values of one framework: it
// returns the [Backend] for app, an error wrapping [ErrUnknownApp] for a
// value of its framework that it cannot guard (a nil app, a router group
// alone), or nil, nil for a value that is not its framework's.
type DetectFunc func(app any) (Backend, error)

// registry holds the DetectFuncs that adapter packages register when they
// are imported, as image formats register with package image. It is the
// package's one piece of shared state, written only from init functions.
var registry struct {
	mu     sync.RWMutex
	detect []DetectFunc
}

// Register makes [Detect] consult detect. Adapter packages call it from
// their init function (package ginbackend and package fiberbackend do),
// so importing the adapter is what makes auth.New recognise its
// framework's application type.
func Register(detect DetectFunc) {
	if detect == nil {
		return
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	registry.detect = append(registry.detect, detect)
}

// adapters names the adapter package of each framework application type
// this module has one for, by the type's package path and name, so that
// [Detect] can say which import is missing without importing the
// framework.
var adapters = map[[2]string]string{
	{"github.com/gin-gonic/gin", "Engine"}:      "github.com/authwire/authwire/backends/ginbackend",
	{"github.com/gin-gonic/gin", "RouterGroup"}: "github.com/authwire/authwire/backends/ginbackend",
	{"github.com/gofiber/fiber/v2", "App"}:      "github.com/authwire/authwire/backends/fiberbackend",
	{"github.com/gofiber/fiber/v2", "Group"}:    "github.com/authwire/authwire/backends/fiberbackend",
}

// Detect returns the adapter for app:
//
//   - a [Backend] is returned as it is;
//   - a value a registered adapter recognises gets that adapter: a
//     *gin.Engine once package ginbackend is imported, a *fiber.App once
//     package fiberbackend is;
//   - an *http.ServeMux or any other http.Handler gets [HTTP].
//
// Anything else is an error wrapping [ErrUnknownApp]: write a Backend for
// it and pass that instead. So is a nil pointer of a known type, and a
// *gin.Engine or *fiber.App whose adapter package is not imported: the
// error names the import line to add. (Both are http.Handlers or close to
// it, and guarding them as plain handlers would leave their routes open.)
func Detect(app any) (Backend, error) {
	switch a := app.(type) {
	case nil:
		return nil, fmt.Errorf("%w: got nil", ErrUnknownApp)
	case Backend:
		if isNilPointer(a) {
			return nil, fmt.Errorf("%w: got a nil %T", ErrUnknownApp, app)
		}
		return a, nil
	}
	registry.mu.RLock()
	detect := registry.detect
	registry.mu.RUnlock()
	for _, d := range detect {
		b, err := d(app)
		if err != nil || b != nil {
			return b, err
		}
	}
	if imp := missingAdapter(app); imp != "" {
		return nil, fmt.Errorf("%w: got a %T, whose adapter is not imported; add\n\timport _ %q", ErrUnknownApp, app, imp)
	}
	switch a := app.(type) {
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
		if isNilPointer(a) {
			return nil, fmt.Errorf("%w: got a nil %T", ErrUnknownApp, app)
		}
		return NewHTTP(a), nil
	default:
		return nil, fmt.Errorf("%w: got %T", ErrUnknownApp, app)
	}
}

// missingAdapter returns the import path of the adapter package for app's
// type, when app is of a framework this module has an adapter for, found
// by reflection; else "".
func missingAdapter(app any) string {
	t := reflect.TypeOf(app)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return adapters[[2]string{t.PkgPath(), t.Name()}]
}

// isNilPointer reports whether v holds a nil pointer, which would panic
// when its methods are called.
func isNilPointer(v any) bool {
	r := reflect.ValueOf(v)
	return r.Kind() == reflect.Pointer && r.IsNil()
}
