package backendtest

import (
	"context"
	"net/http"
	"testing"

	"github.com/authwire/authwire/auth"
)

// checkUserSessions starts an application with sessions and checks what
// the session index records through the backend's exchange, which reads
// the client's address and User-Agent in its own way on each framework:
// two browser logins of one user are listed, each with the client's
// loopback address and the User-Agent it sent; RevokeSession ends one of
// them and RevokeUser the other, and their cookies get 401.
func checkUserSessions(t *testing.T, h Harness) {
	jsonAccept := [2]string{"Accept", "application/json"}
	s, base := startWith(t, h, auth.WithSessions(auth.SessionConfig{Keys: sessionKeys()}))
	login := func(agent string) string {
		t.Helper()
		res, body := roundTrip(t, base, "GET", "/", "", [2]string{"Authorization", "Basic " + b64(AdminUser+":"+AdminPassword)},
			browserFetch, jsonAccept, [2]string{"User-Agent", agent})
		for _, c := range res.Cookies() {
			if c.Name == auth.DefaultSessionCookie && c.Value != "" {
				return auth.DefaultSessionCookie + "=" + c.Value
			}
		}
		t.Fatalf("a browser's Basic login set no session cookie: %d %s", res.StatusCode, body)
		return ""
	}
	first, second := login("browser-one/1.0"), login("browser-two/2.0")
	ctx := context.Background()
	list, err := s.auth.Sessions(ctx, AdminUser)
	if err != nil || len(list) != 2 {
		t.Fatalf("Sessions: %+v, %v; want the two logins", list, err)
	}
	agents := map[string]string{}
	for _, info := range list {
		if info.Client != "127.0.0.1" || info.Provider != "basic" {
			t.Errorf("a session's record: client %q provider %q, want 127.0.0.1 and basic", info.Client, info.Provider)
		}
		agents[info.UserAgent] = info.Handle
	}
	if agents["browser-one/1.0"] == "" || agents["browser-two/2.0"] == "" {
		t.Fatalf("the records' user agents: %v", agents)
	}
	status := func(cookie string) int {
		res, _ := roundTrip(t, base, "GET", "/", "", [2]string{"Cookie", cookie}, jsonAccept)
		return res.StatusCode
	}
	if err := s.auth.RevokeSession(ctx, AdminUser, agents["browser-one/1.0"]); err != nil {
		t.Fatal(err)
	}
	if got, other := status(first), status(second); got != http.StatusUnauthorized || other != http.StatusOK {
		t.Fatalf("after RevokeSession of the first: %d and %d, want 401 and 200", got, other)
	}
	if err := s.auth.RevokeUser(ctx, AdminUser); err != nil {
		t.Fatal(err)
	}
	if got := status(second); got != http.StatusUnauthorized {
		t.Fatalf("after RevokeUser: %d, want 401", got)
	}
}
