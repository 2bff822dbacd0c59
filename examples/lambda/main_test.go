package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/goleak"

	"github.com/authwire/authwire/auth/lambdaauth"
	"github.com/authwire/authwire/internal/awstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// env is a getenv over a map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte("alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	users := `{"alice":"pw"}`
	for name, c := range map[string]struct {
		vars map[string]string
		want string // "" for success; else a part of the error
	}{
		"env users":           {map[string]string{"AUTHWIRE_USERS": users}, ""},
		"htpasswd":            {map[string]string{"AUTHWIRE_HTPASSWD": htpasswd}, ""},
		"groups and grants":   {map[string]string{"AUTHWIRE_USERS": users, "AUTHWIRE_GROUPS": `{"alice":["admin"]}`, "AUTHWIRE_GRANTS": `{"admin":["*"]}`}, ""},
		"no users":            {map[string]string{}, "exactly one"},
		"two user sources":    {map[string]string{"AUTHWIRE_USERS": users, "AUTHWIRE_HTPASSWD": htpasswd}, "exactly one"},
		"bad users JSON":      {map[string]string{"AUTHWIRE_USERS": `{"alice":S3KR1T}`}, "AUTHWIRE_USERS"},
		"bad hash":            {map[string]string{"AUTHWIRE_USERS": `{"alice":"$2y$10$S3KR1T"}`}, "malformed password hash"},
		"missing htpasswd":    {map[string]string{"AUTHWIRE_HTPASSWD": filepath.Join(dir, "none")}, "htpasswd"},
		"bad groups":          {map[string]string{"AUTHWIRE_USERS": users, "AUTHWIRE_GROUPS": `["admin"]`}, "AUTHWIRE_GROUPS"},
		"two group sources":   {map[string]string{"AUTHWIRE_USERS": users, "AUTHWIRE_GROUPS": `{}`, "AUTHWIRE_HTGROUPS": htpasswd}, "not both"},
		"bad grants JSON":     {map[string]string{"AUTHWIRE_USERS": users, "AUTHWIRE_GRANTS": `{"admin":"*"}`}, "AUTHWIRE_GRANTS"},
		"null grants":         {map[string]string{"AUTHWIRE_USERS": users, "AUTHWIRE_GRANTS": `null`}, "AUTHWIRE_GRANTS"},
		"bad grant":           {map[string]string{"AUTHWIRE_USERS": users, "AUTHWIRE_GRANTS": `{"admin":["GET"]}`}, "Grants"},
		"bad TTL":             {map[string]string{"AUTHWIRE_USERS_PARAMETER": "/p", "AUTHWIRE_USERS_TTL": "5"}, "AUTHWIRE_USERS_TTL"},
		"negative TTL":        {map[string]string{"AUTHWIRE_USERS_SECRET": "s", "AUTHWIRE_USERS_TTL": "-1m"}, "AUTHWIRE_USERS_TTL"},
		"htgroup file absent": {map[string]string{"AUTHWIRE_USERS": users, "AUTHWIRE_HTGROUPS": filepath.Join(dir, "none")}, "htgroup"},
	} {
		a, err := newAuthorizer(context.Background(), env(c.vars), quiet)
		switch {
		case c.want == "" && (err != nil || a == nil):
			t.Errorf("%s: %v", name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: err = %v, want one saying %q", name, err, c.want)
		case err != nil && strings.Contains(err.Error(), "S3KR1T"):
			t.Errorf("%s: the error quotes a secret: %v", name, err)
		}
	}
}

// TestParameterFromEnvironment builds the authorizer as Lambda would,
// with the AWS configuration from the environment, against the stand-in
// for SSM.
func TestParameterFromEnvironment(t *testing.T) {
	srv := awstest.New(t)
	srv.SetParameter("/demo/users", `{"alice":"al1ce-pw"}`)
	vars := map[string]string{"AUTHWIRE_USERS_PARAMETER": "/demo/users", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull}
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	for k, v := range vars {
		t.Setenv(k, v) // config.LoadDefaultConfig reads the process environment
	}
	a, err := newAuthorizer(context.Background(), env(vars), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("%d fetches at start-up, want 1", n)
	}
	resp, err := a.Token(context.Background(), events.APIGatewayCustomAuthorizerRequest{
		Type: "TOKEN", AuthorizationToken: basic("alice", "al1ce-pw"),
		MethodArn: "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/",
	})
	if err != nil || resp.PrincipalID != "alice" {
		t.Fatalf("%+v, %v", resp, err)
	}
	_, err = a.Token(context.Background(), events.APIGatewayCustomAuthorizerRequest{
		Type: "TOKEN", AuthorizationToken: basic("alice", "x"), MethodArn: "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/",
	})
	if !errors.Is(err, lambdaauth.ErrUnauthorized) {
		t.Fatalf("wrong password: %v", err)
	}
	if r := srv.Requests()[0]; !r.SignatureOK || r.Body["WithDecryption"] != true {
		t.Fatalf("the fetch: %+v", r)
	}
}
