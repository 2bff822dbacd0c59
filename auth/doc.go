// Package auth is the backend-neutral core of authwire: it decides who is
// calling (Basic credentials, session cookies from the login form, a
// Basic login or a login method such as an OpenID Connect provider,
// trusted forward-auth headers, or an Authenticator of your own, tried in
// order) and whether they may pass (public and optional-auth routes,
// group rules). Login methods plug in with [WithLoginMethod]; package
// auth/oidclogin holds OpenID Connect, so that a program without it
// compiles no OIDC library.
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
//	log.Fatal(http.ListenAndServe("127.0.0.1:8050", a.Handler())) // a.Handler(), not mux
//
// Handlers read the caller with [FromContext]. Nothing in this package
// knows a particular web framework: package backends adapts net/http, and
// packages backends/ginbackend and backends/fiberbackend adapt Gin and
// Fiber when imported.
package auth
