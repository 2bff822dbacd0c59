package lambdaauth_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/lambdaauth"
)

// An authorizer for a REST API: admins may invoke everything, viewers
// only GET. In a function, make it once and hand it to lambda.Start:
//
//	lambda.Start(authorizer)
func ExampleNew() {
	authorizer, err := lambdaauth.New(lambdaauth.Config{
		Grants: map[string][]string{"admin": {"*"}, "viewer": {"GET/*"}},
	},
		auth.WithUsers(map[string]string{"ada": "correct horse", "vic": "battery staple"}),
		auth.WithUserGroups(map[string][]string{"ada": {"admin"}, "vic": {"viewer"}}),
	)
	if err != nil {
		log.Fatal(err)
	}

	// The event API Gateway sends for GET /reports on stage prod.
	e := events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type:      "REQUEST",
		MethodArn: "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/reports",
		Headers: map[string]string{
			"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("vic:battery staple")),
		},
	}
	resp, err := authorizer.Request(context.Background(), e)
	if err != nil {
		log.Fatal(err)
	}
	st := resp.PolicyDocument.Statement[0]
	fmt.Println(resp.PrincipalID, st.Effect, st.Resource, resp.Context["groups"])

	e.Headers["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte("vic:wrong"))
	_, err = authorizer.Request(context.Background(), e)
	fmt.Println(err)
	// Output:
	// vic Allow [arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/*] viewer
	// Unauthorized
}

// A function provider: the table comes from code of your own (a database,
// a configuration service), fetched again every minute. An unknown user
// costs the same hash as a wrong password, since the table is checked by
// authwire, not by the function.
func ExampleNewSource() {
	fetch := func(ctx context.Context) (map[string]string, error) {
		// Plaintext or hashes, such as auth.HashPassword makes.
		return map[string]string{"ada": "correct horse"}, nil
	}
	src, err := lambdaauth.NewSource(fetch, lambdaauth.SourceConfig{Name: "my-table", TTL: time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	authorizer, err := lambdaauth.New(lambdaauth.Config{}, auth.WithUserSource(src))
	if err != nil {
		log.Fatal(err)
	}
	resp, err := authorizer.Token(context.Background(), events.APIGatewayCustomAuthorizerRequest{
		Type:               "TOKEN",
		AuthorizationToken: "Basic " + base64.StdEncoding.EncodeToString([]byte("ada:correct horse")),
		MethodArn:          "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/orders",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.PrincipalID, resp.PolicyDocument.Statement[0].Resource)
	// Output: ada [arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*]
}

// The users in an environment variable, as JSON.
func ExampleUsersFromEnv() {
	// AUTHWIRE_USERS='{"ada":"$2y$12$…","vic":"battery staple"}'
	users, err := lambdaauth.UsersFromEnv("AUTHWIRE_USERS")
	if err != nil {
		log.Fatal(err)
	}
	authorizer, err := lambdaauth.New(lambdaauth.Config{}, auth.WithUserSource(users))
	if err != nil {
		log.Fatal(err)
	}
	_ = authorizer // lambda.Start(authorizer)
}
