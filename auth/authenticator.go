package auth

import "github.com/authwire/authwire/backends"

// Authenticator recognises a caller from one kind of credentials. The
// guard asks each configured authenticator in order.
//
// Authenticate returns the caller's identity, or one of the errors in this
// package: [ErrNoCredentials] lets the next authenticator try; the others
// end the chain with their answer (401, 400 or 431). Any other error is
// logged and answered like [ErrBadCredentials].
type Authenticator interface {
	Authenticate(x backends.Exchange) (*Identity, error)
}

// Challenger is implemented by authenticators that announce themselves in
// a WWW-Authenticate header when a caller is refused with 401.
type Challenger interface {
	Challenge() string
}
