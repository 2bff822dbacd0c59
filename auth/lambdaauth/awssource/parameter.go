package awssource

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/authwire/authwire/auth/lambdaauth"
)

// ParameterGetter is the call of *ssm.Client that [Parameter] makes.
type ParameterGetter interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// Parameter returns a FetchFunc that reads the SSM parameter name (a name
// such as "/myapp/users", or its ARN) with decryption, so that a
// SecureString comes back in plaintext, and decodes it with
// lambdaauth.DecodeUsers. Errors name the parameter and wrap the SDK's (a
// missing parameter is a *types.ParameterNotFound, with errors.As) or
// lambdaauth.ErrBadUsersJSON; they never hold the value.
func Parameter(client ParameterGetter, name string) lambdaauth.FetchFunc {
	return func(ctx context.Context) (map[string]string, error) {
		out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("awssource: SSM parameter %s: %w", name, err)
		}
		if out == nil || out.Parameter == nil || out.Parameter.Value == nil {
			return nil, fmt.Errorf("awssource: SSM parameter %s: %w", name, errNoValue)
		}
		users, err := lambdaauth.DecodeUsers([]byte(*out.Parameter.Value))
		if err != nil {
			return nil, fmt.Errorf("awssource: SSM parameter %s: %w", name, err)
		}
		return users, nil
	}
}

// errNoValue is wrapped when AWS answers without the value asked for.
var errNoValue = errors.New("the answer holds no value")
