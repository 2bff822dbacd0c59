package callbacks

import (
	"context"
	"net/netip"

	"github.com/authwire/authwire/auth"
)

// clientKey is the context key under which the transports put an
// anonymous caller's client network (auth.Auth's ClientAddr).
type clientKey struct{}

// withClient returns ctx carrying client, the network of an anonymous
// caller.
func withClient(ctx context.Context, client netip.Prefix) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

// callerKey names the caller of a call for Config.MaxConcurrentPerCaller:
// the user, per provider, when the call has an identity; else the client
// network the transport recorded.
func callerKey(ctx context.Context) string {
	if id := auth.FromContext(ctx); id != nil {
		return "user:" + id.Provider + "\x00" + id.User
	}
	client, _ := ctx.Value(clientKey{}).(netip.Prefix)
	return "client:" + client.String()
}

// enterCaller counts one more running call of caller, unless caller has
// MaxConcurrentPerCaller running already.
func (r *Registry) enterCaller(caller string) bool {
	r.callersMu.Lock()
	defer r.callersMu.Unlock()
	if r.callers[caller] >= r.cfg.MaxConcurrentPerCaller {
		return false
	}
	r.callers[caller]++
	return true
}

// leaveCaller ends what enterCaller began.
func (r *Registry) leaveCaller(caller string) {
	r.callersMu.Lock()
	defer r.callersMu.Unlock()
	if r.callers[caller]--; r.callers[caller] <= 0 {
		delete(r.callers, caller)
	}
}
