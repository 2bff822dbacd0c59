package awssource

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/authwire/authwire/auth/lambdaauth"
)

// SecretGetter is the call of *secretsmanager.Client that [Secret] makes.
type SecretGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Secret returns a FetchFunc that reads the current version (AWSCURRENT)
// of the Secrets Manager secret id (its name or ARN), as SecretString or
// else SecretBinary, and decodes it with lambdaauth.DecodeUsers. After a
// rotation the new version is read at the next fetch. Errors name the
// secret and wrap the SDK's (a missing secret is a
// *types.ResourceNotFoundException, with errors.As) or
// lambdaauth.ErrBadUsersJSON; they never hold the value.
func Secret(client SecretGetter, id string) lambdaauth.FetchFunc {
	return func(ctx context.Context) (map[string]string, error) {
		out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			return nil, fmt.Errorf("awssource: secret %s: %w", id, err)
		}
		var value []byte
		switch {
		case out == nil:
		case out.SecretString != nil:
			value = []byte(*out.SecretString)
		default:
			value = out.SecretBinary
		}
		if value == nil {
			return nil, fmt.Errorf("awssource: secret %s: %w", id, errNoValue)
		}
		users, err := lambdaauth.DecodeUsers(value)
		if err != nil {
			return nil, fmt.Errorf("awssource: secret %s: %w", id, err)
		}
		return users, nil
	}
}
