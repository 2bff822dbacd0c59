package awssource_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"golang.org/x/crypto/bcrypt"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/lambdaauth"
	"github.com/authwire/authwire/auth/lambdaauth/awssource"
	"github.com/authwire/authwire/internal/awstest"
	"github.com/authwire/authwire/internal/testclock"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// awsConfig is the SDK configuration of a real client talking to srv:
// its endpoint, region and credentials (secret overrides the secret key),
// with the standard retryer minus its waits, so that retries of
// throttling happen at once.
func awsConfig(srv *awstest.Server, secret string) aws.Config {
	if secret == "" {
		secret = srv.SecretKey
	}
	return aws.Config{
		Region:       srv.Region,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(srv.AccessKey, secret, srv.SessionToken)),
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   srv.Client(),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		},
	}
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// authorizer is an authorizer over fetch, with a fake clock, a TTL of a
// minute and logs kept in logs.
func authorizer(t *testing.T, fetch lambdaauth.FetchFunc, logs *bytes.Buffer) (*lambdaauth.Authorizer, *testclock.Clock) {
	t.Helper()
	c := testclock.New(time.Unix(1_800_000_000, 0))
	log := slog.New(slog.NewTextHandler(logs, nil))
	src, err := lambdaauth.NewSource(fetch, lambdaauth.SourceConfig{Name: "aws", TTL: time.Minute, RetryAfter: time.Second, Logger: log, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	a, err := lambdaauth.New(lambdaauth.Config{Logger: quiet}, auth.WithUserSource(src), auth.WithLogger(log),
		auth.WithUserGroups(map[string][]string{"alice": {"admin"}}))
	if err != nil {
		t.Fatal(err)
	}
	return a, c
}

// ask runs a REQUEST event with alice's header and reports the answer:
// "allow <principal> <groups>" or the error.
func ask(t *testing.T, a *lambdaauth.Authorizer, user, pass string) string {
	t.Helper()
	resp, err := a.Request(context.Background(), events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type:           "REQUEST",
		MethodArn:      "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/x",
		Headers:        map[string]string{"Authorization": basic(user, pass)},
		RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{Identity: events.APIGatewayCustomAuthorizerRequestTypeRequestIdentity{SourceIP: "198.51.100.1"}},
	})
	if err != nil {
		return err.Error()
	}
	return strings.Join([]string{resp.PolicyDocument.Statement[0].Effect, resp.PrincipalID, resp.Context["groups"].(string)}, " ")
}

// checkSigned checks that every request the server saw was signed with
// SigV4 for service by the test's credentials, and verified.
func checkSigned(t *testing.T, srv *awstest.Server, target, service string) {
	t.Helper()
	reqs := srv.Requests()
	if len(reqs) == 0 {
		t.Fatal("the server saw no request")
	}
	for i, r := range reqs {
		key, date, region, svc, signed, ok := awstest.AuthorizationForm(r.Authorization)
		switch {
		case !ok:
			t.Errorf("request %d: Authorization %q is not AWS4-HMAC-SHA256 Credential=…/SignedHeaders=…/Signature=…", i, r.Authorization)
		case r.Target != target:
			t.Errorf("request %d: X-Amz-Target %q, want %q", i, r.Target, target)
		case key != srv.AccessKey || region != srv.Region || svc != service || len(r.Date) != 16 || date != r.Date[:8]:
			t.Errorf("request %d: credential %s/%s/%s/%s with X-Amz-Date %q", i, key, date, region, svc, r.Date)
		case !slices.Contains(signed, "x-amz-target") || !slices.Contains(signed, "host") || !slices.Contains(signed, "x-amz-date"):
			t.Errorf("request %d: signed headers %v", i, signed)
		case !r.SignatureOK:
			t.Errorf("request %d: the signature is not the one the server computed", i)
		}
	}
}

func TestParameterStore(t *testing.T) {
	srv := awstest.New(t)
	srv.SessionToken = "session-token-of-a-lambda-role"
	hash, err := bcrypt.GenerateFromPassword([]byte("al1ce-old"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetParameter("/myapp/users", `{"alice":"`+string(hash)+`","bob":"b0b-plain"}`)
	var logs bytes.Buffer
	a, clk := authorizer(t, awssource.Parameter(ssm.NewFromConfig(awsConfig(srv, "")), "/myapp/users"), &logs)

	if got := ask(t, a, "alice", "al1ce-old"); got != "Allow alice admin" {
		t.Fatalf("alice: %s", got)
	}
	if got := ask(t, a, "bob", "b0b-plain"); got != "Allow bob " {
		t.Fatalf("bob: %s", got)
	}
	if got := ask(t, a, "bob", "wrong"); got != "Unauthorized" {
		t.Fatalf("wrong password: %s", got)
	}
	checkSigned(t, srv, awstest.TargetGetParameter, "ssm")
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d fetches within the TTL, want 1", len(reqs))
	}
	if reqs[0].Body["Name"] != "/myapp/users" || reqs[0].Body["WithDecryption"] != true {
		t.Fatalf("GetParameter input %v, want the name WithDecryption", reqs[0].Body)
	}

	// Rotated: the old password holds until the TTL, then the new one.
	srv.SetParameter("/myapp/users", `{"alice":"al1ce-new"}`)
	if got := ask(t, a, "alice", "al1ce-old"); got != "Allow alice admin" {
		t.Fatalf("within the TTL after rotation: %s", got)
	}
	clk.Advance(time.Minute)
	if got := ask(t, a, "alice", "al1ce-old"); got != "Unauthorized" {
		t.Fatalf("old password after the TTL: %s", got)
	}
	if got := ask(t, a, "alice", "al1ce-new"); got != "Allow alice admin" {
		t.Fatalf("new password after the TTL: %s", got)
	}
	if got := ask(t, a, "bob", "b0b-plain"); got != "Unauthorized" {
		t.Fatalf("a removed user after the TTL: %s", got)
	}

	// Throttled twice: the SDK retries, and the third call answers.
	srv.SetParameter("/myapp/users", `{"alice":"al1ce-3"}`)
	srv.Fail("ThrottlingException", 2)
	clk.Advance(time.Minute)
	before := len(srv.Requests())
	if got := ask(t, a, "alice", "al1ce-3"); got != "Allow alice admin" {
		t.Fatalf("after two throttled calls: %s", got)
	}
	if n := len(srv.Requests()) - before; n != 3 {
		t.Fatalf("%d calls for a fetch throttled twice, want 3", n)
	}

	// Throttled for good: the last good table stays, and it is logged.
	srv.Fail("ThrottlingException", -1)
	clk.Advance(time.Minute)
	if got := ask(t, a, "alice", "al1ce-3"); got != "Allow alice admin" {
		t.Fatalf("while throttled: %s", got)
	}
	if !strings.Contains(logs.String(), "ThrottlingException") || !strings.Contains(logs.String(), "keeping the last good table") {
		t.Fatalf("throttling was not logged: %s", logs.String())
	}

	// The server down: the last good table stays.
	srv.Close()
	clk.Advance(time.Minute)
	if got := ask(t, a, "alice", "al1ce-3"); got != "Allow alice admin" {
		t.Fatalf("with the server down: %s", got)
	}
	if got := ask(t, a, "alice", "al1ce-new"); got != "Unauthorized" {
		t.Fatalf("an old password with the server down: %s", got)
	}
	checkSigned(t, srv, awstest.TargetGetParameter, "ssm")
	if strings.Contains(logs.String(), "al1ce") || strings.Contains(logs.String(), "b0b") {
		t.Fatalf("a password reached the log: %s", logs.String())
	}
}

func TestParameterErrors(t *testing.T) {
	srv := awstest.New(t)
	srv.SetParameter("/bad/json", `{"alice": SECRET}`)
	srv.SetParameter("/bad/hash", `{"alice":"$2y$10$SECRET"}`)
	srv.SetParameter("/good", `{"alice":"pw"}`)
	client := ssm.NewFromConfig(awsConfig(srv, ""))
	ctx := context.Background()

	_, err := awssource.Parameter(client, "/missing")(ctx)
	var notFound *ssmtypes.ParameterNotFound
	if !errors.As(err, &notFound) || !strings.Contains(err.Error(), "/missing") {
		t.Fatalf("missing parameter: %v", err)
	}
	_, err = awssource.Parameter(client, "/bad/json")(ctx)
	if !errors.Is(err, lambdaauth.ErrBadUsersJSON) || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("bad JSON: %v", err)
	}
	// Signed with the wrong secret key: AWS (here, the server) refuses.
	_, err = awssource.Parameter(ssm.NewFromConfig(awsConfig(srv, "not-the-secret")), "/good")(ctx)
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Fatalf("wrong secret key: %v", err)
	}
	if r := srv.Requests(); r[len(r)-1].SignatureOK {
		t.Fatal("the server verified a signature made with the wrong key")
	}

	// Through an authorizer: with no good table ever, every request is
	// refused, whatever the cause.
	for _, name := range []string{"/missing", "/bad/json", "/bad/hash"} {
		var logs bytes.Buffer
		a, _ := authorizer(t, awssource.Parameter(client, name), &logs)
		if got := ask(t, a, "alice", "pw"); got != "Unauthorized" {
			t.Errorf("%s: %s", name, got)
		}
		if !strings.Contains(logs.String(), "every request is refused") || strings.Contains(logs.String(), "SECRET") {
			t.Errorf("%s: logs %s", name, logs.String())
		}
	}
	var logs bytes.Buffer
	a, _ := authorizer(t, awssource.Parameter(ssm.NewFromConfig(awsConfig(srv, "not-the-secret")), "/good"), &logs)
	if got := ask(t, a, "alice", "pw"); got != "Unauthorized" {
		t.Errorf("wrong secret key: %s", got)
	}

	// The server down before the first fetch: refused.
	srv.Close()
	a, _ = authorizer(t, awssource.Parameter(client, "/good"), &logs)
	if got := ask(t, a, "alice", "pw"); got != "Unauthorized" {
		t.Errorf("server down, no table: %s", got)
	}
}

func TestSecretsManager(t *testing.T) {
	srv := awstest.New(t)
	srv.SetSecret("myapp/users", `{"alice":"v1"}`)
	var logs bytes.Buffer
	client := secretsmanager.NewFromConfig(awsConfig(srv, ""))
	a, clk := authorizer(t, awssource.Secret(client, "myapp/users"), &logs)

	if got := ask(t, a, "alice", "v1"); got != "Allow alice admin" {
		t.Fatalf("v1: %s", got)
	}
	checkSigned(t, srv, awstest.TargetGetSecretValue, "secretsmanager")
	if r := srv.Requests(); len(r) != 1 || r[0].Body["SecretId"] != "myapp/users" {
		t.Fatalf("requests %+v", r)
	}

	// Rotated (as a binary secret this time): picked up after the TTL.
	srv.SetSecretBinary("myapp/users", []byte(`{"alice":"v2"}`))
	clk.Advance(time.Minute)
	if got := ask(t, a, "alice", "v1"); got != "Unauthorized" {
		t.Fatalf("v1 after rotation: %s", got)
	}
	if got := ask(t, a, "alice", "v2"); got != "Allow alice admin" {
		t.Fatalf("v2 after rotation: %s", got)
	}

	// Deleted: ResourceNotFoundException, and the last good table stays.
	_, err := awssource.Secret(client, "other")(context.Background())
	var notFound *smtypes.ResourceNotFoundException
	if !errors.As(err, &notFound) || !strings.Contains(err.Error(), "other") {
		t.Fatalf("missing secret: %v", err)
	}
	srv.Fail("ResourceNotFoundException", -1)
	clk.Advance(time.Minute)
	if got := ask(t, a, "alice", "v2"); got != "Allow alice admin" {
		t.Fatalf("secret gone: %s", got)
	}
	if !strings.Contains(logs.String(), "ResourceNotFoundException") {
		t.Fatalf("not logged: %s", logs.String())
	}
	srv.Close()
	clk.Advance(time.Minute)
	if got := ask(t, a, "alice", "v2"); got != "Allow alice admin" {
		t.Fatalf("server down: %s", got)
	}
	checkSigned(t, srv, awstest.TargetGetSecretValue, "secretsmanager")

	a, _ = authorizer(t, awssource.Secret(client, "myapp/users"), &logs)
	if got := ask(t, a, "alice", "v2"); got != "Unauthorized" {
		t.Fatalf("server down, no table: %s", got)
	}
}
