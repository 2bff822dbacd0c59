package auth

import (
	"net/http"

	"github.com/authwire/authwire/backends"
)

// basicRechallenge makes logout work for Basic users. A browser keeps
// Basic credentials and sends them unasked, so after logout it would be
// logged straight back in. Logout therefore sets a marker cookie; the
// next request that carries credentials together with the marker is
// refused once with a fresh challenge (and the marker is cleared), so the
// browser forgets its cached credentials and prompts again.
type basicRechallenge struct {
	sessions *sessionManager
}

// Authenticate refuses a request carrying both credentials and the marker.
func (r basicRechallenge) Authenticate(x backends.Exchange) (*Identity, error) {
	// The header is read first: it is cheap, and most requests carry no
	// credentials; only then are the cookies parsed.
	if x.Header("Authorization") == "" || x.Cookie(logoutMarkerCookie) == "" {
		return nil, ErrNoCredentials
	}
	x.SetCookie(r.sessions.cookie(logoutMarkerCookie, "", -1, http.SameSiteLaxMode))
	return nil, ErrBadCredentials
}
