package auth

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

var allRouteFoldings = []routeFolding{{}, {caseInsensitive: true}, {ignoreTrailingSlash: true}, {true, true}}

// FuzzCompileRoute checks that compiling any pattern neither panics nor
// fails without ErrBadPattern, and that matching a compiled pattern's own
// text does not panic. A pattern without wildcards that compiles and is
// valid UTF-8 must match itself under every folding.
func FuzzCompileRoute(f *testing.F) {
	for _, p := range []string{
		"/", "/a/b/", "/user/<id>/public", "/<int:n>", "/<path:p>", "/{x}/{r...}",
		"/posts/{$}", "/a<b>", "/{a}/{a}", "/<float:x>", "GET /x", "//", "/a/../b",
		"/a\x00", "/\xff", "/{$}", "/<", "/{...}",
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		s, err := compileRoutes([]string{pattern})
		if err != nil {
			if !errors.Is(err, ErrBadPattern) {
				t.Fatalf("compileRoutes(%q) error %v does not wrap ErrBadPattern", pattern, err)
			}
			return
		}
		literal := !strings.ContainsAny(pattern, "<>{}") && utf8.ValidString(pattern)
		for _, fo := range allRouteFoldings {
			got := s.match(pattern, "", fo)
			s.match(pattern, pattern, fo)
			if literal && !got {
				t.Errorf("literal pattern %q does not match itself with %+v", pattern, fo)
			}
		}
	})
}

// FuzzRouteMatch checks, against a fixed set of patterns, that matching
// never panics, that no unclean path or raw path is ever public, and that
// folding only ever widens the match.
func FuzzRouteMatch(f *testing.F) {
	s, err := compileRoutes([]string{
		"/", "/healthz", "/static/", "/posts/{$}", "/public/{rest...}", "/user/<id>/public",
		"/n/<int:id>", "/files/<path:p>", "/a/{x}/{$}", "/Mixed/{Case}",
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range [][2]string{
		{"/public/x", ""},
		{"/public/../admin", "/public/%2e%2e/admin"},
		{"/public/x/admin", "/public/x%2Fadmin"},
		{"/public//x", ""},
		{"/PUBLIC/x/", ""},
		{"/user/1/public;jsessionid=x", ""},
		{"/public/x\x00", "/public/x%00"},
		{"/public/..\\admin", "/public/..%5cadmin"},
		{"/files/a/", ""},
		{"/n/007", ""},
		{"/mixed/x/", ""},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, path, raw string) {
		exact := s.match(path, raw, routeFolding{})
		for _, fo := range allRouteFoldings {
			ok := s.match(path, raw, fo)
			if exact && !ok {
				t.Errorf("match(%q, %q) is true exactly but false with %+v", path, raw, fo)
			}
			if !ok {
				continue
			}
			if why := uncleanRoutePath(path); why != "" {
				t.Errorf("match(%q, %q, %+v) = true, but path %s", path, raw, fo, why)
			}
			if why := uncleanRoutePath(raw); raw != "" && why != "" {
				t.Errorf("match(%q, %q, %+v) = true, but raw path %s", path, raw, fo, why)
			}
			if l := strings.ToLower(raw); strings.Contains(l, "%2f") || strings.Contains(l, "%2e") ||
				strings.Contains(l, "%5c") || strings.Contains(l, "%00") {
				t.Errorf("match(%q, %q, %+v) = true, but raw path has an encoded separator", path, raw, fo)
			}
		}
	})
}

// uncleanRoutePath is an independent, slower statement of the paths that
// must never be public; it returns why p is unclean, or "".
func uncleanRoutePath(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "does not start with /"
	}
	segs := strings.Split(p[1:], "/")
	for i, seg := range segs {
		switch {
		case seg == "." || seg == "..":
			return "has a dot segment"
		case seg == "" && i < len(segs)-1:
			return "has an empty segment"
		}
	}
	if strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "has a control character or backslash"
	}
	return ""
}
