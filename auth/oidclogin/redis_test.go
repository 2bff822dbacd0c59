package oidclogin_test

import (
	"net/http"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/auth/redisstore"
	"github.com/authwire/authwire/internal/oidctest"
	"github.com/authwire/authwire/internal/servetest"
)

// TestLogoutWithRedis runs two processes that keep sessions and
// revocations in a real redis-server and share their keys: a login at the
// first leaves only a session ID in the session cookie and the ID token
// in its own cookie for the logout path, and a logout at the second ends
// the session everywhere and sends the browser to the provider with the
// hint.
func TestLogoutWithRedis(t *testing.T) {
	srv := servetest.Redis(t)
	p := oidctest.New(t)
	keys := testKeys()
	process := func() string {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
		t.Cleanup(func() { rdb.Close() })
		store := redisstore.New(rdb, redisstore.Config{})
		return serve(t, func(base string) []auth.Option {
			return []auth.Option{
				auth.WithSessions(auth.SessionConfig{Keys: keys, Store: store, Revocations: store, InsecureCookies: true}),
				auth.WithLoginMethod(oidclogin.New(config(p, base))),
			}
		}).URL
	}
	app1, app2 := process(), process()
	b := newBrowser(t)
	b.login(app1 + "/oidc/login")
	session := b.cookie(app1, auth.DefaultSessionCookie)
	if len(session) > 64 || b.cookie(app1+"/logout", idTokenCookie) == "" || b.cookie(app1+"/private", idTokenCookie) != "" {
		t.Fatalf("with Redis: a session cookie of %d bytes, ID token cookie at /logout %v, elsewhere %v", len(session),
			b.cookie(app1+"/logout", idTokenCookie) != "", b.cookie(app1+"/private", idTokenCookie) != "")
	}
	if status, _, body := b.get(app2 + "/private"); status != 200 || body != "oidc:alice [admins ops] oidc" {
		t.Fatalf("the session at the second process: %d %q", status, body)
	}
	status, loc := b.logout(app2)
	tokens := p.IDTokens()
	if status != http.StatusSeeOther || endSessionQuery(t, p, loc).Get("id_token_hint") != tokens[len(tokens)-1] {
		t.Fatalf("logout at the second process: %d %q", status, loc)
	}
	checkRevoked(t, app1, session)
}
