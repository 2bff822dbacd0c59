package adapter

import (
	"fmt"
	"strings"
)

// Pattern is a route pattern in net/http's ServeMux syntax ("GET
// /ws/{room}", "/_callbacks/"), split so that an adapter can spell it in
// its framework's syntax.
type Pattern struct {
	// Method is the pattern's method, or "" for every method.
	Method string
	// Segments are the path's segments after its leading "/".
	Segments []Segment
	// Subtree is true when the path ends in "/": it matches every path
	// below it.
	Subtree bool
}

// Segment is one segment of a [Pattern]'s path: a literal, or a wildcard
// named Param that matches one segment or, with Rest, the rest of the path.
type Segment struct {
	Literal string
	Param   string
	Rest    bool
}

// ParsePattern splits a ServeMux pattern. It accepts what ws and
// callbacks mount: an optional method, a path of literal segments and
// {name} wildcards, ending in a {name...} wildcard or a "/"; it refuses
// hosts, {$} and anything a router would read differently.
func ParsePattern(pattern string) (Pattern, error) {
	var p Pattern
	path := pattern
	if m, rest, ok := strings.Cut(pattern, " "); ok {
		p.Method, path = m, strings.TrimLeft(rest, " ")
	}
	if !strings.HasPrefix(path, "/") {
		return p, fmt.Errorf("pattern %q: the path must start with /", pattern)
	}
	body := path[1:]
	if strings.HasSuffix(body, "/") || body == "" {
		p.Subtree, body = true, strings.TrimSuffix(body, "/")
	}
	if body == "" {
		return p, nil
	}
	parts := strings.Split(body, "/")
	for i, s := range parts {
		switch {
		case s == "":
			return p, fmt.Errorf("pattern %q: empty segment", pattern)
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			name, rest := strings.CutSuffix(s[1:len(s)-1], "...")
			if name == "" || strings.ContainsAny(name, "{}$:*/") {
				return p, fmt.Errorf("pattern %q: bad wildcard %s", pattern, s)
			}
			if rest && (i != len(parts)-1 || p.Subtree) {
				return p, fmt.Errorf("pattern %q: %s must end the path", pattern, s)
			}
			p.Segments = append(p.Segments, Segment{Param: name, Rest: rest})
		case strings.ContainsAny(s, "{}:*<>"):
			return p, fmt.Errorf("pattern %q: segment %q is neither a literal nor a {wildcard}", pattern, s)
		default:
			p.Segments = append(p.Segments, Segment{Literal: s})
		}
	}
	return p, nil
}

// Path spells the pattern's path for another router: param spells a
// wildcard, and subtree is appended after the final "/" of a subtree
// pattern ("*" for Fiber, "*path" for Gin).
func (p Pattern) Path(param func(name string, rest bool) string, subtree string) string {
	var b strings.Builder
	for _, s := range p.Segments {
		b.WriteByte('/')
		if s.Param != "" {
			b.WriteString(param(s.Param, s.Rest))
		} else {
			b.WriteString(s.Literal)
		}
	}
	if p.Subtree {
		b.WriteByte('/')
		b.WriteString(subtree)
	}
	return b.String()
}

// Spell parses a ServeMux pattern and spells its path for another router
// (see [Pattern.Path]), returning the pattern's method too. It panics on a
// pattern ParsePattern refuses, as the routers themselves do on a bad
// route: a Router's Handle has no error to return, and a bad pattern is a
// programming error found at start-up. pkg prefixes the panic's message.
func Spell(pkg, pattern string, param func(name string, rest bool) string, subtree string) (method, path string) {
	p, err := ParsePattern(pattern)
	if err != nil {
		panic(pkg + ": " + err.Error())
	}
	return p.Method, p.Path(param, subtree)
}
