package auth

import "net/url"

// sectionQueryAllowed applies the forward-auth endpoint's ?section=name,
// which a proxy puts in the subrequest of a location that belongs to a
// section (nginx: auth_request /auth/verify?section=hr): the caller must
// hold that section ([Identity.InSection]). Without the parameter it
// allows. It forbids when the parameter is given more than once or names
// no possible section (a list such as "a,b" is none), and when the
// original path a trusted proxy reports is not clean (an escaped slash
// or dot, a dot segment, a double slash, a backslash): the proxy chose
// the location by its reading of the path, and the application behind it
// may read the same path as a page of another section.
func sectionQueryAllowed(q url.Values, id *Identity, o originalRequest) bool {
	v, ok := q["section"]
	if !ok {
		return true
	}
	return len(v) == 1 && !o.raw && InSection(v[0]).Check(id) == DecisionAllow
}
