package oidclogin_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/oidclogin"
)

// Log users in with an OpenID Connect provider; the callback URL is the
// one registered at the provider.
func Example() {
	// Every process must share the keys (they seal the state cookie
	// too): in production, auth.KeysFromSecrets(os.Getenv("SESSION_SECRET")).
	hashKey, blockKey := auth.GenerateKeyPair()
	keys := [][]byte{hashKey, blockKey}
	mux := http.NewServeMux()
	a, err := auth.New(mux,
		auth.WithSessions(auth.SessionConfig{Keys: keys}),
		auth.WithLoginMethod(oidclogin.New(oidclogin.Config{
			Issuer:       "https://accounts.example.com",
			ClientID:     "dashboard",
			ClientSecret: "from-the-provider",
			RedirectURL:  "https://dashboard.example.com/oidc/callback",
		})),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		id := auth.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s (%v)", id.User, id.Claims["email"])
	})

	// A browser that is not logged in is sent to the provider through
	// /oidc/login, which keeps where it was going.
	req := httptest.NewRequest("GET", "/reports?week=48", nil)
	req.Header.Set("Accept", "text/html")
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	// Output:
	// 303 /oidc/login?next=%2Freports%3Fweek%3D48
}

// Two providers, each with its name, label and callback; without a login
// form, /login lists them, and ?idp= picks one.
func Example_severalProviders() {
	hashKey, blockKey := auth.GenerateKeyPair()
	mux := http.NewServeMux()
	a, err := auth.New(mux,
		auth.WithSessions(auth.SessionConfig{Keys: [][]byte{hashKey, blockKey}}),
		auth.WithLoginMethod(oidclogin.New(oidclogin.Config{
			Name: "corp", Label: "Corp SSO",
			Issuer: "https://login.corp.example", ClientID: "dashboard",
			RedirectURL: "https://dashboard.example.com/oidc/corp/callback",
		})),
		auth.WithLoginMethod(oidclogin.New(oidclogin.Config{
			Name: "partner", Label: "Partner accounts",
			Issuer: "https://id.partner.example", ClientID: "dashboard",
			RedirectURL:           "https://dashboard.example.com/oidc/partner/callback",
			PostLogoutRedirectURL: "https://dashboard.example.com/login",
		})),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, path := range []string{"/reports", "/login?idp=partner&next=/reports"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Accept", "text/html")
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Header().Get("Location"))
	}
	// Output:
	// 303 /login?next=%2Freports
	// 303 /oidc/partner/login?next=%2Freports
}
