package auth

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestCompileRoutesErrors(t *testing.T) {
	tests := []struct {
		pattern string
		reason  string // substring of the error
	}{
		{"", "empty pattern"},
		{"user", `must start with "/"`},
		{"<id>/x", "host prefixes"},
		{"GET /user", "method prefixes"},
		{"POST example.com/x", "method prefixes"},
		{"example.com/user", "host prefixes"},
		{"/a<b>", "whole segment"},
		{"/x{id}y", "whole segment"},
		{"/{id}x", "whole segment"},
		{"/<a><b>", "whole segment"},
		{"/{{id}}", "whole segment"},
		{"/a<b", "unbalanced"},
		{"/a>b", "unbalanced"},
		{"/{id", "unbalanced"},
		{"/id}", "unbalanced"},
		{"/<id}", "unbalanced"},
		{"/<", "unbalanced"},
		{"/{", "unbalanced"},
		{"/{a}/{a}", `duplicate wildcard name "a"`},
		{"/<a>/<int:a>", `duplicate wildcard name "a"`},
		{"/<a>/{a...}", `duplicate wildcard name "a"`},
		{"/{}", "empty wildcard name"},
		{"/<>", "empty wildcard name"},
		{"/<int:>", "empty wildcard name"},
		{"/{...}", "empty wildcard name"},
		{"/<float:x>", `unknown converter "float" (supported: int, path, string)`},
		{"/<uuid:x>", `unknown converter "uuid"`},
		{"/<:x>", `unknown converter ""`},
		{"/<any(a,b):x>", "unknown converter"},
		{"/<1x>", "not an identifier"},
		{"/{a-b}", "not an identifier"},
		{"/{a b}", "not an identifier"},
		{"/<int:id:x>", "not an identifier"},
		{"/{$x}", "not an identifier"},
		{"/.", `"." segment`},
		{"/a/./b", `"." segment`},
		{"/..", `".." segment`},
		{"/a/../b", `".." segment`},
		{"//", "empty segment"},
		{"//a", "empty segment"},
		{"/a//b", "empty segment"},
		{"/a/b//", "empty segment"},
		{"/a\x00b", "control character"},
		{"/a\nb", "control character"},
		{"/a\tb", "control character"},
		{"/a\x7f", "control character"},
		{"GET\t/x", "control character"},
		{"/a\\b", "backslash"},
		{"/caf%C3%A9", "percent-escapes"},
		{"/a%2fb", "percent-escapes"},
		{"/<path:p>/x", "must be the last segment"},
		{"/{p...}/x", "must be the last segment"},
		{"/{$}/x", "must be the last segment"},
		{"/{p...}/", "must be the last segment"},
	}
	for _, tt := range tests {
		_, err := compileRoutes([]string{"/ok", tt.pattern})
		if err == nil {
			t.Errorf("compileRoutes(%q) succeeded, want error containing %q", tt.pattern, tt.reason)
			continue
		}
		if !errors.Is(err, ErrBadPattern) {
			t.Errorf("compileRoutes(%q) error %v does not wrap ErrBadPattern", tt.pattern, err)
		}
		if msg := err.Error(); !strings.Contains(msg, tt.reason) || !strings.Contains(msg, strconv.Quote(tt.pattern)) {
			t.Errorf("compileRoutes(%q) error %q, want the quoted pattern and %q", tt.pattern, msg, tt.reason)
		}
	}
}

func TestCompileRoutesValid(t *testing.T) {
	for _, p := range []string{
		"/", "/a", "/a/", "/a/b/c", "/{$}", "/a/{$}", "/<id>", "/<string:name>",
		"/<int:n>/x", "/<path:p>", "/{id}", "/{r...}", "/a/{r...}", "/user/<id>/{post}",
		"/<_x1>", "/{ümlaut}", "/café", "/a b", "/a;b=c", "/...", "/.x", "/a:b", "/a+b",
		"/<int:year>/{month}/<path:rest>",
	} {
		s, err := compileRoutes([]string{p})
		if err != nil {
			t.Errorf("compileRoutes(%q): %v", p, err)
			continue
		}
		if got := s.patterns(); !slices.Equal(got, []string{p}) {
			t.Errorf("patterns() = %q, want [%q]", got, p)
		}
	}
	s, err := compileRoutes(nil)
	if err != nil || s.match("/", "", routeFolding{}) {
		t.Errorf("compileRoutes(nil) = %v, %v; want an empty set", s, err)
	}
}

// routeCase is one match expectation; raw is the escaped path, or "".
type routeCase struct {
	path, raw string
	want      bool
}

func checkRoutes(t *testing.T, patterns []string, f routeFolding, cases []routeCase) {
	t.Helper()
	s, err := compileRoutes(patterns)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if got := s.match(c.path, c.raw, f); got != c.want {
			t.Errorf("patterns %q, folding %+v: match(%q, %q) = %v, want %v",
				patterns, f, c.path, c.raw, got, c.want)
		}
	}
}

func TestRouteMatchLiterals(t *testing.T) {
	checkRoutes(t, []string{"/", "/healthz", "/static/", "/posts/{$}", "/café", "/a;b"}, routeFolding{}, []routeCase{
		{"/", "", true},
		{"/healthz", "", true},
		{"/healthz/", "", false}, // trailing slash is significant
		{"/Healthz", "", false},  // case-sensitive
		{"/healthz2", "", false},
		{"/static/", "", true},
		{"/static", "", false},
		{"/static/app.js", "", false}, // no implicit subtree
		{"/posts/", "", true},
		{"/posts", "", false},
		{"/posts/1", "", false},
		{"/café", "/caf%C3%A9", true},
		{"/a;b", "", true},
		{"/a", "", false},
	})
}

func TestRouteMatchFlask(t *testing.T) {
	checkRoutes(t, []string{
		"/user/<user_id>/public", "/n/<int:id>", "/s/<string:name>/x", "/files/<path:rest>",
	}, routeFolding{}, []routeCase{
		{"/user/42/public", "", true},
		{"/user/alice/public", "", true},
		{"/user/42/private", "", false},
		{"/user//public", "", false},
		{"/user/public", "", false},
		{"/user/a/b/public", "", false},
		{"/user/1/public/", "", false},
		{"/user/1/public;jsessionid=x", "", false},
		{"/user/1;x/public", "", true}, // ';' is an ordinary byte of the segment
		{"/n/0", "", true},
		{"/n/12345678901234567890", "", true},
		{"/n/abc", "", false},
		{"/n/-1", "", false},
		{"/n/+1", "", false},
		{"/n/1.5", "", false},
		{"/n/1a", "", false},
		{"/n/", "", false},
		{"/n", "", false},
		{"/n/1/", "", false},
		{"/s/bob/x", "", true},
		{"/s//x", "", false},
		{"/files/a", "", true},
		{"/files/a/b/c.txt", "", true},
		{"/files/a/", "", true},
		{"/files/", "", false}, // <path> needs at least one character
		{"/files", "", false},
	})
}

func TestRouteMatchServeMux(t *testing.T) {
	checkRoutes(t, []string{"/user/{id}/public", "/files/{rest...}", "/posts/{$}", "/{$}", "/a/{x}/{$}"}, routeFolding{}, []routeCase{
		{"/user/42/public", "", true},
		{"/user/42/private", "", false},
		{"/user//public", "", false},
		{"/files/", "", true}, // {rest...} may be empty
		{"/files/a", "", true},
		{"/files/a/b/", "", true},
		{"/files", "", false},
		{"/filesx", "", false},
		{"/posts/", "", true},
		{"/posts", "", false},
		{"/posts/x", "", false},
		{"/", "", true},
		{"/a/b/", "", true},
		{"/a/b", "", false},
		{"/a//", "", false},
	})
}

func TestRouteMatchMixed(t *testing.T) {
	checkRoutes(t, []string{"/<int:year>/{slug}", "/docs/{v}/<path:page>"}, routeFolding{}, []routeCase{
		{"/2024/hello", "", true},
		{"/x/hello", "", false},
		{"/docs/v1/intro", "", true},
		{"/docs/v1/", "", false},
	})
}

// TestRouteMatchConfusion tries paths that routers or proxies may interpret
// differently from the matcher; none may be public.
func TestRouteMatchConfusion(t *testing.T) {
	patterns := []string{"/public/{rest...}", "/user/<id>/public", "/"}
	checkRoutes(t, patterns, routeFolding{}, []routeCase{
		{"/public/x", "", true}, // control: the patterns do match
		{"/public/x", "/public/x", true},
		{"/public/caf\u00e9", "/public/caf%c3%a9", true},
		{"/user/1/public", "", true},
		{"/public/../admin", "", false},
		{"/public/..", "", false},
		{"/public/./x", "", false},
		{"/public/.", "", false},
		{"/./public/x", "", false},
		{"//public/x", "", false},
		{"/public//x", "", false},
		{"/public/x//", "", false},
		{"/PUBLIC/x", "", false},
		{"public/x", "", false},
		{"", "", false},
		{"/public/../admin", "/public/%2e%2e/admin", false},
		{"/public/x/admin", "/public/x%2fadmin", false},
		{"/public/x/admin", "/public/x%2Fadmin", false},
		{"/public/x\\admin", "/public/x%5cadmin", false},
		{"/public/x\\admin", "/public/x%5Cadmin", false},
		{"/public/.x", "/public/%2Ex", false},
		{"/public/x\x00", "/public/x%00", false},
		{"/public/x\x00", "", false},
		{"/public/x\x1f", "", false},
		{"/public/x\x7f", "", false},
		{"/public/x\n", "", false},
		{"/public/../admin", "/public/..%2fadmin", false},
		{"/public/..\\admin", "", false},
		{"/public/x\\y", "", false},
		{"/public/%2e%2e/admin", "/public/%252e%252e/admin", false}, // double encoding
		{"/public/%2fadmin", "", false},
		{"/public/\xc0\xae\xc0\xae/admin", "/public/%c0%ae%c0%ae/admin", false}, // overlong "."
		{"/user/1/public/", "", false},
		{"/user/1/public;jsessionid=x", "", false},
		{"/user/a/b/public", "", false},
		{"/user/1/public", "/user/1/../../public", false}, // raw disagreeing with path
	})
}

func TestRouteMatchFolding(t *testing.T) {
	patterns := []string{"/Health", "/static/", "/user/{id}/Public", "/files/{rest...}", "/doc/<path:p>", "/p/{$}", "/k"}
	ci := routeFolding{caseInsensitive: true}
	checkRoutes(t, patterns, ci, []routeCase{
		{"/health", "", true},
		{"/HEALTH", "", true},
		{"/Health", "", true},
		{"/health/", "", false},
		{"/STATIC/", "", true},
		{"/user/X/public", "", true},
		{"/USER/x/PUBLIC", "", true},
		{"/FILES/", "", true},
		{"/P/", "", true},
		{"/K", "", true},
		{"/\u212a", "", false},                             // Kelvin sign folds to k only in Unicode
		{"/" + strings.Repeat("A", 300), "", false},        // too long for the stack buffer
		{"/PUBLIC/../health", "", false},                   // still clean-checked
		{"/user/X/publi\u017f", "", false},                 // long s
		{"/HEALTH", "/HEALTH%2f", false},                   // raw still checked
		{"/Static/" + strings.Repeat("x", 300), "", false}, // no subtree
	})
	long := "/" + strings.Repeat("Ab", 200)
	checkRoutes(t, []string{long}, ci, []routeCase{
		{strings.ToUpper(long), "", true},
		{strings.ToLower(long), "", true},
		{strings.ToLower(long) + "x", "", false},
	})
	checkRoutes(t, []string{long + "/"}, routeFolding{caseInsensitive: true, ignoreTrailingSlash: true}, []routeCase{
		{strings.ToUpper(long), "", true},
		{strings.ToUpper(long) + "/", "", true},
	})

	ts := routeFolding{ignoreTrailingSlash: true}
	checkRoutes(t, patterns, ts, []routeCase{
		{"/Health", "", true},
		{"/Health/", "", true},
		{"/Health//", "", false}, // empty segment: unclean
		{"/health", "", false},   // still case-sensitive
		{"/static", "", true},
		{"/static/", "", true},
		{"/static/x", "", false},
		{"/user/1/Public/", "", true},
		{"/user/1/Public", "", true},
		{"/files", "", true},
		{"/files/", "", true},
		{"/files/a/", "", true},
		{"/doc/a/", "", true},
		{"/doc/", "", false},
		{"/p", "", true},
		{"/p/", "", true},
	})
	checkRoutes(t, []string{"/"}, ts, []routeCase{
		{"/", "", true},
		{"//", "", false},
	})

	both := routeFolding{caseInsensitive: true, ignoreTrailingSlash: true}
	checkRoutes(t, patterns, both, []routeCase{
		{"/HEALTH/", "", true},
		{"/Static", "", true},
		{"/USER/1/PUBLIC/", "", true},
		{"/HEALTH//", "", false},
	})
}

func TestRouteSetWith(t *testing.T) {
	var zero routeSet
	if zero.match("/", "", routeFolding{}) || zero.patterns() != nil {
		t.Fatal("the zero routeSet is not empty")
	}
	a, err := zero.with("/a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := a.with("/b/{x}", "/c")
	if err != nil {
		t.Fatal(err)
	}
	if got := a.patterns(); !slices.Equal(got, []string{"/a"}) {
		t.Errorf("a.patterns() = %q after with", got)
	}
	if got := b.patterns(); !slices.Equal(got, []string{"/a", "/b/{x}", "/c"}) {
		t.Errorf("b.patterns() = %q", got)
	}
	if !a.match("/a", "", routeFolding{}) || a.match("/b/1", "", routeFolding{}) || a.match("/c", "", routeFolding{}) {
		t.Error("a changed after with")
	}
	for _, p := range []string{"/a", "/b/1", "/c"} {
		if !b.match(p, "", routeFolding{}) {
			t.Errorf("b does not match %q", p)
		}
	}
	if _, err := b.with("/ok", "/bad<"); !errors.Is(err, ErrBadPattern) {
		t.Errorf("with a bad pattern: err = %v", err)
	}
	if !b.match("/c", "", routeFolding{}) {
		t.Error("b changed after a failed with")
	}

	// The set owns its patterns: neither the input nor patterns()'s result
	// aliases them.
	in := []string{"/x"}
	s, _ := compileRoutes(in)
	in[0] = "/y"
	s.patterns()[0] = "/z"
	if got := s.patterns(); got[0] != "/x" || !s.match("/x", "", routeFolding{}) {
		t.Errorf("patterns() = %q after mutating input and output", got)
	}
}

func TestRouteMatchAllocs(t *testing.T) {
	s := benchRouteSet(t)
	for _, f := range []routeFolding{{}, {caseInsensitive: true}, {true, true}} {
		for _, p := range []string{"/healthz", "/HEALTHZ/", "/api/v1/users/42/avatar", "/assets/js/app.js", "/nope/nope"} {
			if n := testing.AllocsPerRun(100, func() { s.match(p, p, f) }); n != 0 {
				t.Errorf("match(%q, %+v) allocates %v times", p, f, n)
			}
		}
	}
}

func benchRouteSet(tb testing.TB) routeSet {
	s, err := compileRoutes([]string{
		"/", "/healthz", "/readyz", "/metrics", "/favicon.ico", "/robots.txt",
		"/login", "/logout", "/signup", "/docs/", "/about",
		"/static/{path...}", "/assets/<path:file>", "/user/<user_id>/public",
		"/api/v1/users/<int:id>/avatar", "/api/v1/posts/{slug}", "/blog/{year}/{slug}",
		"/share/{token}/view", "/posts/{$}", "/img/<int:w>/<int:h>/{name}",
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func BenchmarkRouteMatch(b *testing.B) {
	s := benchRouteSet(b)
	cases := []struct {
		name, path string
		f          routeFolding
	}{
		{"literal", "/metrics", routeFolding{}},
		{"wildcard", "/img/640/480/cat.png", routeFolding{}},
		{"miss", "/admin/users/42/delete", routeFolding{}},
		{"literal-fold", "/METRICS/", routeFolding{true, true}},
		{"wildcard-fold", "/IMG/640/480/cat.png", routeFolding{true, true}},
		{"miss-fold", "/Admin/Users/42/delete", routeFolding{true, true}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.match(c.path, "", c.f)
			}
		})
	}
}
