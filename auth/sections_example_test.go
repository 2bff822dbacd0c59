package auth_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/authwire/authwire/auth"
)

// Split a dashboard into sections: admin may see every section, viewer
// marketing only. A session, when there is one, keeps the sections, so
// the callers' sockets and callbacks carry them too.
func ExampleInSection() {
	mux := http.NewServeMux()
	a, err := auth.New(mux,
		auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123"}),
		auth.WithUserSections(map[string][]string{"admin": {auth.AllSections}, "viewer": {"marketing"}}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, section := range []string{"marketing", "hr"} {
		mux.Handle("GET /"+section, a.Require(auth.InSection(section))(http.HandlerFunc(
			func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, section+" page") })))
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	for _, c := range [][2]string{{"viewer", "/marketing"}, {"viewer", "/hr"}, {"admin", "/hr"}} {
		req, _ := http.NewRequest("GET", srv.URL+c[1], nil)
		req.SetBasicAuth(c[0], map[string]string{"admin": "admin", "viewer": "viewer123"}[c[0]])
		res, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			body = []byte("(refused)")
		}
		fmt.Println(c[0], c[1], res.StatusCode, string(body))
	}
	// Output:
	// viewer /marketing 200 marketing page
	// viewer /hr 403 (refused)
	// admin /hr 200 hr page
}
