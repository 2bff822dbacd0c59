package callbacks_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/callbacks"
)

// Serve a public and a protected callback over HTTP (pass a ws.Server
// instead of nil for the WebSocket transport too).
func Example() {
	mux := http.NewServeMux()
	a, err := auth.New(mux,
		auth.WithUsers(map[string]string{"alice": "alice-pw", "bob": "bob-pw"}),
		auth.WithUserGroups(map[string][]string{"alice": {"admin"}}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	reg, err := callbacks.New(a, nil, callbacks.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	type sum struct{ A, B int }
	_ = reg.Public("add", callbacks.Unary(func(_ context.Context, s sum) (int, error) { return s.A + s.B, nil }))
	_ = reg.Protected("stats", callbacks.Unary(func(ctx context.Context, _ struct{}) (string, error) {
		return "for " + auth.FromContext(ctx).User, nil
	}), auth.OneOf("admin"))
	mux.Handle("/_callbacks/", reg.Handler())
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	call := func(name, args, user, pass string) {
		req, _ := http.NewRequest("POST", srv.URL+"/_callbacks/"+name, strings.NewReader(args))
		req.Header.Set("Content-Type", "application/json") // required
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		fmt.Printf("%s %d %s", name, res.StatusCode, b)
	}
	call("add", `{"A":2,"B":3}`, "", "")
	call("stats", `{}`, "", "")
	call("stats", `{}`, "bob", "bob-pw")
	call("stats", `{}`, "alice", "alice-pw")
	_ = reg.Shutdown(context.Background())
	// Output:
	// add 200 {"result":5}
	// stats 401 {"error":{"code":"unauthenticated","message":"log in to call stats"}}
	// stats 403 {"error":{"code":"forbidden","message":"you may not call stats"}}
	// stats 200 {"result":"for alice"}
}
