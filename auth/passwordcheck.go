package auth

import (
	"log/slog"
	"net/netip"

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

	// identities holds one prebuilt, shared Identity per user when both
	// the users and their groups are fixed at New; nil otherwise.
	identities map[string]*Identity
}

// check verifies user and password for the caller of x. It answers
// ErrBadCredentials for a wrong password, an unknown or empty user, a
// banned user or address (the same answer, so a ban reveals nothing), and
// any failure of an outside source (logged, never with the password).
func (c *passwordCheck) check(x backends.Exchange, user, password []byte, provider string) (*Identity, error) {
	if len(user) == 0 {
		return nil, ErrBadCredentials
	}
	// When the regulator tracks nobody (the usual case) it is skipped,
	// and a known user's prebuilt identity is returned without copying
	// the name: the hot path allocates nothing here.
	ctx := x.Context()
	quiet := c.reg.quietOrOff()
	var addr netip.Addr // the client address is found only when regulation needs it
	if !quiet {
		addr = c.proxies.clientAddr(x)
	}
	if !quiet && !c.reg.allowed(ctx, string(user), addr) {
		return nil, ErrBadCredentials
	}
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
		ok = false
	}
	if !ok || !quiet {
		if quiet {
			addr = c.proxies.clientAddr(x)
		}
		c.reg.record(ctx, string(user), addr, ok)
	}
	if !ok {
		return nil, ErrBadCredentials
	}
	if id := c.identities[string(user)]; id != nil && id.Provider == provider {
		return id, nil
	}
	name := string(user)
	groups, err := c.groups.groups(ctx, name)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelError, "authwire: group lookup failed",
			slog.String("user", name), slog.String("error", err.Error()))
		return nil, ErrBadCredentials
	}
	return newIdentity(name, provider, groups), nil
}
