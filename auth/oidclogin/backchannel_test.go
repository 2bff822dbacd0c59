package oidclogin_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/auth/redisstore"
	"github.com/authwire/authwire/internal/oidctest"
	"github.com/authwire/authwire/internal/servetest"
)

// posted is the endpoint's answer to a post.
type posted struct {
	status int
	header http.Header
	body   string
}

// post sends body to u as the provider does, with headers after the
// content type.
func post(t *testing.T, method, u, contentType, body string, hdr ...string) posted {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return posted{res.StatusCode, res.Header, string(raw)}
}

// sendLogout posts a logout token to the application's default
// back-channel logout endpoint.
func sendLogout(t *testing.T, app, token string, hdr ...string) posted {
	t.Helper()
	return post(t, "POST", app+"/oidc/backchannel-logout", "application/x-www-form-urlencoded",
		url.Values{"logout_token": {token}}.Encode(), hdr...)
}

// wantOK checks a successful back-channel logout: 200, no-store.
func wantOK(t *testing.T, got posted) {
	t.Helper()
	if got.status != http.StatusOK || got.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("back-channel logout: %d %q, Cache-Control %q", got.status, got.body, got.header.Get("Cache-Control"))
	}
}

// wantRefused checks a refusal: the status, no-store, and the JSON error
// the specification suggests.
func wantRefused(t *testing.T, got posted, status int) {
	t.Helper()
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if got.status != status || got.header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") ||
		json.Unmarshal([]byte(got.body), &e) != nil || e.Error == "" || e.Description == "" {
		t.Fatalf("got %d %q (Cache-Control %q, Content-Type %q), want %d with a JSON error", got.status, got.body,
			got.header.Get("Cache-Control"), got.header.Get("Content-Type"), status)
	}
}

// TestBackchannelLogout checks the back-channel logout of one provider
// session: it ends the sessions of that sid, here and on their open
// WebSockets (4401), answers 200 with no-store, leaves the other sessions
// alone, and refuses the same token again.
func TestBackchannelLogout(t *testing.T) {
	p := oidctest.New(t)
	app := serveSockets(t, p, nil)
	first, second := newBrowser(t), newBrowser(t)
	first.login(app.URL + "/oidc/login")
	second.login(app.URL + "/oidc/login")
	sids := p.SessionIDs()
	if len(sids) != 2 || sids[0] == "" || sids[0] == sids[1] {
		t.Fatalf("the provider's sessions: %q", sids)
	}
	socket := dialSocket(t, first, app.URL)
	other := dialSocket(t, second, app.URL)
	token := p.LogoutToken(func(c map[string]any) { c["sid"] = sids[0] }, false)

	wantOK(t, sendLogout(t, app.URL, token))
	if code := closeStatus(t, socket); code != 4401 {
		t.Fatalf("the logged-out session's socket closed with %d, want 4401", code)
	}
	if loggedIn(t, first, app.URL) || !loggedIn(t, second, app.URL) {
		t.Fatalf("after the back-channel logout of the first: first logged in %v, second %v",
			loggedIn(t, first, app.URL), loggedIn(t, second, app.URL))
	}
	wantRefused(t, sendLogout(t, app.URL, token), http.StatusBadRequest)

	// The other session goes on, and so does its socket.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := other.Write(ctx, websocket.MessageText, []byte("still")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := other.Read(ctx); err != nil || string(msg) != "still" {
		t.Fatalf("the other session's socket: %q %v", msg, err)
	}
}

// TestBackchannelLogoutRefusals posts tokens and requests the endpoint
// must refuse: each gets its error, and the session it names stays.
func TestBackchannelLogoutRefusals(t *testing.T) {
	p := oidctest.New(t)
	app := serveSockets(t, p, nil)
	b := newBrowser(t)
	b.login(app.URL + "/oidc/login")
	now := time.Now()
	for _, tc := range []struct {
		name    string
		edit    func(c map[string]any)
		foreign bool
	}{
		{"wrong audience", func(c map[string]any) { c["aud"] = "another-client" }, false},
		{"wrong issuer", func(c map[string]any) { c["iss"] = "https://idp.example" }, false},
		{"signed with another key", nil, true},
		{"with a nonce", func(c map[string]any) { c["nonce"] = "n" }, false},
		{"without events", func(c map[string]any) { delete(c, "events") }, false},
		{"events without the logout event", func(c map[string]any) { c["events"] = map[string]any{"urn:other": map[string]any{}} }, false},
		{"the logout event not an object", func(c map[string]any) { c["events"] = map[string]any{oidctest.BackchannelLogoutEvent: "yes"} }, false},
		{"the logout event null", func(c map[string]any) { c["events"] = map[string]any{oidctest.BackchannelLogoutEvent: nil} }, false},
		{"events not an object", func(c map[string]any) { c["events"] = []string{oidctest.BackchannelLogoutEvent} }, false},
		{"expired", func(c map[string]any) { c["exp"] = now.Add(-10 * time.Minute).Unix() }, false},
		{"without iat", func(c map[string]any) { delete(c, "iat") }, false},
		{"issued long ago", func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(-10*time.Minute).Unix(), now.Add(time.Hour).Unix()
		}, false},
		{"issued in the future", func(c map[string]any) { c["iat"] = now.Add(10 * time.Minute).Unix() }, false},
		{"without jti", func(c map[string]any) { delete(c, "jti") }, false},
		{"an empty jti", func(c map[string]any) { c["jti"] = "" }, false},
		{"a jti too long", func(c map[string]any) { c["jti"] = strings.Repeat("j", 257) }, false},
		{"a jti that is no string", func(c map[string]any) { c["jti"] = 7 }, false},
		{"neither sub nor sid", func(c map[string]any) { delete(c, "sub"); delete(c, "sid") }, false},
		{"a sid that is no string", func(c map[string]any) { c["sid"] = 12 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantRefused(t, sendLogout(t, app.URL, p.LogoutToken(tc.edit, tc.foreign)), http.StatusBadRequest)
			if !loggedIn(t, b, app.URL) {
				t.Fatal("a refused token ended the session")
			}
		})
	}
	good := p.LogoutToken(nil, false)
	parts := strings.Split(good, ".")
	payload, _ := json.Marshal(map[string]any{"iss": p.URL, "aud": p.ClientID, "iat": now.Unix(), "jti": "x",
		"events": map[string]any{oidctest.BackchannelLogoutEvent: map[string]any{}}, "sid": p.SessionIDs()[0]})
	endpoint := app.URL + "/oidc/backchannel-logout"
	form := "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name                      string
		method, contentType, body string
		status                    int
	}{
		{"the ID token itself", "POST", form, "logout_token=" + p.IDTokens()[0], http.StatusBadRequest},
		{"another payload under the signature", "POST", form,
			"logout_token=" + parts[0] + "." + base64URL(payload) + "." + parts[2], http.StatusBadRequest},
		{"no signature", "POST", form, "logout_token=" + parts[0] + "." + parts[1] + ".", http.StatusBadRequest},
		{"not a JWT", "POST", form, "logout_token=hello", http.StatusBadRequest},
		{"no logout_token", "POST", form, "token=" + good, http.StatusBadRequest},
		{"an empty logout_token", "POST", form, "logout_token=", http.StatusBadRequest},
		{"two logout_tokens", "POST", form, "logout_token=" + good + "&logout_token=" + good, http.StatusBadRequest},
		{"a malformed form", "POST", form, "logout_token=%zz", http.StatusBadRequest},
		{"JSON", "POST", "application/json", `{"logout_token":"` + good + `"}`, http.StatusUnsupportedMediaType},
		{"no content type", "POST", "", "logout_token=" + good, http.StatusUnsupportedMediaType},
		{"a body too large", "POST", form, "logout_token=" + good + "&pad=" + strings.Repeat("a", 20<<10), http.StatusRequestEntityTooLarge},
		{"GET", "GET", "", "", http.StatusMethodNotAllowed},
		{"PUT", "PUT", form, "logout_token=" + good, http.StatusMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := post(t, tc.method, endpoint, tc.contentType, tc.body)
			wantRefused(t, got, tc.status)
			if tc.status == http.StatusMethodNotAllowed && got.header.Get("Allow") != "POST" {
				t.Fatalf("Allow %q", got.header.Get("Allow"))
			}
			if !loggedIn(t, b, app.URL) {
				t.Fatal("a refused request ended the session")
			}
		})
	}
	// The good token was not used up by the requests that carried it
	// wrongly; with a charset in the content type it is taken.
	wantOK(t, post(t, "POST", endpoint, form+"; charset=utf-8", "logout_token="+good))
	if loggedIn(t, b, app.URL) {
		t.Fatal("the session outlived its back-channel logout")
	}
}

// base64URL encodes b as a JWT part.
func base64URL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// TestBackchannelLogoutBySubject checks logout tokens that name only the
// subject: with a provider that names no sessions (no sid in its ID
// tokens) they end the subject's sessions and no one else's; with users
// named by sub (UserClaim "sub"), every session of the user ends.
func TestBackchannelLogoutBySubject(t *testing.T) {
	t.Run("no sid in the ID tokens", func(t *testing.T) {
		p := oidctest.New(t)
		p.Forge(func(c map[string]any) { delete(c, "sid") }, false, "")
		app := serveSockets(t, p, nil)
		first, second := newBrowser(t), newBrowser(t)
		first.login(app.URL + "/oidc/login")
		second.login(app.URL + "/oidc/login")
		if sids := p.SessionIDs(); len(sids) != 2 || sids[0] != "" {
			t.Fatalf("the ID tokens' sids: %q", sids)
		}
		socket := dialSocket(t, first, app.URL)
		wantOK(t, sendLogout(t, app.URL, p.LogoutToken(func(c map[string]any) { c["sub"] = "u-2" }, false)))
		if !loggedIn(t, first, app.URL) || !loggedIn(t, second, app.URL) {
			t.Fatal("another subject's logout ended alice's sessions")
		}
		wantOK(t, sendLogout(t, app.URL, p.LogoutToken(nil, false)))
		if loggedIn(t, first, app.URL) || loggedIn(t, second, app.URL) {
			t.Fatal("the subject's logout left a session")
		}
		if code := closeStatus(t, socket); code != 4401 {
			t.Fatalf("the socket closed with %d, want 4401", code)
		}
	})
	t.Run("users named by sub", func(t *testing.T) {
		p := oidctest.New(t)
		app := serveSockets(t, p, func(c *oidclogin.Config) { c.UserClaim = "sub" })
		first, second := newBrowser(t), newBrowser(t)
		first.login(app.URL + "/oidc/login")
		second.login(app.URL + "/oidc/login")
		if status, _, body := first.get(app.URL + "/private"); status != 200 || body != "oidc:u-1" {
			t.Fatalf("logged in as %d %q", status, body)
		}
		socket := dialSocket(t, second, app.URL)
		wantOK(t, sendLogout(t, app.URL, p.LogoutToken(func(c map[string]any) { c["sub"] = "u-2"; delete(c, "sid") }, false)))
		if !loggedIn(t, first, app.URL) {
			t.Fatal("another subject's logout ended u-1's session")
		}
		wantOK(t, sendLogout(t, app.URL, p.LogoutToken(func(c map[string]any) { delete(c, "sid") }, false)))
		if loggedIn(t, first, app.URL) || loggedIn(t, second, app.URL) {
			t.Fatal("the subject's logout left a session")
		}
		if code := closeStatus(t, socket); code != 4401 {
			t.Fatalf("the socket closed with %d, want 4401", code)
		}
	})
}

// TestBackchannelLogoutCrossOrigin checks that the endpoint, and only it,
// is outside the cross-origin check that guards logout: a post that
// says it comes from another site is taken there and refused at /logout.
func TestBackchannelLogoutCrossOrigin(t *testing.T) {
	p := oidctest.New(t)
	app := serveSockets(t, p, nil)
	b := newBrowser(t)
	b.login(app.URL + "/oidc/login")
	foreign := []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}
	if got := post(t, "POST", app.URL+"/logout", "application/x-www-form-urlencoded", "", foreign...); got.status != http.StatusForbidden {
		t.Fatalf("a cross-site post to /logout: %d", got.status)
	}
	token := url.Values{"logout_token": {p.LogoutToken(nil, false)}}.Encode()
	for _, near := range []string{"/oidc/backchannel-logout/", "/oidc/backchannel-logout/x", "/OIDC/backchannel-logout"} {
		if got := post(t, "POST", app.URL+near, "application/x-www-form-urlencoded", token, foreign...); got.status != http.StatusUnauthorized {
			t.Fatalf("POST %s: %d %q, want the guard's 401", near, got.status, got.body)
		}
	}
	if !loggedIn(t, b, app.URL) {
		t.Fatal("a post near the endpoint ended the session")
	}
	wantOK(t, sendLogout(t, app.URL, p.LogoutToken(nil, false), foreign...))
	if loggedIn(t, b, app.URL) {
		t.Fatal("the cross-site back-channel logout did not end the session")
	}
}

// TestBackchannelLogoutPaths checks the endpoint's path: beside the
// callback by default, configurable, and never one another path takes.
func TestBackchannelLogoutPaths(t *testing.T) {
	p := oidctest.New(t)
	for _, tc := range []struct {
		name     string
		callback string
		path     string // BackchannelLogoutPath
		want     string
	}{
		{"beside the callback", "/sso/corp/cb", "", "/sso/corp/backchannel-logout"},
		{"at the root", "/callback", "", "/backchannel-logout"},
		{"configured", "/oidc/callback", "/hooks/idp-logout", "/hooks/idp-logout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := serveSockets(t, p, func(c *oidclogin.Config) {
				c.RedirectURL = strings.TrimSuffix(c.RedirectURL, "/oidc/callback") + tc.callback
				c.BackchannelLogoutPath = tc.path
			})
			got := post(t, "POST", app.URL+tc.want, "application/x-www-form-urlencoded", "logout_token=x")
			wantRefused(t, got, http.StatusBadRequest)
		})
	}
	good := config(p, "http://127.0.0.1:1")
	for _, tc := range []struct {
		name string
		opts []auth.Option
	}{
		{"the login path", []auth.Option{withConfig(good, func(c *oidclogin.Config) { c.BackchannelLogoutPath = "/oidc/login" })}},
		{"the callback", []auth.Option{withConfig(good, func(c *oidclogin.Config) { c.BackchannelLogoutPath = "/oidc/callback" })}},
		{"the logout path", []auth.Option{withConfig(good, func(c *oidclogin.Config) { c.BackchannelLogoutPath = "/logout" })}},
		{"a relative path", []auth.Option{withConfig(good, func(c *oidclogin.Config) { c.BackchannelLogoutPath = "hooks/logout" })}},
		{"another provider's", []auth.Option{withConfig(good, nil), withConfig(good, func(c *oidclogin.Config) {
			c.Name, c.RedirectURL = "corp", "http://127.0.0.1:1/oidc/corp-callback"
		})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auth.New(http.NewServeMux(), append([]auth.Option{auth.WithSessions(auth.SessionConfig{Keys: testKeys()})}, tc.opts...)...)
			if !errors.Is(err, auth.ErrInvalidConfig) {
				t.Fatalf("New: %v, want ErrInvalidConfig", err)
			}
		})
	}
}

// withConfig is WithLoginMethod of a provider configured as cfg after
// tweak.
func withConfig(cfg oidclogin.Config, tweak func(*oidclogin.Config)) auth.Option {
	if tweak != nil {
		tweak(&cfg)
	}
	return auth.WithLoginMethod(oidclogin.New(cfg))
}

// failingRevocations is a revocation list that fails while fail is set,
// as a shared store that is away does.
type failingRevocations struct {
	*auth.MemoryRevocations
	fail atomic.Bool
}

func (f *failingRevocations) Revoke(ctx context.Context, id string, until time.Time) error {
	if f.fail.Load() {
		return errors.New("the store is away")
	}
	return f.MemoryRevocations.Revoke(ctx, id, until)
}

// TestBackchannelLogoutRetry checks a logout that fails here: 503, so
// that the provider sends it again, and the token is not used up, so
// that it is taken when it comes again.
func TestBackchannelLogoutRetry(t *testing.T) {
	p := oidctest.New(t)
	revs := &failingRevocations{MemoryRevocations: auth.NewMemoryRevocations(time.Now)}
	app := serveSocketsWith(t, p, nil, auth.SessionConfig{Keys: testKeys(), InsecureCookies: true, Revocations: revs})
	b := newBrowser(t)
	b.login(app.URL + "/oidc/login")
	token := p.LogoutToken(nil, false)
	revs.fail.Store(true)
	wantRefused(t, sendLogout(t, app.URL, token), http.StatusServiceUnavailable)
	revs.fail.Store(false)
	if !loggedIn(t, b, app.URL) {
		t.Fatal("the session ended although its revocation failed")
	}
	wantOK(t, sendLogout(t, app.URL, token))
	if loggedIn(t, b, app.URL) {
		t.Fatal("the session outlived the logout sent again")
	}
}

// TestBackchannelLogoutSharedReplayCache runs two processes that share a
// ReplayCache in Redis: a token taken by one is refused by the other, and
// the session it names there stays.
func TestBackchannelLogoutSharedReplayCache(t *testing.T) {
	srv := servetest.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	p := oidctest.New(t)
	replays := redisstore.New(rdb, redisstore.Config{}).OIDCReplays()
	shared := func(c *oidclogin.Config) { c.ReplayCache = replays }
	app1, app2 := serveSockets(t, p, shared), serveSockets(t, p, shared)
	b := newBrowser(t)
	b.login(app2.URL + "/oidc/login")
	token := p.LogoutToken(nil, false) // for the session at app2
	wantOK(t, sendLogout(t, app1.URL, token))
	wantRefused(t, sendLogout(t, app2.URL, token), http.StatusBadRequest)
	if !loggedIn(t, b, app2.URL) {
		t.Fatal("the token replayed to the second process ended its session")
	}
	wantOK(t, sendLogout(t, app2.URL, p.LogoutToken(nil, false)))
	if loggedIn(t, b, app2.URL) {
		t.Fatal("a fresh token did not end the session")
	}
}

// TestBackchannelLogoutWithRedis runs two processes that keep sessions,
// revocations and the session index in a real redis-server: a logout
// token posted to the first ends a session started at the second, whose
// socket there closes with 4401 (the second applies the first's
// revocations).
func TestBackchannelLogoutWithRedis(t *testing.T) {
	srv := servetest.Redis(t)
	p := oidctest.New(t)
	keys := testKeys()
	process := func() *socketApp {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
		t.Cleanup(func() { rdb.Close() })
		store := redisstore.New(rdb, redisstore.Config{})
		app := serveSocketsWith(t, p, nil, auth.SessionConfig{Keys: keys, Store: store, Revocations: store, InsecureCookies: true})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			store.ApplyRevocations(ctx, app.Auth)
		}()
		t.Cleanup(func() { cancel(); <-done })
		return app
	}
	app1, app2 := process(), process()
	b := newBrowser(t)
	b.login(app2.URL + "/oidc/login")
	socket := dialSocket(t, b, app2.URL)
	wantOK(t, sendLogout(t, app1.URL, p.LogoutToken(nil, false)))
	if code := closeStatus(t, socket); code != 4401 {
		t.Fatalf("the socket at the second process closed with %d, want 4401", code)
	}
	if loggedIn(t, b, app2.URL) || loggedIn(t, b, app1.URL) {
		t.Fatal("the session outlived its back-channel logout at the other process")
	}
}
