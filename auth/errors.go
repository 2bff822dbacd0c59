package auth

import (
	"errors"
	"strings"
)

// Errors an [Authenticator] returns to tell the guard what it found. Any
// other error is treated like ErrBadCredentials and logged.
var (
	// ErrNoCredentials means the request carries no credentials this
	// authenticator understands; the guard tries the next one.
	ErrNoCredentials = errors.New("auth: no credentials")
	// ErrBadCredentials means credentials were present and wrong, or the
	// caller is not allowed to try now. The answer is 401.
	ErrBadCredentials = errors.New("auth: invalid credentials")
	// ErrMalformedCredentials means credentials were present but could not
	// be parsed. The answer is 400 without a challenge.
	ErrMalformedCredentials = errors.New("auth: malformed credentials")
	// ErrCredentialsTooLarge means a credentials header was over the
	// configured limit. The answer is 431.
	ErrCredentialsTooLarge = errors.New("auth: credentials header too large")
)

// ErrInvalidConfig is wrapped by every configuration error [New] returns.
var ErrInvalidConfig = errors.New("auth: invalid configuration")

// invalidConfig wraps err as a configuration error: errors.Is finds both
// ErrInvalidConfig and err, and the message says "auth: invalid
// configuration" once, without the "auth: " (or "backends: ") prefixes
// of the errors err wraps.
func invalidConfig(err error) error { return &configError{err} }

// configError is what invalidConfig makes.
type configError struct{ err error }

func (e *configError) Error() string {
	msg := e.err.Error()
	for _, p := range [...]string{"auth: ", "backends: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return ErrInvalidConfig.Error() + ": " + msg
}

func (e *configError) Unwrap() []error { return []error{ErrInvalidConfig, e.err} }
