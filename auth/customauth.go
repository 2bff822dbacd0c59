package auth

import "github.com/authwire/authwire/backends"

// customAuthenticator wraps an Authenticator given to [WithAuthenticator],
// so that the groups and sections of the identities it returns enter
// normalised, as every built-in source's do: an authenticator that
// answers ["users", "blocked"] is judged by NoneOf("blocked") as it
// should be.
type customAuthenticator struct {
	inner Authenticator
}

// Authenticate asks the wrapped authenticator. An identity whose groups
// or sections are not normalised already is copied (never changed: the
// authenticator may share it between requests) with them normalised.
func (c customAuthenticator) Authenticate(x backends.Exchange) (*Identity, error) {
	id, err := c.inner.Authenticate(x)
	if err != nil || id == nil || id.Groups != nil && normalGroups(id.Groups) && normalGroups(id.Sections) {
		return id, err
	}
	cp := *id
	cp.Groups = normalizeGroups(id.Groups)
	cp.Sections = normalizeSections(id.Sections)
	return &cp, nil
}

// Challenge is the wrapped authenticator's challenge, or "" when it is no
// [Challenger].
func (c customAuthenticator) Challenge() string {
	if ch, ok := c.inner.(Challenger); ok {
		return ch.Challenge()
	}
	return ""
}
