// Package adaptertest holds the helpers the tests of the adapters share:
// the users they configure and one-request round trips on net/http, Gin
// and Fiber. Only tests import it.
package adaptertest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/authwire/authwire/auth"
)

// Users returns the options of the adapters' tests: admin/admin in group
// admin, viewer/viewer123 in group viewer.
func Users() []auth.Option {
	return []auth.Option{
		auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123"}),
		auth.WithUserGroups(map[string][]string{"admin": {"admin"}, "viewer": {"viewer"}}),
	}
}

// Do serves one request on h, with Basic credentials unless user is "".
func Do(h http.Handler, method, target, user, pass string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// FiberDo serves one request on app, with Basic credentials unless user
// is "", and returns the status and body.
func FiberDo(t *testing.T, app *fiber.App, method, target, user, pass string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
