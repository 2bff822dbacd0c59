package demo

import (
	"bytes"
	_ "embed"
	"html/template"

	"github.com/authwire/authwire/auth"
)

//go:embed templates/dashboard.html
var dashboardHTML string

var dashboard = template.Must(template.New("dashboard").Parse(dashboardHTML))

// Dashboard renders the home page for id; csrf is the logout token.
func Dashboard(id *auth.Identity, csrf string) []byte {
	var b bytes.Buffer
	err := dashboard.Execute(&b, struct {
		User, Provider, CSRF string
		Groups               []string
		Admin                bool
	}{id.User, id.Provider, csrf, id.Groups, id.InGroup("admin")})
	if err != nil {
		return []byte("dashboard: " + template.HTMLEscapeString(err.Error()))
	}
	return b.Bytes()
}

// WhoAmI is the body of GET /api/whoami.
func WhoAmI(id *auth.Identity) map[string]any {
	groups := id.Groups
	if groups == nil {
		groups = []string{}
	}
	return map[string]any{"user": id.User, "groups": groups, "provider": id.Provider}
}
