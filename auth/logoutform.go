package auth

import (
	"context"
	"html/template"
)

// LogoutForm returns the HTML of a form that logs out the session in ctx:
// a POST to the logout path (LoginConfig.LogoutPath, default /logout)
// carrying the session's CSRF token ([Auth.CSRFToken]), with one "Log
// out" button. It is "" when ctx carries no session. Put it in an
// html/template page as it is, {{.Logout}}, or style it through its class,
// authwire-logout:
//
//	<form method="post" action="/logout" class="authwire-logout">
//	<input type="hidden" name="csrf_token" value="…">
//	<button type="submit">Log out</button></form>
func (a *Auth) LogoutForm(ctx context.Context) template.HTML {
	token := a.CSRFToken(ctx)
	if token == "" || a.flow == nil {
		return ""
	}
	return template.HTML(`<form method="post" action="` + template.HTMLEscapeString(a.flow.logoutPath) +
		`" class="authwire-logout"><input type="hidden" name="csrf_token" value="` +
		template.HTMLEscapeString(token) + `"><button type="submit">Log out</button></form>`)
}
