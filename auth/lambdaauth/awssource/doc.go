// Package awssource fetches authwire's users from AWS for
// auth/lambdaauth: from an SSM Parameter Store parameter ([Parameter]) or
// a Secrets Manager secret ([Secret]) that holds the JSON of
// lambdaauth.DecodeUsers, user names to plaintext passwords or hashes:
//
//	{"admin": "$2y$12$…", "viewer": "viewer-password"}
//
// Each returns a lambdaauth.FetchFunc, which lambdaauth.NewSource keeps
// for its TTL, fetches again after it, and falls back on the last good
// table when AWS cannot be reached:
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	src, err := lambdaauth.NewSource(
//		awssource.Parameter(ssm.NewFromConfig(cfg), "/myapp/users"),
//		lambdaauth.SourceConfig{Name: "ssm:/myapp/users"})
//	authorizer, err := lambdaauth.New(lambdaauth.Config{}, auth.WithUserSource(src))
//
// Plaintext passwords belong in a SecureString parameter (read with
// decryption, which needs kms:Decrypt on its key besides
// ssm:GetParameter) or a secret (secretsmanager:GetSecretValue). A plain
// String parameter is read as well; keep only hashes in one.
//
// This is the only authwire package that depends on the AWS SDK
// (aws-sdk-go-v2): a function that reads its users from the environment
// or a file does not compile it.
package awssource
