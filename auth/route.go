package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrBadPattern is wrapped by every error about a public-route pattern that
// cannot be compiled. The message names the offending pattern and the reason.
var ErrBadPattern = errors.New("auth: bad route pattern")

// Public-route patterns
//
// A pattern is a path whose segments are literals or wildcards, in either of
// two syntaxes, mixed freely:
//
//   - Flask: <name> or <string:name> matches one non-empty segment;
//     <int:name> matches one or more ASCII digits (no sign); <path:name>
//     matches the rest of the path, at least one character, slashes
//     included, and must be the last segment.
//   - Go 1.22 ServeMux: {name} matches one non-empty segment; {name...}
//     matches the rest of the path, possibly empty, and must be last;
//     {$} as the last segment matches only the end of a path that ends in a
//     slash ("/posts/{$}" matches exactly "/posts/").
//
// A wildcard is always a whole segment, names are identifiers and unique
// within a pattern. Literals are compared byte for byte with the decoded
// request path: they are not percent-unescaped, so a pattern may not contain
// '%' (write the decoded form), nor a backslash (no request path holding one
// is ever public). Method ("GET /x") and host ("example.com/x") prefixes are
// not supported.
//
// Matching is exact: there is no implicit subtree ("/static/" matches only
// "/static/"; write "/static/{path...}"), a trailing slash is significant and
// case matters, unless a [routeFolding] says otherwise. A wildcard segment
// matches any bytes but '/': "/user/<id>/public" does not match
// "/user/1/public;jsessionid=x" (";jsessionid=x" is part of the last literal
// segment), but <id> does match the segment "1;x".

// routeFolding relaxes matching for adapters whose router is itself relaxed
// (Fiber folds case and ignores a trailing slash by default). The folding
// must mirror the router's, never exceed it, or a public pattern could claim
// a path that the router sends to a protected handler.
type routeFolding struct {
	// caseInsensitive compares literals with ASCII case folding only: 'A'-'Z'
	// equal 'a'-'z' and every other byte must be identical. Unicode folding
	// (strings.EqualFold) is deliberately not used: it would make "/ſecret"
	// (long s) or "/\u212Aey" (Kelvin sign) equal to "/secret" or "/key",
	// which an ASCII-folding router routes elsewhere.
	caseInsensitive bool
	// ignoreTrailingSlash drops one trailing slash from the request path and
	// from patterns before comparing, so "/a" and "/a/" are the same. A path
	// ending in "//" is still unclean and never public.
	ignoreTrailingSlash bool
}

// index returns the slot of f in routeSet.lit: bit 0 is caseInsensitive,
// bit 1 ignoreTrailingSlash.
func (f routeFolding) index() (i int) {
	if f.caseInsensitive {
		i = 1
	}
	if f.ignoreTrailingSlash {
		i += 2
	}
	return i
}

// routeSet is an immutable set of compiled public-route patterns; the zero
// value matches nothing. It is safe for concurrent use.
type routeSet struct {
	src []string
	// lit holds the literal-only patterns (no wildcards, {$} resolved to a
	// trailing slash) keyed by their path, once per folding mode (see
	// routeFolding.index): lowercased and/or with a trailing slash dropped.
	lit    [4]map[string]struct{}
	routes []compiledRoute // the patterns with wildcards
}

// routeSegKind is what one pattern segment matches.
type routeSegKind uint8

const (
	routeSegLit  routeSegKind = iota // the bytes of lit; "" for a trailing slash
	routeSegOne                      // one non-empty segment
	routeSegInt                      // one segment of ASCII digits
	routeSegPath                     // the rest of the path, non-empty
	routeSegRest                     // the rest of the path, possibly empty
)

type routeSegment struct {
	kind routeSegKind
	lit  string
}

// compiledRoute is a pattern with at least one wildcard, as the segments
// that follow its leading slash.
type compiledRoute struct {
	segs []routeSegment
}

// compileRoutes compiles patterns (either syntax, mixed freely). It stops at
// the first bad pattern and returns an error wrapping [ErrBadPattern]. A
// pattern given twice is one: two declarations of one route are two parts
// of an application claiming it (two callback registries on one prefix,
// say).
func compileRoutes(patterns []string) (routeSet, error) {
	s := routeSet{src: slices.Clone(patterns)}
	for i, p := range patterns {
		if slices.Contains(patterns[:i], p) {
			return routeSet{}, fmt.Errorf("%w %q: declared twice", ErrBadPattern, p)
		}
		segs, err := compileRoute(p)
		if err != nil {
			return routeSet{}, err
		}
		if !slices.ContainsFunc(segs, func(sg routeSegment) bool { return sg.kind != routeSegLit }) {
			var b strings.Builder
			for _, sg := range segs {
				b.WriteByte('/')
				b.WriteString(sg.lit)
			}
			s.addLiteral(b.String())
			continue
		}
		s.routes = append(s.routes, compiledRoute{segs: segs})
	}
	return s, nil
}

// addLiteral records a literal-only pattern under each folding mode.
func (s *routeSet) addLiteral(key string) {
	for i := range s.lit {
		if s.lit[i] == nil {
			s.lit[i] = make(map[string]struct{})
		}
		k := key
		if i&2 != 0 {
			k = routeTrimSlash(k)
		}
		if i&1 != 0 {
			k = asciiLowerString(k)
		}
		s.lit[i][k] = struct{}{}
	}
}

// with returns a new set holding s's patterns and more; s is unchanged.
func (s routeSet) with(patterns ...string) (routeSet, error) {
	all := make([]string, 0, len(s.src)+len(patterns))
	all = append(append(all, s.src...), patterns...)
	return compileRoutes(all)
}

// patterns returns a copy of the source patterns, for logs and errors.
func (s routeSet) patterns() []string { return slices.Clone(s.src) }

// match reports whether the request path is public. path is the decoded
// path the framework routes; rawPath is the path as received (escaped), or
// "" if it had no escapes. A path is never public, whatever the patterns,
// when path or rawPath is unclean (see safeRoutePath): routers disagree
// about such paths, and a public pattern must never open a protected route.
// match does not allocate.
func (s routeSet) match(path, rawPath string, f routeFolding) bool {
	if len(s.src) == 0 {
		return false
	}
	if !safeRoutePath(path) || (rawPath != "" && !safeRoutePath(rawPath)) {
		return false
	}
	if f.ignoreTrailingSlash {
		path = routeTrimSlash(path)
	}
	if s.matchLiteral(path, f) {
		return true
	}
	for i := range s.routes {
		if s.routes[i].match(path, f) {
			return true
		}
	}
	return false
}

// matchLiteral looks path (already trimmed if f says so) up among the
// literal-only patterns.
func (s routeSet) matchLiteral(path string, f routeFolding) bool {
	m := s.lit[f.index()]
	if m == nil {
		return false
	}
	if !f.caseInsensitive {
		_, ok := m[path]
		return ok
	}
	var buf [256]byte
	if len(path) <= len(buf) {
		for i := 0; i < len(path); i++ {
			buf[i] = asciiLower(path[i])
		}
		_, ok := m[string(buf[:len(path)])] // a map index does not allocate
		return ok
	}
	for k := range m { // rare: a long path; the keys are lowercase already
		if asciiEqualFold(k, path) {
			return true
		}
	}
	return false
}

// match reports whether the clean path p (already trimmed if f says so)
// matches r. It walks p segment by segment without splitting it.
func (r *compiledRoute) match(p string, f routeFolding) bool {
	segs := r.segs
	if f.ignoreTrailingSlash && len(segs) > 1 {
		if last := segs[len(segs)-1]; last.kind == routeSegLit && last.lit == "" {
			segs = segs[:len(segs)-1]
		}
	}
	rest, more := p[1:], true // more: a segment (maybe empty) is left in rest
	for _, sg := range segs {
		switch sg.kind {
		case routeSegRest:
			// Without folding "/files/{r...}" needs the slash after "files";
			// with ignoreTrailingSlash "/files" and "/files/" are one path.
			return more || f.ignoreTrailingSlash
		case routeSegPath:
			return more && rest != ""
		}
		if !more {
			return false
		}
		var seg string
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		} else {
			seg, rest, more = rest, "", false
		}
		switch sg.kind {
		case routeSegLit:
			if seg != sg.lit && !(f.caseInsensitive && asciiEqualFold(seg, sg.lit)) {
				return false
			}
		case routeSegOne:
			if seg == "" {
				return false
			}
		case routeSegInt:
			if !routeAllDigits(seg) {
				return false
			}
		}
	}
	return !more
}

// compileRoute parses one pattern into the segments after its leading slash.
func compileRoute(pattern string) ([]routeSegment, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrBadPattern, pattern, fmt.Sprintf(format, args...))
	}
	if pattern == "" {
		return nil, bad("empty pattern")
	}
	if i := strings.IndexFunc(pattern, isCTL); i >= 0 {
		return nil, bad("control character %q at byte %d", pattern[i], i)
	}
	if pattern[0] != '/' {
		if i := strings.IndexByte(pattern, ' '); i > 0 && strings.Contains(pattern[i:], "/") {
			return nil, bad("method prefixes are not supported; give the path only")
		}
		if strings.Contains(pattern, "/") {
			return nil, bad("host prefixes are not supported; give the path only")
		}
		return nil, bad(`must start with "/"`)
	}
	if strings.Contains(pattern, `\`) {
		return nil, bad("backslash is not allowed (paths containing one are never public)")
	}
	if strings.Contains(pattern, "%") {
		return nil, bad("percent-escapes are not supported; write the decoded path")
	}
	if strings.Contains(pattern, "*") || strings.Contains(pattern, "/:") {
		return nil, bad(`"*" and ":" wildcards (Gin and Fiber syntax) are not supported; write "/static/<path:rest>" (Flask) or "/static/{rest...}" (Go) for a whole subtree, "/user/<id>" or "/user/{id}" for one segment`)
	}
	parts := strings.Split(pattern[1:], "/")
	segs := make([]routeSegment, 0, len(parts))
	names := make(map[string]bool)
	for i, part := range parts {
		last := i == len(parts)-1
		if part == "" && !last {
			return nil, bad(`empty segment ("//")`)
		}
		if part == "." || part == ".." {
			return nil, bad("%q segment", part)
		}
		sg, name, reason := parseRouteSegment(part)
		if reason != "" {
			return nil, bad("segment %q: %s", part, reason)
		}
		if name != "" {
			if names[name] {
				return nil, bad("duplicate wildcard name %q", name)
			}
			names[name] = true
		}
		if !last && (sg.kind == routeSegPath || sg.kind == routeSegRest || part == "{$}") {
			return nil, bad("%s must be the last segment", part)
		}
		segs = append(segs, sg)
	}
	return segs, nil
}

// parseRouteSegment parses one pattern segment. It returns the wildcard's
// name ("" for literals and {$}) or, for a bad segment, a reason.
func parseRouteSegment(part string) (sg routeSegment, name, reason string) {
	if !strings.ContainsAny(part, "<>{}") {
		return routeSegment{kind: routeSegLit, lit: part}, "", ""
	}
	open, end := part[0], part[len(part)-1]
	if len(part) < 2 || !(open == '<' && end == '>' || open == '{' && end == '}') ||
		strings.ContainsAny(part[1:len(part)-1], "<>{}") {
		if !routeBalanced(part) {
			return sg, "", "unbalanced brackets"
		}
		return sg, "", "a wildcard must be a whole segment, such as <name> or {name}"
	}
	inner := part[1 : len(part)-1]
	if open == '{' {
		switch {
		case inner == "$":
			return routeSegment{kind: routeSegLit}, "", ""
		case strings.HasSuffix(inner, "..."):
			sg, name = routeSegment{kind: routeSegRest}, strings.TrimSuffix(inner, "...")
		default:
			sg, name = routeSegment{kind: routeSegOne}, inner
		}
	} else {
		conv, n, found := strings.Cut(inner, ":")
		if !found {
			conv, n = "string", inner
		}
		name = n
		switch conv {
		case "string":
			sg.kind = routeSegOne
		case "int":
			sg.kind = routeSegInt
		case "path":
			sg.kind = routeSegPath
		default:
			return sg, "", fmt.Sprintf("unknown converter %q (supported: int, path, string)", conv)
		}
	}
	if name == "" {
		return sg, "", "empty wildcard name"
	}
	if !isRouteIdent(name) {
		return sg, "", fmt.Sprintf("wildcard name %q is not an identifier", name)
	}
	return sg, name, ""
}

// routeBalanced reports whether every '<' and '{' in s is closed, in
// order, by its partner.
func routeBalanced(s string) bool {
	var open []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<', '{':
			open = append(open, c)
		case '>', '}':
			if len(open) == 0 || open[len(open)-1] != c-2 { // '<' is '>'-2, '{' is '}'-2
				return false
			}
			open = open[:len(open)-1]
		}
	}
	return len(open) == 0
}

// isRouteIdent reports whether s is an identifier: a letter or '_', then
// letters, digits or '_' (Go's rule, which also covers Python's in ASCII).
func isRouteIdent(s string) bool {
	for i, c := range s {
		if !(c == '_' || unicode.IsLetter(c) || i > 0 && unicode.IsDigit(c)) {
			return false
		}
	}
	return s != ""
}

// safeRoutePath reports whether p may be public at all. It must be valid
// UTF-8 and start with '/'; it may not contain "." or ".." segments, empty
// segments (a single trailing slash is fine), control characters
// (0x00-0x1F, 0x7F), backslashes, or the escapes %2F, %5C, %2E or %00 in
// either case. The escapes are refused in the decoded path too: there they
// mean double encoding, which a proxy or handler may decode once more.
func safeRoutePath(p string) bool {
	if p == "" || p[0] != '/' || !utf8.ValidString(p) {
		return false
	}
	start := 1 // first byte of the current segment
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			switch p[start:i] {
			case ".", "..":
				return false
			case "":
				if i != len(p) {
					return false
				}
			}
			start = i + 1
			continue
		}
		c := p[i]
		if isCTL(rune(c)) || c == '\\' {
			return false
		}
		if c == '%' && i+2 < len(p) && routeBadEscape(p[i+1], p[i+2]) {
			return false
		}
	}
	return true
}

// routeBadEscape reports whether %hl encodes '/', '\\', '.' or NUL.
func routeBadEscape(h, l byte) bool {
	l = asciiLower(l)
	return h == '2' && (l == 'f' || l == 'e') || h == '5' && l == 'c' || h == '0' && l == '0'
}

// routeAllDigits reports whether s is one or more ASCII digits.
func routeAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// routeTrimSlash drops one trailing slash, except from "/".
func routeTrimSlash(p string) string {
	if len(p) > 1 && p[len(p)-1] == '/' {
		return p[:len(p)-1]
	}
	return p
}
