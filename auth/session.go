package auth

import (
	"context"
	"errors"
	"time"
)

// ErrNoSession is returned by a [SessionStore] for a cookie value that does
// not name a live session: absent, tampered, truncated, made with an
// unknown key, expired, or deleted. The guard treats it as "not logged in".
var ErrNoSession = errors.New("auth: no session")

// Session is one logged-in browser (or API client) as a store keeps it.
// Times are Unix seconds so that the JSON form stays small.
type Session struct {
	// ID is 32 random bytes, base64url-encoded, made by the server at
	// login. A client-chosen ID is never accepted.
	ID string `json:"i"`
	// User, Groups and Provider are the identity at login.
	User     string   `json:"u"`
	Groups   []string `json:"g,omitempty"`
	Provider string   `json:"p,omitempty"`
	// IssuedAt is when the session was created.
	IssuedAt int64 `json:"ia"`
	// LastSeen is the last time the session was used (updated at most
	// once a minute, to keep cookie rewrites rare).
	LastSeen int64 `json:"ls"`
	// ExpiresAt is the absolute end: IssuedAt plus the session lifetime.
	ExpiresAt int64 `json:"e"`
	// Sections are the identity's sections at login (see
	// Identity.Sections).
	Sections []string `json:"s,omitempty"`
	// Email is the user's address when the login gave one (an OIDC
	// "email" claim); the session's identity carries it as that claim.
	Email string `json:"m,omitempty"`
}

// SessionStore keeps sessions. The default, [NewCookieStore], keeps the
// whole session in a signed and encrypted cookie and needs nothing
// running; a server-side store keeps it elsewhere and puts only a
// reference in the cookie. Implementations must be safe for concurrent use.
type SessionStore interface {
	// Save stores s and returns the cookie value that names it.
	Save(ctx context.Context, s *Session) (cookie string, err error)
	// Load returns the session a cookie value names, or an error wrapping
	// ErrNoSession when it names none. It does not judge expiry beyond
	// what it needs to drop stale data; the caller checks the times.
	Load(ctx context.Context, cookie string) (*Session, error)
	// Delete forgets s. For a cookie store it is a no-op: the revocation
	// list is what makes a copied cookie useless.
	Delete(ctx context.Context, s *Session) error
}

// RevocationList remembers sessions that were logged out or revoked before
// they expired, so that a replayed cookie is refused even by a store that
// keeps no server state. Implementations must be safe for concurrent use.
type RevocationList interface {
	// Revoke marks the session ID revoked. The entry may be forgotten
	// after until, when the session would have expired anyway.
	Revoke(ctx context.Context, id string, until time.Time) error
	// Revoked reports whether the session ID is revoked.
	Revoked(ctx context.Context, id string) (bool, error)
}
