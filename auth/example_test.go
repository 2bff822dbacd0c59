package auth_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/authwire/authwire/auth"
)

// Protect a ServeMux with two users, a group rule and a public route.
func ExampleNew() {
	mux := http.NewServeMux()
	a, err := auth.New(mux,
		auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123"}),
		auth.WithUserGroups(map[string][]string{"admin": {"admin"}}),
		auth.WithPublicRoutes("/healthz"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", auth.FromContext(r.Context()).User)
	})
	mux.Handle("/admin", a.Require(auth.OneOf("admin"))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "admin area") })))

	srv := httptest.NewServer(a.Handler()) // serve a.Handler(), not mux
	defer srv.Close()

	get := func(path, user, pass string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			body = []byte(res.Header.Get("WWW-Authenticate"))
		}
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%s %s: %d %s", path, user, res.StatusCode, body)))
	}
	get("/healthz", "", "")
	get("/", "", "")
	get("/", "viewer", "viewer123")
	get("/admin", "viewer", "viewer123")
	get("/admin", "admin", "admin")
	// Output:
	// /healthz : 200 ok
	// / : 401 Basic realm="Restricted", charset="UTF-8"
	// / viewer: 200 hello viewer
	// /admin viewer: 403
	// /admin admin: 200 admin area
}

// Make an htpasswd-compatible bcrypt hash for WithHashedUsers or an
// htpasswd file.
func ExampleHashPassword() {
	h, err := auth.HashPassword("correct horse battery staple")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(h[:7])
	// Output: $2y$12$
}
