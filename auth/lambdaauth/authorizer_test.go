package lambdaauth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/crypto/bcrypt"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/lambdaauth"
)

const (
	testARN   = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/reports/2024"
	testStage = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// bcryptOf hashes pw at the least cost, to keep tests quick.
func bcryptOf(t testing.TB, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// demoAuthorizer has alice (plaintext; groups admin, ops), bob (bcrypt;
// viewer) and carol (bcrypt; no group).
func demoAuthorizer(t testing.TB, cfg lambdaauth.Config, opts ...auth.Option) *lambdaauth.Authorizer {
	t.Helper()
	users, err := auth.NewUsers(map[string]string{
		"alice": "al1ce-pw",
		"bob":   bcryptOf(t, "b0b-pw"),
		"carol": bcryptOf(t, "car0l-pw"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	base := []auth.Option{
		auth.WithUserSource(users),
		auth.WithUserGroups(map[string][]string{"alice": {"ops", "admin"}, "bob": {"viewer"}}),
		auth.WithLogger(quiet),
	}
	a, err := lambdaauth.New(cfg, append(base, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// restEvent is a REQUEST event as API Gateway sends it for a REST API.
func restEvent(authorization ...string) events.APIGatewayCustomAuthorizerRequestTypeRequest {
	e := events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type:       "REQUEST",
		MethodArn:  testARN,
		Resource:   "/reports/{year}",
		Path:       "/reports/2024",
		HTTPMethod: "GET",
		Headers:    map[string]string{"Host": "abc123.execute-api.eu-west-1.amazonaws.com", "Accept": "application/json"},
		MultiValueHeaders: map[string][]string{
			"Host":   {"abc123.execute-api.eu-west-1.amazonaws.com"},
			"Accept": {"application/json"},
		},
		RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{
			Path: "/prod/reports/2024", Stage: "prod", HTTPMethod: "GET", APIID: "abc123", AccountID: "123456789012",
			Identity: events.APIGatewayCustomAuthorizerRequestTypeRequestIdentity{SourceIP: "198.51.100.7"},
		},
	}
	if len(authorization) > 0 {
		e.Headers["Authorization"] = authorization[0]
		e.MultiValueHeaders["Authorization"] = authorization
	}
	return e
}

func allowPolicy(resources ...string) events.APIGatewayCustomAuthorizerPolicy {
	return events.APIGatewayCustomAuthorizerPolicy{
		Version: "2012-10-17",
		Statement: []events.IAMPolicyStatement{{
			Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: resources,
		}},
	}
}

func denyPolicy() events.APIGatewayCustomAuthorizerPolicy {
	p := allowPolicy(testStage + "*")
	p.Statement[0].Effect = "Deny"
	return p
}

func checkResponse(t *testing.T, got events.APIGatewayCustomAuthorizerResponse, user, groups string, want events.APIGatewayCustomAuthorizerPolicy) {
	t.Helper()
	if got.PrincipalID != user {
		t.Errorf("principalId = %q, want %q", got.PrincipalID, user)
	}
	if got.Context["user"] != user || got.Context["groups"] != groups || len(got.Context) != 2 {
		t.Errorf("context = %v, want user %q, groups %q", got.Context, user, groups)
	}
	if got.PolicyDocument.Version != want.Version || len(got.PolicyDocument.Statement) != 1 {
		t.Fatalf("policy = %+v, want %+v", got.PolicyDocument, want)
	}
	g, w := got.PolicyDocument.Statement[0], want.Statement[0]
	if g.Effect != w.Effect || !slices.Equal(g.Action, w.Action) || !slices.Equal(g.Resource, w.Resource) {
		t.Errorf("statement = %+v, want %+v", g, w)
	}
}

func TestRequestAuthorizer(t *testing.T) {
	a := demoAuthorizer(t, lambdaauth.Config{})
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		headers []string
		user    string // "" wants ErrUnauthorized
		groups  string
	}{
		{"plaintext user", []string{basic("alice", "al1ce-pw")}, "alice", "admin,ops"},
		{"hashed user", []string{basic("bob", "b0b-pw")}, "bob", "viewer"},
		{"user in no group", []string{basic("carol", "car0l-pw")}, "carol", ""},
		{"scheme in lower case", []string{"basic " + base64.StdEncoding.EncodeToString([]byte("alice:al1ce-pw"))}, "alice", "admin,ops"},
		{"no header", nil, "", ""},
		{"wrong password", []string{basic("bob", "wrong")}, "", ""},
		{"unknown user", []string{basic("mallory", "b0b-pw")}, "", ""},
		{"password with a space after it", []string{basic("alice", "al1ce-pw ")}, "", ""},
		{"empty user", []string{basic("", "al1ce-pw")}, "", ""},
		{"not base64", []string{"Basic !!!"}, "", ""},
		{"no colon", []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("alice"))}, "", ""},
		{"control character", []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("alice:al1ce\x00pw"))}, "", ""},
		{"another scheme", []string{"Bearer abc"}, "", ""},
		{"two headers", []string{basic("alice", "al1ce-pw"), basic("alice", "al1ce-pw")}, "", ""},
		{"oversize header", []string{"Basic " + strings.Repeat("QUFB", 4<<10)}, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := a.Request(ctx, restEvent(c.headers...))
			if c.user == "" {
				if err == nil || err.Error() != "Unauthorized" || !errors.Is(err, lambdaauth.ErrUnauthorized) {
					t.Fatalf("err = %v, want exactly Unauthorized (response %+v)", err, got)
				}
				if got.PrincipalID != "" || len(got.PolicyDocument.Statement) != 0 {
					t.Fatalf("a refused caller got a policy: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			checkResponse(t, got, c.user, c.groups, allowPolicy(testStage+"*"))
		})
	}
}

func TestRequestAuthorizerSingleValueHeaders(t *testing.T) {
	// The console's test events and some tools send only "headers".
	a := demoAuthorizer(t, lambdaauth.Config{})
	e := restEvent()
	e.MultiValueHeaders = nil
	e.Headers["authorization"] = basic("alice", "al1ce-pw")
	got, err := a.Request(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	checkResponse(t, got, "alice", "admin,ops", allowPolicy(testStage+"*"))

	// Two spellings of the header are two headers: refused.
	e.Headers["Authorization"] = basic("bob", "b0b-pw")
	if _, err := a.Request(context.Background(), e); !errors.Is(err, lambdaauth.ErrUnauthorized) {
		t.Fatalf("two Authorization headers: err = %v", err)
	}
}

func TestTokenAuthorizer(t *testing.T) {
	a := demoAuthorizer(t, lambdaauth.Config{})
	ctx := context.Background()
	got, err := a.Token(ctx, events.APIGatewayCustomAuthorizerRequest{
		Type: "TOKEN", AuthorizationToken: basic("bob", "b0b-pw"), MethodArn: testARN,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkResponse(t, got, "bob", "viewer", allowPolicy(testStage+"*"))

	for _, token := range []string{"", basic("bob", "nope"), "Basic", "garbage"} {
		if _, err := a.Token(ctx, events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: token, MethodArn: testARN}); err == nil || err.Error() != "Unauthorized" {
			t.Errorf("token %q: err = %v, want Unauthorized", token, err)
		}
	}
	// The console's test calls use the stage "*"; the policy keeps it.
	got, err = a.Token(ctx, events.APIGatewayCustomAuthorizerRequest{
		Type: "TOKEN", AuthorizationToken: basic("alice", "al1ce-pw"),
		MethodArn: "arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/",
	})
	if err != nil {
		t.Fatal(err)
	}
	checkResponse(t, got, "alice", "admin,ops", allowPolicy("arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/*"))
}

func TestMalformedMethodARNIsUnauthorized(t *testing.T) {
	a := demoAuthorizer(t, lambdaauth.Config{})
	for _, arn := range []string{
		"", "arn:aws:execute-api:eu-west-1:123456789012", "arn:aws:lambda:eu-west-1:123456789012:abc/prod/GET/",
		"arn:aws:execute-api:eu-west-1:123456789012:abc/prod", "arn:aws:execute-api:eu-west-1:123456789012:/prod/GET/",
		"arn:aws:execute-api::123456789012:abc/prod/GET/", "nonsense",
	} {
		e := restEvent(basic("alice", "al1ce-pw"))
		e.MethodArn = arn
		if got, err := a.Request(context.Background(), e); !errors.Is(err, lambdaauth.ErrUnauthorized) {
			t.Errorf("methodArn %q: %+v, %v; want Unauthorized", arn, got, err)
		}
	}
}

func TestGrantsNarrowThePolicy(t *testing.T) {
	a := demoAuthorizer(t, lambdaauth.Config{Grants: map[string][]string{
		"admin":  {"*"},
		"ops":    {"POST/deploy", "*"},
		"viewer": {"GET/reports", "GET/reports/*"},
	}})
	ctx := context.Background()

	got, err := a.Request(ctx, restEvent(basic("alice", "al1ce-pw")))
	if err != nil {
		t.Fatal(err)
	}
	// The union of admin's and ops' grants, sorted, without repeats.
	checkResponse(t, got, "alice", "admin,ops", allowPolicy(testStage+"*", testStage+"POST/deploy"))

	got, err = a.Request(ctx, restEvent(basic("bob", "b0b-pw")))
	if err != nil {
		t.Fatal(err)
	}
	checkResponse(t, got, "bob", "viewer", allowPolicy(testStage+"GET/reports", testStage+"GET/reports/*"))

	// The policy is the caller's, not the method's: a cached answer
	// serves every method, so a viewer asking for POST gets the same.
	e := restEvent(basic("bob", "b0b-pw"))
	e.MethodArn = testStage + "POST/deploy"
	got, err = a.Request(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	checkResponse(t, got, "bob", "viewer", allowPolicy(testStage+"GET/reports", testStage+"GET/reports/*"))

	// carol has no group with a grant: denied by policy (403), not 401.
	got, err = a.Request(ctx, restEvent(basic("carol", "car0l-pw")))
	if err != nil {
		t.Fatal(err)
	}
	checkResponse(t, got, "carol", "", denyPolicy())
}

func TestRequireDeniesByPolicy(t *testing.T) {
	a := demoAuthorizer(t, lambdaauth.Config{Require: []auth.Requirement{auth.OneOf("admin", "viewer"), auth.NoneOf("ops")}})
	ctx := context.Background()
	got, err := a.Request(ctx, restEvent(basic("bob", "b0b-pw")))
	if err != nil {
		t.Fatal(err)
	}
	checkResponse(t, got, "bob", "viewer", allowPolicy(testStage+"*"))
	for _, user := range []struct{ name, pw, groups string }{{"alice", "al1ce-pw", "admin,ops"}, {"carol", "car0l-pw", ""}} {
		got, err := a.Request(ctx, restEvent(basic(user.name, user.pw)))
		if err != nil {
			t.Fatalf("%s: %v", user.name, err)
		}
		checkResponse(t, got, user.name, user.groups, denyPolicy())
	}
	// A wrong password is still 401, not a Deny policy.
	if _, err := a.Request(ctx, restEvent(basic("alice", "x"))); !errors.Is(err, lambdaauth.ErrUnauthorized) {
		t.Fatalf("wrong password with Require: %v", err)
	}
}

// v2Event is an HTTP API event, payload format 2.0.
func v2Event(method, path, authorization string) events.APIGatewayV2CustomAuthorizerV2Request {
	e := events.APIGatewayV2CustomAuthorizerV2Request{
		Version:  "2.0",
		Type:     "REQUEST",
		RouteArn: "arn:aws:execute-api:eu-west-1:123456789012:api9/$default/" + method + path,
		RawPath:  path,
		Headers:  map[string]string{"accept": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: "api9.execute-api.eu-west-1.amazonaws.com",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "203.0.113.9"},
		},
	}
	if authorization != "" {
		e.Headers["authorization"] = authorization
	}
	return e
}

func TestHTTPSimpleAuthorizer(t *testing.T) {
	a := demoAuthorizer(t, lambdaauth.Config{Grants: map[string][]string{
		"admin":  {"*"},
		"viewer": {"GET/reports", "GET/reports/*"},
	}})
	ctx := context.Background()
	for _, c := range []struct {
		name, method, path, header string
		want                       string // "allow", "deny" or "401"
		user, groups               string
	}{
		{"admin anywhere", "DELETE", "/users/7", basic("alice", "al1ce-pw"), "allow", "alice", "admin,ops"},
		{"viewer reads reports", "GET", "/reports/2024", basic("bob", "b0b-pw"), "allow", "bob", "viewer"},
		{"viewer reads the report list", "GET", "/reports", basic("bob", "b0b-pw"), "allow", "bob", "viewer"},
		{"viewer writes", "POST", "/reports/2024", basic("bob", "b0b-pw"), "deny", "", ""},
		{"viewer elsewhere", "GET", "/reportsX", basic("bob", "b0b-pw"), "deny", "", ""},
		{"no grant at all", "GET", "/reports", basic("carol", "car0l-pw"), "deny", "", ""},
		{"wrong password", "GET", "/reports", basic("bob", "b0b"), "401", "", ""},
		{"no header", "GET", "/reports", "", "401", "", ""},
		{"malformed", "GET", "/reports", "Basic a,Basic b", "401", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := a.HTTP(ctx, v2Event(c.method, c.path, c.header))
			switch c.want {
			case "401":
				if err == nil || err.Error() != "Unauthorized" {
					t.Fatalf("got %+v, %v; want Unauthorized", got, err)
				}
			case "deny":
				if err != nil || got.IsAuthorized || got.Context != nil {
					t.Fatalf("got %+v, %v; want isAuthorized false", got, err)
				}
			default:
				if err != nil || !got.IsAuthorized || got.Context["user"] != c.user || got.Context["groups"] != c.groups {
					t.Fatalf("got %+v, %v; want allowed as %s (%s)", got, err, c.user, c.groups)
				}
			}
		})
	}
	e := v2Event("GET", "/reports", basic("bob", "b0b-pw"))
	e.RouteArn = "not an arn"
	if _, err := a.HTTP(ctx, e); !errors.Is(err, lambdaauth.ErrUnauthorized) {
		t.Fatalf("bad routeArn with grants: %v", err)
	}
}

func TestRegulationBansBySourceIP(t *testing.T) {
	a := demoAuthorizer(t, lambdaauth.Config{},
		auth.WithRegulationPolicy(auth.RegulationPolicy{MaxFailures: 3, Window: 1 << 40, BanTime: 1 << 40}))
	ctx := context.Background()
	from := func(ip, header string) events.APIGatewayCustomAuthorizerRequestTypeRequest {
		e := restEvent(header)
		e.RequestContext.Identity.SourceIP = ip
		return e
	}
	// Three wrong passwords for three users from one address ban it.
	for _, u := range []string{"alice", "bob", "carol"} {
		if _, err := a.Request(ctx, from("192.0.2.1", basic(u, "wrong"))); !errors.Is(err, lambdaauth.ErrUnauthorized) {
			t.Fatalf("wrong password for %s: %v", u, err)
		}
	}
	if _, err := a.Request(ctx, from("192.0.2.1", basic("bob", "b0b-pw"))); !errors.Is(err, lambdaauth.ErrUnauthorized) {
		t.Fatalf("a banned address got in with the right password: %v", err)
	}
	// Another address is not banned.
	if _, err := a.Request(ctx, from("192.0.2.2", basic("bob", "b0b-pw"))); err != nil {
		t.Fatalf("another address was refused: %v", err)
	}
}

func TestTokenCallersAreNotOneClient(t *testing.T) {
	// A TOKEN event has no source IP. Failures of one caller must not ban
	// another, as they would if all were one "unknown" address; the user
	// is still regulated.
	a := demoAuthorizer(t, lambdaauth.Config{},
		auth.WithRegulationPolicy(auth.RegulationPolicy{MaxFailures: 2, Window: 1 << 40, BanTime: 1 << 40}))
	ctx := context.Background()
	token := func(h string) error {
		_, err := a.Token(ctx, events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: h, MethodArn: testARN})
		return err
	}
	for _, pw := range []string{"guess1", "guess2", "guess3"} {
		if err := token(basic("carol", pw)); !errors.Is(err, lambdaauth.ErrUnauthorized) {
			t.Fatalf("guess %s: %v", pw, err)
		}
	}
	if err := token(basic("bob", "b0b-pw")); err != nil {
		t.Fatalf("another user was banned by carol's guesses: %v", err)
	}
	if err := token(basic("carol", "car0l-pw")); !errors.Is(err, lambdaauth.ErrUnauthorized) {
		t.Fatalf("the guessed-at user was not banned: %v", err)
	}
}

func TestPublicRouteIsNotAnOpenDoor(t *testing.T) {
	// The guard lets public routes through without an identity; an
	// authorizer has no one to name, so it refuses.
	a := demoAuthorizer(t, lambdaauth.Config{}, auth.WithPublicRoutes("/reports/<path:rest>"))
	if got, err := a.Request(context.Background(), restEvent()); !errors.Is(err, lambdaauth.ErrUnauthorized) {
		t.Fatalf("public route without credentials: %+v, %v", got, err)
	}
	if got, err := a.Request(context.Background(), restEvent(basic("alice", "al1ce-pw"))); !errors.Is(err, lambdaauth.ErrUnauthorized) {
		t.Fatalf("public route with credentials (the guard reads none there): %+v, %v", got, err)
	}
}

func TestWrongPasswordAndUnknownUserLookAlike(t *testing.T) {
	a := demoAuthorizer(t, lambdaauth.Config{})
	ctx := context.Background()
	r1, e1 := a.Request(ctx, restEvent(basic("bob", "wrong")))
	r2, e2 := a.Request(ctx, restEvent(basic("nobody", "wrong")))
	if e1 == nil || e2 == nil || e1.Error() != e2.Error() || r1.PrincipalID != r2.PrincipalID || len(r1.Context)+len(r2.Context) != 0 {
		t.Fatalf("wrong password: %+v %v; unknown user: %+v %v", r1, e1, r2, e2)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	users := auth.WithUsers(map[string]string{"a": "b"})
	for name, c := range map[string]struct {
		cfg  lambdaauth.Config
		opts []auth.Option
	}{
		"no credentials":     {lambdaauth.Config{}, nil},
		"nil requirement":    {lambdaauth.Config{Require: []auth.Requirement{nil}}, []auth.Option{users}},
		"bad verb":           {lambdaauth.Config{Grants: map[string][]string{"g": {"FETCH/x"}}}, []auth.Option{users}},
		"leading slash":      {lambdaauth.Config{Grants: map[string][]string{"g": {"GET//x"}}}, []auth.Option{users}},
		"no path":            {lambdaauth.Config{Grants: map[string][]string{"g": {"GET"}}}, []auth.Option{users}},
		"space in path":      {lambdaauth.Config{Grants: map[string][]string{"g": {"GET/a b"}}}, []auth.Option{users}},
		"no resources":       {lambdaauth.Config{Grants: map[string][]string{"g": {}}}, []auth.Option{users}},
		"bad group name":     {lambdaauth.Config{Grants: map[string][]string{"a,b": {"*"}}}, []auth.Option{users}},
		"empty group name":   {lambdaauth.Config{Grants: map[string][]string{"": {"*"}}}, []auth.Option{users}},
		"two sources":        {lambdaauth.Config{}, []auth.Option{users, auth.WithHtpasswdFile("/nonexistent")}},
		"unreadable htpassw": {lambdaauth.Config{}, []auth.Option{auth.WithHtpasswdFile("/nonexistent/htpasswd")}},
	} {
		if _, err := lambdaauth.New(c.cfg, c.opts...); !errors.Is(err, auth.ErrInvalidConfig) {
			t.Errorf("%s: err = %v, want ErrInvalidConfig", name, err)
		}
	}
}
