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

// Put callbacks in sections by their names, as a dashboard names its
// components after the page they are on: "marketing-plot" is for callers
// in section marketing, "hr-salaries" for section hr.
func ExampleConfig_sectionsFromNames() {
	mux := http.NewServeMux()
	a, err := auth.New(mux,
		auth.WithUsers(map[string]string{"viewer": "viewer123"}),
		auth.WithUserSections(map[string][]string{"viewer": {"marketing"}}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	reg, err := callbacks.New(a, nil, callbacks.Config{SectionsFromNames: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	plot := func(context.Context, struct{}) (string, error) { return "a plot", nil }
	_ = reg.Protected("marketing-plot", callbacks.Unary(plot))
	_ = reg.Protected("hr-salaries", callbacks.Unary(plot))
	mux.Handle("/_callbacks/", reg.Handler())
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	for _, name := range []string{"marketing-plot", "hr-salaries"} {
		req, _ := http.NewRequest("POST", srv.URL+"/_callbacks/"+name, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("viewer", "viewer123")
		res, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Printf("%s %d %s", name, res.StatusCode, b)
	}
	_ = reg.Shutdown(context.Background())
	// Output:
	// marketing-plot 200 {"result":"a plot"}
	// hr-salaries 403 {"error":{"code":"forbidden","message":"you may not call hr-salaries"}}
}
