// Package auth is the backend-neutral core of authwire: it decides who is
// calling (Basic credentials today; sessions, OIDC and forward headers build
// on the same chain) and whether they may pass.
//
// One call installs the guard on an application:
//
//	mux := http.NewServeMux()
//	a, err := auth.New(mux,
//		auth.WithUsers(map[string]string{"admin": "s3cret"}),
//		auth.WithPublicRoutes("/healthz", "/static/{path...}"),
//	)
//	if err != nil {
//		log.Fatal(err)
//	}
//	log.Fatal(http.ListenAndServe("127.0.0.1:8050", a.Handler()))
//
// Handlers read the caller with [FromContext]. Nothing in this package
// knows a particular web framework: the adapters in package backends speak
// to net/http, Gin and Fiber.
package auth
