// Package adapter holds what the framework adapters of package backends
// (net/http, Gin, Fiber) share: reading a net/http request's headers and
// body, attaching a value to its context in one allocation, and judging
// whether a route registered before the guard would escape it.
package adapter
