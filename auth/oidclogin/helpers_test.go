package oidclogin_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/internal/oidctest"
)

// testKeys returns a fresh random key pair for SessionConfig.Keys.
func testKeys() [][]byte {
	h, b := auth.GenerateKeyPair()
	return [][]byte{h, b}
}

// app is a test application: a guarded mux served on loopback.
type app struct {
	URL  string
	Auth *auth.Auth
}

// serve starts an application with the options opts(baseURL) gives, a
// /private route answering "user groups provider" and /whoami answering
// the same with the groups quoted.
func serve(t *testing.T, opts func(base string) []auth.Option) *app {
	t.Helper()
	var h atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	mux := http.NewServeMux()
	a, err := auth.New(mux, append([]auth.Option{auth.WithLogger(slog.New(slog.DiscardHandler))}, opts(srv.URL)...)...)
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/private", func(w http.ResponseWriter, r *http.Request) {
		id := auth.FromContext(r.Context())
		fmt.Fprintf(w, "%s %v %s", id.User, id.Groups, id.Provider)
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		id := auth.FromContext(r.Context())
		fmt.Fprintf(w, "%s %q %s", id.User, id.Groups, id.Provider)
	})
	mux.HandleFunc("GET /csrf", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, a.CSRFToken(r.Context()))
	})
	mux.Handle("/hr", a.Require(auth.InSection("hr"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hr page %q", auth.FromContext(r.Context()).Sections)
	})))
	mux.Handle("/admin", a.Require(auth.OneOf("admin"))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("admin page"))
	})))
	h.Store(a.Handler())
	return &app{URL: srv.URL, Auth: a}
}

// config is the provider configuration for p with the callback on base.
func config(p *oidctest.Provider, base string) oidclogin.Config {
	return oidclogin.Config{Issuer: p.URL, ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: base + "/oidc/callback"}
}

// oidcApp serves an application with sessions that logs in with p, with
// tweak applied to the provider's configuration and extra options after.
func oidcApp(t *testing.T, p *oidctest.Provider, tweak func(*oidclogin.Config), extra ...auth.Option) string {
	t.Helper()
	return serve(t, func(base string) []auth.Option {
		cfg := config(p, base)
		if tweak != nil {
			tweak(&cfg)
		}
		return append([]auth.Option{
			auth.WithSessions(auth.SessionConfig{Keys: testKeys(), InsecureCookies: true}),
			auth.WithLoginMethod(oidclogin.New(cfg)),
		}, extra...)
	}).URL
}

// browser is a client with cookies that shows every redirect.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get navigates to u and returns the status, the Location made absolute
// and the body.
func (b *browser) get(u string) (int, string, string) {
	b.t.Helper()
	res := b.do("GET", u, nil, "Accept", "text/html")
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, absolute(u, res.Header.Get("Location")), string(body)
}

// do sends a request with the browser's cookies and the given headers;
// the caller closes the body.
func (b *browser) do(method, u string, body io.Reader, hdr ...string) *http.Response {
	b.t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return res
}

// ask sends a GET with the browser's cookies and extra headers.
func (b *browser) ask(u string, hdr ...string) *http.Response {
	b.t.Helper()
	res := b.do("GET", u, nil, hdr...)
	res.Body.Close()
	return res
}

// cookie returns the value of the browser's cookie name for u's path.
func (b *browser) cookie(u, name string) string {
	pu, _ := url.Parse(u)
	for _, c := range b.c.Jar.Cookies(pu) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// absolute makes loc, relative to the page u, absolute.
func absolute(u, loc string) string {
	if loc != "" && strings.HasPrefix(loc, "/") {
		base, _ := url.Parse(u)
		return base.Scheme + "://" + base.Host + loc
	}
	return loc
}

// toCallback runs a login from start up to the provider's redirect back,
// and returns the callback URL.
func (b *browser) toCallback(start string) string {
	b.t.Helper()
	status, toIdP, _ := b.get(start)
	if status != http.StatusSeeOther || !strings.Contains(toIdP, "/authorize?") {
		b.t.Fatalf("login start: %d %q", status, toIdP)
	}
	u, _ := url.Parse(toIdP)
	if q := u.Query(); q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") == "" {
		b.t.Fatalf("the authorization request lacks PKCE, nonce or state: %s", toIdP)
	}
	status, back, _ := b.get(toIdP)
	if status != http.StatusFound || !strings.Contains(back, "/callback?") {
		b.t.Fatalf("provider: %d %q", status, back)
	}
	return back
}

// login runs a whole login from start and fails the test unless the
// callback answers 303.
func (b *browser) login(start string) {
	b.t.Helper()
	if status, loc, body := b.get(b.toCallback(start)); status != http.StatusSeeOther {
		b.t.Fatalf("callback: %d %q %s", status, loc, body)
	}
}

// logout posts the logout form, with the session's CSRF token, to app,
// and returns the status and the Location.
func (b *browser) logout(app string) (int, string) {
	b.t.Helper()
	res := b.do("GET", app+"/csrf", nil)
	token, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res = b.do("POST", app+"/logout", strings.NewReader(url.Values{"csrf_token": {string(token)}}.Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "Accept", "text/html")
	res.Body.Close()
	return res.StatusCode, absolute(app, res.Header.Get("Location"))
}

// basic is an Authorization header value.
func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}
