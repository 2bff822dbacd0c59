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

// Answer a reverse proxy's auth_request subrequests at /auth/verify: the
// proxy sends the client's credentials and, from a trusted address, the
// page it asks about.
func ExampleWithForwardAuth() {
	a, err := auth.New(http.NewServeMux(),
		auth.WithUsers(map[string]string{"alice": "alice-pw", "bob": "bob-pw"}),
		auth.WithUserGroups(map[string][]string{"alice": {"ops"}}),
		auth.WithTrustedProxies("127.0.0.1"),
		auth.WithForwardAuth(auth.ForwardAuthConfig{
			Sections: map[string][]string{"alice": {auth.AllSections}, "bob": {"/wiki"}},
		}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	ask := func(user, pass, page string) {
		req, _ := http.NewRequest("GET", srv.URL+"/auth/verify", nil)
		req.Header.Set("X-Original-URI", page)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		res.Body.Close()
		fmt.Printf("%-5s %-12s %d %q\n", user, page, res.StatusCode, res.Header.Get("Remote-User"))
	}
	ask("", "", "/wiki/start")
	ask("bob", "bob-pw", "/wiki/start")
	ask("bob", "bob-pw", "/metrics")
	ask("alice", "alice-pw", "/metrics")
	// Output:
	//       /wiki/start  401 ""
	// bob   /wiki/start  200 "bob"
	// bob   /metrics     403 ""
	// alice /metrics     200 "alice"
}
