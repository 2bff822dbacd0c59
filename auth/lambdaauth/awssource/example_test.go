package awssource_test

import (
	"context"
	"log"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/lambdaauth"
	"github.com/authwire/authwire/auth/lambdaauth/awssource"
)

// The users in a SecureString parameter, read again every five minutes;
// the function's role needs ssm:GetParameter on it and kms:Decrypt on its
// key.
func ExampleParameter() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx) // the function's role, its region
	if err != nil {
		log.Fatal(err)
	}
	src, err := lambdaauth.NewSource(awssource.Parameter(ssm.NewFromConfig(cfg), "/myapp/users"),
		lambdaauth.SourceConfig{Name: "ssm:/myapp/users"})
	if err != nil {
		log.Fatal(err)
	}
	src.Users(ctx) // fetch while Lambda initialises the function; a failure is logged and retried
	authorizer, err := lambdaauth.New(lambdaauth.Config{}, auth.WithUserSource(src))
	if err != nil {
		log.Fatal(err)
	}
	_ = authorizer // lambda.Start(authorizer)
}

// The users in a Secrets Manager secret; a rotation is seen at the next
// fetch after the TTL.
func ExampleSecret() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	src, err := lambdaauth.NewSource(awssource.Secret(secretsmanager.NewFromConfig(cfg), "myapp/users"),
		lambdaauth.SourceConfig{Name: "secret:myapp/users"})
	if err != nil {
		log.Fatal(err)
	}
	authorizer, err := lambdaauth.New(lambdaauth.Config{}, auth.WithUserSource(src))
	if err != nil {
		log.Fatal(err)
	}
	_ = authorizer // lambda.Start(authorizer)
}
