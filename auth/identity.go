package auth

import (
	"context"
	"maps"
	"slices"
	"time"
)

// Identity describes an authenticated caller. Handlers read it with
// [FromContext]. An Identity reached through a context is shared between
// requests and must be treated as read-only; use [Identity.Clone] to get a
// copy to change.
type Identity struct {
	// User is the user name the caller authenticated as.
	User string
	// Groups are the user's groups, sorted, never nil: a user without
	// groups has an empty list, which encodes as [] in JSON.
	Groups []string
	// Provider names how the caller authenticated, such as "basic".
	Provider string
	// SessionID identifies the caller's session, when there is one.
	SessionID string
	// Claims holds provider-specific facts (OIDC claims, for example).
	Claims map[string]any
	// ExpiresAt is when the identity stops being valid; zero means it
	// lasts as long as the credentials it came from.
	ExpiresAt time.Time
}

// InGroup reports whether the identity belongs to group.
func (id *Identity) InGroup(group string) bool {
	if id == nil {
		return false
	}
	_, ok := slices.BinarySearch(id.Groups, group)
	return ok
}

// Clone returns a deep copy of id that the caller may change.
func (id *Identity) Clone() *Identity {
	if id == nil {
		return nil
	}
	c := *id
	c.Groups = slices.Clone(id.Groups)
	c.Claims = maps.Clone(id.Claims)
	return &c
}

// identityKey is the context key under which the guard stores the caller.
type identityKey struct{}

// LocalsKey is the name under which the guard also stores the *Identity
// in a framework's own per-request store, so that
// gin.Context.Get(LocalsKey) and fiber.Ctx.Locals(LocalsKey) return it.
// [FromContext] is the way that works on every backend.
const LocalsKey = "authwire.identity"

// FromContext returns the caller's identity, or nil for an anonymous
// caller (a public route) or a context the guard never saw.
//
// ctx is the request's context (r.Context(), c.Request.Context() on Gin,
// c.UserContext() on Fiber) or a framework's own context that serves its
// per-request store as context values: a *gin.Context, or Fiber's
// c.Context(), where the identity is found under [LocalsKey].
func FromContext(ctx context.Context) *Identity {
	if id, ok := ctx.Value(identityKey{}).(*Identity); ok {
		return id
	}
	id, _ := ctx.Value(LocalsKey).(*Identity)
	return id
}

// NewContext returns a copy of ctx that carries id. It is useful in tests
// of handlers that read [FromContext].
func NewContext(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// newIdentity builds an identity with its groups sorted and deduplicated.
func newIdentity(user, provider string, groups []string) *Identity {
	g := append([]string{}, groups...)
	slices.Sort(g)
	g = slices.Compact(g)
	return &Identity{User: user, Groups: g, Provider: provider}
}
