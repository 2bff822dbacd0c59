package adapter

import (
	"context"
	"net/http"
	"reflect"
)

// valueContext is what context.WithValue makes, as a type of our own so
// that it can share one allocation with the request that carries it.
type valueContext struct {
	context.Context
	key, val any
}

// Value returns the attached value for its key and asks the parent for
// any other key.
func (c *valueContext) Value(key any) any {
	if key == c.key {
		return c.val
	}
	return c.Context.Value(key)
}

// String describes the context for debugging, as context.WithValue's does.
func (c *valueContext) String() string {
	return "backends.valueContext"
}

// attachedRequest is a request copy and the context it carries, allocated
// together: attaching an identity to a net/http request then costs one
// allocation instead of two (context.WithValue plus Request.WithContext).
type attachedRequest struct {
	req http.Request
	ctx valueContext
}

// WithValue returns a shallow copy of r whose context also carries val
// under key, as r.WithContext(context.WithValue(r.Context(), key, val))
// would. A key that context.WithValue would refuse (nil or not
// comparable) attaches nothing and r is returned unchanged: the handlers
// then see no value, which fails closed.
func WithValue(r *http.Request, key, val any) *http.Request {
	if !Attachable(key) {
		return r
	}
	a := new(attachedRequest)
	a.ctx = valueContext{Context: r.Context(), key: key, val: val}
	// WithContext is inlined, so its own copy stays on the stack and
	// only a's allocation reaches the heap.
	a.req = *r.WithContext(&a.ctx)
	return &a.req
}

// Attachable reports whether key may key a context value: context.WithValue
// panics for a nil or incomparable key.
func Attachable(key any) bool {
	return key != nil && reflect.TypeOf(key).Comparable()
}
