package auth

import (
	"bytes"
	"context"
	"log/slog"

	"github.com/authwire/authwire/backends"
)

// passwordCheck turns a user name and password into an Identity. Both
// password paths, the Basic header and the login form, go through it, so
// both are regulated and cached the same way.
type passwordCheck struct {
	creds   *verifier  // a stored table, or
	fn      VerifyFunc // an outside check
	groups  groupSource
	reg     regulation
	proxies trustedProxies
	log     *slog.Logger

	// identities holds one prebuilt, shared Identity per user when the
	// users, their groups and their sections are fixed at New; nil
	// otherwise.
	identities map[string]*Identity

	// sections is the section source, nil without one.
	sections groupSource
}

// check verifies user and password for the caller of x. It answers
// ErrBadCredentials for a wrong password, an unknown or empty user, a
// banned user or address (the same answer, after as long as a hash
// takes, so a ban reveals nothing), and any failure of an outside source (logged,
// never with the password).
func (c *passwordCheck) check(x backends.Exchange, user, password []byte, provider string) (*Identity, error) {
	// A colon cannot be in a Basic user name, and a form name with one
	// could pose as a provider-qualified user ("oidc:alice") before a
	// VerifyFunc that accepts it.
	if len(user) == 0 || bytes.IndexByte(user, ':') >= 0 || !c.passes(x, user, password) {
		return nil, ErrBadCredentials
	}
	if id := c.identities[string(user)]; id != nil && id.Provider == provider {
		return id, nil
	}
	ctx := x.Context()
	name := string(user)
	groups, err := c.groups.groups(ctx, name)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelError, "authwire: group lookup failed",
			slog.String("user", name), slog.String("error", err.Error()))
		return nil, ErrBadCredentials
	}
	id := newIdentity(name, provider, groups)
	if id.Sections, err = c.sectionsOf(ctx, name); err != nil {
		c.log.LogAttrs(ctx, slog.LevelError, "authwire: section lookup failed",
			slog.String("user", name), slog.String("error", err.Error()))
		return nil, ErrBadCredentials
	}
	return id, nil
}

// passes reports whether password is user's and the attempt is not
// refused by regulation.
//
// Every attempt that will check a password is counted before the check
// runs ([Regulator.Attempt]), and given back if the password is right, so
// concurrent requests cannot check more passwords than the policy allows.
// A credential that verified lately (a hit in the verified cache) runs no
// hash and is not counted; it is refused only while the user or address
// is banned. When the regulator tracks nobody (the usual case), no key is
// banned, and such a hit costs no regulator call at all.
//
// A refused attempt takes as long as a checked one ([verifier.burn])
// before it answers.
func (c *passwordCheck) passes(x backends.Exchange, user, password []byte) bool {
	ctx := x.Context()
	if c.creds != nil {
		c.creds.refresh(ctx)
	}
	if c.reg.r == nil {
		return c.verify(ctx, user, password)
	}
	if c.creds != nil && c.creds.cachedGood(user, password) {
		if c.reg.quiet() || !c.reg.banned(ctx, string(user), c.proxies.clientAddr(x)) {
			return true
		}
		c.burn(ctx, user, password)
		return false
	}
	addr := c.proxies.clientAddr(x)
	name := string(user)
	t, ok := c.reg.attempt(ctx, name, addr)
	if !ok {
		c.burn(ctx, user, password)
		return false
	}
	if !c.verify(ctx, user, password) {
		c.reg.failed(name, addr, t)
		return false
	}
	c.reg.refund(ctx, name, addr, t)
	return true
}

// verify runs the password check itself, logging (without the password)
// any failure of the source.
func (c *passwordCheck) verify(ctx context.Context, user, password []byte) bool {
	var ok bool
	var err error
	if c.fn != nil {
		ok, err = c.fn(ctx, string(user), string(password))
	} else {
		ok, err = c.creds.verify(ctx, user, password)
	}
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelError, "authwire: password check failed",
			slog.String("user", string(user)), slog.String("error", err.Error()))
		return false
	}
	return ok
}

// burn spends on a refused attempt the time checking it would have taken. An
// outside check ([WithVerifyFunc]) is never called for a refused attempt,
// since it may count or lock out on its own, so with one a refused
// attempt answers at once.
func (c *passwordCheck) burn(ctx context.Context, user, password []byte) {
	if c.creds != nil {
		c.creds.burn(ctx, user, password)
	}
}

// unbanned reports whether a caller who presents a credential known to be
// right (a fixed user's exact header, or one that verified lately) may be
// let in without a check: yes unless regulation is on and tracks a ban on
// the user or the caller's address. It costs an atomic load while the
// regulator tracks nobody.
func (c *passwordCheck) unbanned(x backends.Exchange, user string) bool {
	if c.reg.quietOrOff() {
		return true
	}
	return !c.reg.banned(x.Context(), user, c.proxies.clientAddr(x))
}
