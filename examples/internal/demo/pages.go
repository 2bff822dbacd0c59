package demo

import (
	"bytes"
	_ "embed"
	"html/template"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authwire/authwire/auth"
)

//go:embed templates/dashboard.html
var dashboardHTML string

var dashboard = template.Must(template.New("dashboard").Parse(dashboardHTML))

// PageHeaders returns the response headers of the demo's own pages, which
// carry a CSRF token and a user's data: never cached, never framed, and
// scripts, styles and connections from this origin only (the dashboard's
// inline script and style, client.js and the callbacks socket).
func PageHeaders() [][2]string {
	return [][2]string{
		{"Cache-Control", "no-store"},
		{"X-Frame-Options", "DENY"},
		{"Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
			"img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
		{"X-Content-Type-Options", "nosniff"},
		{"Referrer-Policy", "same-origin"},
	}
}

// Dashboard renders the home page for id; csrf is the logout token.
func Dashboard(id *auth.Identity, csrf string) []byte {
	var b bytes.Buffer
	err := dashboard.Execute(&b, struct {
		User, Initial, Provider, CSRF string
		Groups                        []string
		Admin                         bool
		Expires                       string // RFC 3339, or empty
	}{id.User, initial(id.User), id.Provider, csrf, id.Groups, id.InGroup("admin"), expires(id.ExpiresAt)})
	if err != nil {
		return []byte("dashboard: " + template.HTMLEscapeString(err.Error()))
	}
	return b.Bytes()
}

// initial is the first letter of user, upper case, for the avatar.
func initial(user string) string {
	r, _ := utf8.DecodeRuneInString(user)
	if r == utf8.RuneError {
		return "?"
	}
	return strings.ToUpper(string(r))
}

// expires formats the end of a session for the page, which shows it in
// the browser's time zone; a zero time (no fixed end) is empty.
func expires(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// WhoAmI is the body of GET /api/whoami.
func WhoAmI(id *auth.Identity) map[string]any {
	groups := id.Groups
	if groups == nil {
		groups = []string{}
	}
	return map[string]any{"user": id.User, "groups": groups, "provider": id.Provider}
}
