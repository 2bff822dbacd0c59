package backendtest

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Run runs the whole suite against the application h starts. It starts
// one application and sends every case to it, each as a subtest.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Start == nil {
		t.Fatal("backendtest: Harness.Start is nil")
	}
	cases := ConfusionCases()
	for name := range h.Expect {
		if !slices.ContainsFunc(cases, func(c ConfusionCase) bool { return c.Name == name }) {
			t.Fatalf("backendtest: Harness.Expect names no case %q", name)
		}
	}
	s := &Setup{t: t, opts: append(Options(), h.Options...)}
	base := h.Start(t, s)
	if s.auth == nil {
		t.Fatal("backendtest: Harness.Start did not call Setup.Install")
	}
	c := newClient(t, base)
	t.Run("basic", func(t *testing.T) {
		for _, tc := range basicCases() {
			t.Run(tc.name, func(t *testing.T) { check(t, c, tc) })
		}
	})
	routing := s.auth.Backend().Routing()
	t.Run("confusion", func(t *testing.T) {
		for _, cc := range cases {
			want := cc.Want(routing)
			if st, ok := h.Expect[cc.Name]; ok {
				want = st
			}
			t.Run(cc.Name, func(t *testing.T) { checkConfusion(t, c, cc, want) })
		}
	})
	t.Run("section crossing", func(t *testing.T) {
		for _, target := range SectionCrossingTargets() {
			t.Run(target, func(t *testing.T) { checkSectionCrossing(t, c, target) })
		}
	})
	t.Run("concurrent identities", func(t *testing.T) { checkConcurrent(t, base) })
	t.Run("sessions", func(t *testing.T) { checkSessions(t, h) })
	t.Run("user sessions", func(t *testing.T) { checkUserSessions(t, h) })
	t.Run("login form", func(t *testing.T) { checkLoginForm(t, h) })
	t.Run("cross origin", func(t *testing.T) { checkCrossOrigin(t, h) })
	t.Run("forward auth", func(t *testing.T) { checkForwardAuth(t, h) })
	t.Run("oidc", func(t *testing.T) { checkOIDC(t, h) })
	t.Run("oidc providers", func(t *testing.T) { checkOIDCProviders(t, h) })
	t.Run("oidc back-channel logout", func(t *testing.T) { checkOIDCBackchannel(t, h) })
	t.Run("bug classes", func(t *testing.T) { checkBugClasses(t, h) })
}

// want is what a basic case expects.
type want struct {
	status    int      // exact status
	statuses  []int    // or one of these
	marker    string   // the body holds this route marker
	echo      []string // and these echo lines ("user=admin")
	challenge bool     // the Basic challenge with Vary: Authorization
	code      string   // the JSON error code the guard answered with
	html      bool     // an HTML error page instead of JSON
	noBody    bool     // an empty body (HEAD)
}

type basicCase struct {
	name string
	rq   request
	want want
}

const (
	rootMarker    = "protected:/"
	publicMarker  = "public:/public/{rest...}"
	userPubMarker = "public:/user/{id}/public"
	privMarker    = "protected:/user/{id}/private"
	adminMarker   = "protected:/admin"
	mktMarker     = "protected:/marketing/{page}"
	hrMarker      = "protected:/hr/{page}"
)

func authHeader(v string) [][2]string { return [][2]string{{"Authorization", v}} }

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func basicCases() []basicCase {
	admin := []string{"user=admin", "groups=admin", "sections=_all_", "idiom=admin"}
	viewer := []string{"user=viewer", "groups=viewer", "sections=marketing", "idiom=viewer"}
	anon := []string{"user=", "groups=", "sections=", "idiom="}
	unauth := want{status: 401, challenge: true, code: "unauthenticated"}
	return []basicCase{
		{"public anonymous", request{target: "/public/x"}, want{status: 200, marker: publicMarker, echo: append([]string{"path=/public/x"}, anon...)}},
		{"public ignores a bad header", request{target: "/public/x", header: authHeader("Basic !!")}, want{status: 200, marker: publicMarker}},
		{"public user route", request{target: "/user/7/public"}, want{status: 200, marker: userPubMarker, echo: []string{"path=/user/7/public"}}},
		{"private user route anonymous", request{target: "/user/7/private"}, unauth},
		{"private user route viewer", request{target: "/user/7/private", user: ViewerUser, pass: ViewerPassword}, want{status: 200, marker: privMarker, echo: append([]string{"path=/user/7/private"}, viewer...)}},
		{"root anonymous", request{target: "/"}, unauth},
		{"root admin", request{target: "/", user: AdminUser, pass: AdminPassword}, want{status: 200, marker: rootMarker, echo: append([]string{"path=/"}, admin...)}},
		{"root viewer", request{target: "/", user: ViewerUser, pass: ViewerPassword}, want{status: 200, marker: rootMarker, echo: viewer}},
		{"wrong password", request{target: "/", user: AdminUser, pass: "nope"}, unauth},
		{"unknown user", request{target: "/", user: "mallory", pass: AdminPassword}, unauth},
		{"empty user", request{target: "/", user: "", pass: AdminPassword}, unauth},
		{"lower-case scheme", request{target: "/", header: authHeader("basic " + b64("admin:admin"))}, want{status: 200, marker: rootMarker, echo: admin}},
		{"spaces after scheme", request{target: "/", header: authHeader("Basic   " + b64("admin:admin"))}, want{status: 200, marker: rootMarker, echo: admin}},
		{"bearer is not basic", request{target: "/", header: authHeader("Bearer abc")}, unauth},
		{"malformed base64", request{target: "/", header: authHeader("Basic !!!")}, want{status: 400, code: "bad_request"}},
		{"no colon", request{target: "/", header: authHeader("Basic " + b64("admin"))}, want{status: 400, code: "bad_request"}},
		{"control character", request{target: "/", header: authHeader("Basic " + b64("admin:ad\x01min"))}, want{status: 400, code: "bad_request"}},
		{"invalid UTF-8", request{target: "/", header: authHeader("Basic " + b64("admin:\xff"))}, want{status: 400, code: "bad_request"}},
		{"oversize header", request{target: "/", header: authHeader("Basic " + strings.Repeat("A", MaxHeaderBytes+500))}, want{status: 431, code: "too_large"}},
		{"huge header", request{target: "/", header: authHeader("Basic " + strings.Repeat("A", 64<<10))}, want{statuses: []int{400, 431}}},
		{"duplicate Authorization", request{target: "/", header: [][2]string{{"Authorization", basic(AdminUser, AdminPassword)}, {"Authorization", basic(ViewerUser, ViewerPassword)}}}, want{status: 400, code: "bad_request"}},
		{"admin route admin", request{target: "/admin", user: AdminUser, pass: AdminPassword}, want{status: 200, marker: adminMarker, echo: append([]string{"path=/admin"}, admin...)}},
		{"admin route viewer", request{target: "/admin", user: ViewerUser, pass: ViewerPassword}, want{status: 403, code: "forbidden"}},
		{"admin route anonymous", request{target: "/admin"}, unauth},
		{"own section", request{target: "/marketing/q3", user: ViewerUser, pass: ViewerPassword}, want{status: 200, marker: mktMarker, echo: append([]string{"path=/marketing/q3"}, viewer...)}},
		{"other section", request{target: "/hr/pay", user: ViewerUser, pass: ViewerPassword}, want{status: 403, code: "forbidden"}},
		{"all sections", request{target: "/hr/pay", user: AdminUser, pass: AdminPassword}, want{status: 200, marker: hrMarker, echo: append([]string{"path=/hr/pay"}, admin...)}},
		{"all sections, marketing", request{target: "/marketing/q3", user: AdminUser, pass: AdminPassword}, want{status: 200, marker: mktMarker}},
		{"section anonymous", request{target: "/marketing/q3"}, unauth},
		{"HEAD other section", request{method: "HEAD", target: "/hr/pay", user: ViewerUser, pass: ViewerPassword}, want{status: 403, noBody: true}},
		{"unknown path anonymous", request{target: "/no/such/page"}, unauth},
		{"unknown path admin", request{target: "/no/such/page", user: AdminUser, pass: AdminPassword}, want{status: 404}},
		{"POST root anonymous", request{method: "POST", target: "/"}, unauth},
		{"HEAD root anonymous", request{method: "HEAD", target: "/"}, want{status: 401, challenge: true, noBody: true}},
		{"HEAD root admin", request{method: "HEAD", target: "/", user: AdminUser, pass: AdminPassword}, want{status: 200, noBody: true}},
		{"HEAD public", request{method: "HEAD", target: "/public/x"}, want{status: 200, noBody: true}},
		{"OPTIONS root anonymous", request{method: "OPTIONS", target: "/"}, unauth},
		{"OPTIONS public", request{method: "OPTIONS", target: "/public/x"}, want{status: 200, marker: publicMarker}},
		{"browser gets HTML", request{target: "/", header: [][2]string{{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}}}, want{status: 401, challenge: true, html: true}},
		{"XHR gets JSON", request{target: "/", header: [][2]string{{"Accept", "text/html"}, {"X-Requested-With", "XMLHttpRequest"}}}, unauth},
	}
}

// check sends one basic case and checks the answer.
func check(t *testing.T, c *client, tc basicCase) {
	t.Helper()
	res, err := c.send(tc.rq)
	if err != nil {
		t.Fatalf("%s %s: %v", tc.rq.method, tc.rq.target, err)
	}
	w := tc.want
	anonymous := tc.rq.user == "" && tc.rq.pass == "" && len(tc.rq.header) == 0
	invariants(t, res, anonymous)
	switch {
	case w.statuses != nil:
		if !slices.Contains(w.statuses, res.status) {
			t.Fatalf("status %d, want one of %v; body %q", res.status, w.statuses, res.body)
		}
	case res.status != w.status:
		t.Fatalf("status %d, want %d; body %q", res.status, w.status, res.body)
	}
	if w.marker != "" && firstLine(res.body) != w.marker {
		t.Fatalf("the handler that ran is %q, want %q", firstLine(res.body), w.marker)
	}
	for _, line := range w.echo {
		if !slices.Contains(strings.Split(res.body, "\n"), line) {
			t.Fatalf("the echo lacks %q:\n%s", line, res.body)
		}
	}
	if w.noBody && res.body != "" {
		t.Fatalf("HEAD answered with a body: %q", res.body)
	}
	checkChallenge(t, res, w.challenge)
	if w.code != "" || w.html || w.challenge {
		checkRefusal(t, res, w)
	}
}

// invariants hold for every response: no server error, and no protected
// handler ran for an anonymous caller.
func invariants(t *testing.T, res response, anonymous bool) {
	t.Helper()
	if res.status >= 500 {
		t.Fatalf("status %d: a request must never cause a server error; body %q", res.status, res.body)
	}
	if anonymous && strings.Contains(res.body, "protected:") {
		t.Fatalf("an anonymous caller got a protected handler's response (status %d):\n%s", res.status, res.body)
	}
	if res.status == 200 && !strings.HasPrefix(res.body, "public:") && !strings.HasPrefix(res.body, "protected:") && res.body != "" {
		t.Fatalf("status 200 from no known handler: %q", res.body)
	}
}

// checkChallenge checks the Basic challenge, or its absence.
func checkChallenge(t *testing.T, res response, want bool) {
	t.Helper()
	const challenge = `Basic realm="` + Realm + `", charset="UTF-8"`
	got := res.header.Values("WWW-Authenticate")
	if !want {
		if len(got) > 0 {
			t.Fatalf("unexpected WWW-Authenticate %q", got)
		}
		return
	}
	if len(got) != 1 || got[0] != challenge {
		t.Fatalf("WWW-Authenticate = %q, want exactly %q", got, challenge)
	}
	if !headerHasToken(res.header, "Vary", "Authorization") {
		t.Fatalf("Vary = %q, want it to name Authorization", res.header.Values("Vary"))
	}
}

// checkRefusal checks an answer the guard or a rule wrote itself.
func checkRefusal(t *testing.T, res response, w want) {
	t.Helper()
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control = %q, want no-store", cc)
	}
	if nosniff := res.header.Get("X-Content-Type-Options"); nosniff != "nosniff" {
		t.Fatalf("X-Content-Type-Options = %q, want nosniff", nosniff)
	}
	ct := res.header.Get("Content-Type")
	if w.noBody {
		return
	}
	if w.html {
		if !strings.HasPrefix(ct, "text/html") || !strings.Contains(res.body, "<h1>"+http.StatusText(res.status)+"</h1>") {
			t.Fatalf("want an HTML error page, got %q: %q", ct, res.body)
		}
		return
	}
	if ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	if w.code != "" && !strings.Contains(res.body, `"code":"`+w.code+`"`) {
		t.Fatalf("body %q lacks the code %q", res.body, w.code)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// headerHasToken reports whether a comma-separated header names token.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), token) {
				return true
			}
		}
	}
	return false
}
