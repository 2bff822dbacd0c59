package auth

import "errors"

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
