package main

import (
	"os"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// TestTemplate checks that template.yaml holds what the README promises
// and main.go reads: the authorizer function with the users parameter in
// AUTHWIRE_USERS_PARAMETER and the right to read it, a REQUEST authorizer
// on the Authorization header as the API's DefaultAuthorizer, and the
// UNAUTHORIZED Gateway Response, 401 with a Basic WWW-Authenticate.
// (The YAML reader keeps the values of CloudFormation's !Ref and !Sub and
// drops their tags.)
func TestTemplate(t *testing.T) {
	b, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tpl map[string]any
	if err := yaml.Unmarshal(b, &tpl); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	get := func(path string) any {
		t.Helper()
		var v any = tpl
		for _, k := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%s: %q is not a mapping", path, k)
			}
			if v, ok = m[k]; !ok {
				t.Fatalf("template.yaml has no %s", path)
			}
		}
		return v
	}
	want := func(path string, value any) {
		t.Helper()
		if got := get(path); got != value {
			t.Errorf("%s = %v (%T), want %v", path, got, got, value)
		}
	}
	want("Transform", "AWS::Serverless-2016-10-31")

	want("Resources.UsersParameter.Type", "AWS::SSM::Parameter")
	want("Resources.UsersParameter.Properties.Value", "UsersJSON")
	want("Parameters.UsersJSON.NoEcho", true)

	fn := "Resources.AuthorizerFunction."
	want(fn+"Type", "AWS::Serverless::Function")
	want(fn+"Properties.Runtime", "provided.al2023")
	want(fn+"Properties.Handler", "bootstrap")
	want(fn+"Metadata.BuildMethod", "go1.x")
	want(fn+"Properties.Environment.Variables.AUTHWIRE_USERS_PARAMETER", "UsersParameter")
	want(fn+"Properties.Environment.Variables.AUTHWIRE_GROUPS", "GroupsJSON")
	for name := range get(fn + "Properties.Environment.Variables").(map[string]any) {
		if !strings.Contains(mainSource(t), `"`+name+`"`) {
			t.Errorf("the template sets %s, which main.go does not read", name)
		}
	}
	policies, _ := get(fn + "Properties.Policies").([]any)
	readsParameter := false
	for _, p := range policies {
		if m, ok := p.(map[string]any); ok {
			if r, ok := m["SSMParameterReadPolicy"].(map[string]any); ok && r["ParameterName"] == "${AWS::StackName}/users" {
				readsParameter = true
			}
		}
	}
	if !readsParameter || get("Resources.UsersParameter.Properties.Name") != "/${AWS::StackName}/users" {
		t.Errorf("the function may not read the users parameter: policies %v", policies)
	}

	api := "Resources.Api.Properties."
	want("Resources.Api.Type", "AWS::Serverless::Api")
	want(api+"Auth.DefaultAuthorizer", "BasicAuthorizer")
	want(api+"Auth.Authorizers.BasicAuthorizer.FunctionArn", "AuthorizerFunction.Arn")
	want(api+"Auth.Authorizers.BasicAuthorizer.FunctionPayloadType", "REQUEST")
	headers, _ := get(api + "Auth.Authorizers.BasicAuthorizer.Identity.Headers").([]any)
	if len(headers) != 1 || headers[0] != "Authorization" {
		t.Errorf("identity headers %v, want [Authorization]", headers)
	}
	want(api+"Auth.Authorizers.BasicAuthorizer.Identity.ReauthorizeEvery", uint64(300))
	want(api+"GatewayResponses.UNAUTHORIZED.StatusCode", uint64(401))
	challenge, _ := get(api + "GatewayResponses.UNAUTHORIZED.ResponseParameters.Headers.WWW-Authenticate").(string)
	if !strings.HasPrefix(challenge, `'Basic realm="`) || !strings.HasSuffix(challenge, `'`) {
		t.Errorf("WWW-Authenticate %q is not a quoted Basic challenge", challenge)
	}
}

func mainSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
