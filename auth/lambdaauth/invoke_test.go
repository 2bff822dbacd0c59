package lambdaauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/authwire/authwire/auth/lambdaauth"
)

func TestInvokeTellsEventsApart(t *testing.T) {
	a := demoAuthorizer(t, lambdaauth.Config{})
	ctx := context.Background()
	invoke := func(e any) ([]byte, error) {
		t.Helper()
		payload, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return a.Invoke(ctx, payload)
	}

	out, err := invoke(restEvent(basic("alice", "al1ce-pw")))
	var rest events.APIGatewayCustomAuthorizerResponse
	if err != nil || json.Unmarshal(out, &rest) != nil {
		t.Fatalf("REQUEST: %s, %v", out, err)
	}
	checkResponse(t, rest, "alice", "admin,ops", allowPolicy(testStage+"*"))

	out, err = invoke(events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: basic("bob", "b0b-pw"), MethodArn: testARN})
	rest = events.APIGatewayCustomAuthorizerResponse{}
	if err != nil || json.Unmarshal(out, &rest) != nil {
		t.Fatalf("TOKEN: %s, %v", out, err)
	}
	checkResponse(t, rest, "bob", "viewer", allowPolicy(testStage+"*"))

	out, err = invoke(v2Event("GET", "/x", basic("bob", "b0b-pw")))
	var simple map[string]any
	if err != nil || json.Unmarshal(out, &simple) != nil || simple["isAuthorized"] != true {
		t.Fatalf("v2: %s, %v", out, err)
	}
	if c, _ := simple["context"].(map[string]any); c["user"] != "bob" || c["groups"] != "viewer" {
		t.Fatalf("v2 context: %s", out)
	}

	// The policy's field names are API Gateway's.
	out, _ = invoke(restEvent(basic("alice", "al1ce-pw")))
	var raw map[string]any
	json.Unmarshal(out, &raw)
	doc, _ := raw["policyDocument"].(map[string]any)
	if raw["principalId"] != "alice" || doc["Version"] != "2012-10-17" || doc["Statement"] == nil {
		t.Fatalf("wire form: %s", out)
	}

	for _, e := range []any{
		restEvent(basic("alice", "wrong")),
		events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", MethodArn: testARN},
		v2Event("GET", "/x", ""),
	} {
		if out, err := invoke(e); err == nil || err.Error() != "Unauthorized" || out != nil {
			t.Errorf("%T: %s, %v; want Unauthorized", e, out, err)
		}
	}
	for _, payload := range []string{``, `{`, `[]`, `{}`, `{"type":"EVENT"}`, `{"type":"TOKEN","methodArn":7}`, `{"type":"REQUEST","headers":[]}`, `{"type":"REQUEST","version":"2.0","headers":3}`} {
		if out, err := a.Invoke(ctx, []byte(payload)); !errors.Is(err, lambdaauth.ErrNotAuthorizerEvent) || out != nil {
			t.Errorf("%s: %s, %v; want ErrNotAuthorizerEvent", payload, out, err)
		}
	}
}
