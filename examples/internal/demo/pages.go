package demo

import (
	"bytes"
	"embed"
	"html/template"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authwire/authwire/auth"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pages are the demo's page templates: dashboard.html, section.html and
// sessions.html, with the parts they share in layout.html.
var pages = template.Must(template.ParseFS(templateFiles, "templates/*.html"))

// PageHeaders returns the response headers of the demo's own pages, which
// carry a CSRF token and a user's data: never cached, never framed, and
// scripts, styles and connections from this origin only (the dashboard's
// inline script and style, client.js and the callbacks socket). Forms
// post to this origin only (form-action 'self'), unless OpenID providers
// are configured: Chromium applies form-action to every redirect that
// follows a form's post, and the logout form's answer sends the browser
// through the provider's pages (its end-session endpoint, its logout
// app), on origins the demo cannot know.
func (c Config) PageHeaders() [][2]string {
	formAction := "form-action 'self'; "
	if c.oidc {
		formAction = ""
	}
	return [][2]string{
		{"Cache-Control", "no-store"},
		{"X-Frame-Options", "DENY"},
		{"Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
			"img-src 'self' data:; connect-src 'self'; " + formAction + "frame-ancestors 'none'; base-uri 'none'"},
		{"X-Content-Type-Options", "nosniff"},
		{"Referrer-Policy", "same-origin"},
	}
}

// page is what the page templates show.
type page struct {
	User, Initial, Provider, CSRF string
	Groups, Sections              []string
	Admin                         bool
	Expires                       string // RFC 3339, or empty
	Tabs                          []tab
	Section                       section // on a section's page
}

// tab is one entry of the pages' tab bar: the dashboard, then a section.
type tab struct {
	ID, Label, Href string // ID is the section, "" for the dashboard
	Active, Allowed bool
}

// newPage is the page for id, with the tab of the section active ("": the
// dashboard's; a name that is no section's, such as "sessions": none);
// csrf is the logout token.
func newPage(id *auth.Identity, csrf, active string) page {
	p := page{
		User: id.User, Initial: initial(id.User), Provider: id.Provider, CSRF: csrf,
		Groups: id.Groups, Sections: id.Sections, Admin: id.InGroup("admin"), Expires: expires(id.ExpiresAt),
		Tabs: []tab{{Label: "Overview", Href: "/", Active: active == "", Allowed: true}},
	}
	for _, s := range sections() {
		p.Tabs = append(p.Tabs, tab{ID: s.ID, Label: s.Label, Href: "/" + s.ID, Active: s.ID == active, Allowed: id.InSection(s.ID)})
		if s.ID == active {
			p.Section = s
		}
	}
	return p
}

// render executes the named template for p, a page or a view that
// embeds one.
func render(name string, p any) []byte {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, p); err != nil {
		return []byte(name + ": " + template.HTMLEscapeString(err.Error()))
	}
	return b.Bytes()
}

// Dashboard renders the home page for id; csrf is the logout token.
func Dashboard(id *auth.Identity, csrf string) []byte {
	return render("dashboard.html", newPage(id, csrf, ""))
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

// WhoAmI is the body of GET /api/whoami: the caller's user, groups,
// sections and provider.
func WhoAmI(id *auth.Identity) Caller {
	c := Caller{User: id.User, Groups: id.Groups, Sections: id.Sections, Provider: id.Provider}
	if c.Groups == nil {
		c.Groups = []string{}
	}
	if c.Sections == nil {
		c.Sections = []string{}
	}
	return c
}

// Caller is the body of /api/whoami: who the caller is. Its fields are in
// the order of their names, as a map's would be, and are never null.
type Caller struct {
	Groups   []string `json:"groups"`
	Provider string   `json:"provider"`
	Sections []string `json:"sections"`
	User     string   `json:"user"`
}
