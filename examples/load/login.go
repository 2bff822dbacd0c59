package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/authwire/authwire/auth"
)

// csrfField finds the login form's CSRF token.
var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// formLogin logs in through the demo's login form as a browser does: GET
// /login (which sets the cookie the form's token is bound to), then POST
// the form with the token. The session cookie lands in j.
func formLogin(ctx context.Context, hc *http.Client, base string, j *jar, user, pass string) error {
	c := *hc
	c.Jar = j.j
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/login", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/html")
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("login form: %w", err)
	}
	page, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	if err != nil {
		return fmt.Errorf("login form: %w", err)
	}
	m := csrfField.FindSubmatch(page)
	if res.StatusCode != 200 || m == nil {
		return fmt.Errorf("GET %s/login: %s, and no login form with a CSRF token in it (is the demo in AUTH_MODE=basic?)", base, res.Status)
	}
	form := url.Values{"username": {user}, "password": {pass}, "csrf_token": {html.UnescapeString(string(m[1]))}, "next": {"/"}}
	req, err = http.NewRequestWithContext(ctx, "POST", base+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	res, err = c.Do(req)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode/100 != 3 || !j.has(auth.DefaultSessionCookie) {
		return fmt.Errorf("POST %s/login as %s: %s, and no %s cookie (wrong user or password?)", base, user, res.Status, auth.DefaultSessionCookie)
	}
	return nil
}
