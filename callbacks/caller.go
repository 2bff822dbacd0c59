package callbacks

import (
	"context"
	"net/netip"

	"github.com/authwire/authwire/auth"
)

// clientKey is the context key under which the transports put an
// anonymous caller's client network (auth.Auth's ClientNetwork).
type clientKey struct{}

// withClient returns ctx carrying client, the network of an anonymous
// caller.
func withClient(ctx context.Context, client netip.Prefix) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

// caller names the caller of a call for Config.MaxConcurrentPerCaller:
// the user, per provider, when the call has an identity; else the client
// network the transport recorded. It is comparable, so that it keys a map
// without a string being built per call.
type caller struct {
	provider, user string
	client         netip.Prefix
}

// callerOf returns the caller of the call whose context is ctx.
func callerOf(ctx context.Context) caller {
	if id := auth.FromContext(ctx); id != nil {
		return caller{provider: id.Provider, user: id.User}
	}
	client, _ := ctx.Value(clientKey{}).(netip.Prefix)
	return caller{client: client}
}

// enterCaller counts one more running call of c, unless c has
// MaxConcurrentPerCaller running already.
func (r *Registry) enterCaller(c caller) bool {
	r.callersMu.Lock()
	defer r.callersMu.Unlock()
	if r.callers[c] >= r.cfg.MaxConcurrentPerCaller {
		return false
	}
	r.callers[c]++
	return true
}

// leaveCaller ends what enterCaller began.
func (r *Registry) leaveCaller(c caller) {
	r.callersMu.Lock()
	defer r.callersMu.Unlock()
	if r.callers[c]--; r.callers[c] <= 0 {
		delete(r.callers, c)
	}
}
