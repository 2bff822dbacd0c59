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
	// Groups are the user's groups. In every Identity this package makes
	// they are sorted, without duplicates, and never nil (a user in no
	// group has an empty list, which encodes as [] in JSON). Each name is
	// valid UTF-8 with no comma and no control character, and neither
	// starts nor ends with white space, so that a comma-separated list
	// such as the forward-auth Remote-Groups header reads back as the same
	// names. Configured groups ([WithUserGroups], an htgroup file) that
	// break this are an error; from the sources read at run time (a
	// [GroupsFunc], a session loaded from its store, a custom
	// [Authenticator], an OIDC claim) such names are dropped as the groups
	// enter. [Identity.InGroup] and the requirements do not depend on the
	// order, so an Identity built by hand is checked correctly too.
	Groups []string
	// Sections are the parts of the application the user may reach, such
	// as "marketing" and "hr", as [InSection] checks them; [AllSections]
	// among them allows every section. They come from a section source
	// ([WithUserSections], [WithSectionsFunc], [WithSectionsFile]) or a
	// custom [Authenticator], and a session keeps them as it keeps the
	// groups. In every Identity this package makes they are normalised as
	// Groups are (sorted, without duplicates, each name one a header
	// could carry), except that a user with no section has nil.
	Sections []string
	// Provider names how the caller authenticated, such as "basic".
	Provider string
	// SessionID identifies the caller's session, when there is one.
	SessionID string
	// Claims holds provider-specific facts (OIDC claims, for example).
	Claims map[string]any
	// IssuedAt is when the caller's session began; zero without a
	// session.
	IssuedAt time.Time
	// ExpiresAt is when the identity stops being valid; zero means it
	// lasts as long as the credentials it came from.
	ExpiresAt time.Time
}

// InGroup reports whether the identity belongs to group, whatever the
// order of Groups.
func (id *Identity) InGroup(group string) bool {
	return id != nil && holds(id.Groups, group)
}

// Clone returns a deep copy of id that the caller may change.
func (id *Identity) Clone() *Identity {
	if id == nil {
		return nil
	}
	c := *id
	c.Groups = slices.Clone(id.Groups)
	c.Sections = slices.Clone(id.Sections)
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

// newIdentity builds an identity with its groups normalised (see
// normalizeGroups) into a slice of its own.
func newIdentity(user, provider string, groups []string) *Identity {
	return &Identity{User: user, Groups: ownGroups(groups), Provider: provider}
}
