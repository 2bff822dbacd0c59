package adapter

import (
	"fmt"
	"strings"
)

// RouteOverlaps reports whether a route registered at path could serve a
// request whose path starts with prefix, judged conservatively: the
// route's literal start (up to its first ':', '*' or '+' wildcard) lies
// under prefix, or prefix lies under it and the route matches longer paths
// (it has a wildcard, or matchesBelow says it serves a whole subtree, as a
// Fiber middleware does). With foldCase, ASCII case is ignored.
func RouteOverlaps(path, prefix string, foldCase, matchesBelow bool) bool {
	if prefix == "" || prefix == "/" {
		return true
	}
	lit, wide := path, matchesBelow
	if i := strings.IndexAny(path, ":*+"); i >= 0 {
		lit, wide = path[:i], true
	}
	if foldCase {
		lit, prefix = strings.ToLower(lit), strings.ToLower(prefix)
	}
	return strings.HasPrefix(lit, prefix) || wide && strings.HasPrefix(prefix, lit)
}

// ListRoutes names up to three routes for an error message.
func ListRoutes(rs []string) string {
	const max = 3
	if len(rs) <= max {
		return strings.Join(rs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(rs[:max], ", "), len(rs)-max)
}
