package lambdaauth_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoAWSSDK keeps the AWS SDK out of the authorizer: only package
// awssource may import it, so a function that takes its users from the
// environment or a file compiles none of it. aws-lambda-go is allowed.
func TestNoAWSSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}",
		"github.com/authwire/authwire/auth/lambdaauth").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	sawEvents := false
	for _, d := range deps {
		sawEvents = sawEvents || d == "github.com/aws/aws-lambda-go/events"
		for _, banned := range []string{"github.com/aws/aws-sdk-go", "github.com/aws/smithy-go", "github.com/authwire/authwire/auth/lambdaauth/awssource"} {
			if strings.HasPrefix(d, banned) {
				t.Errorf("auth/lambdaauth depends on %s", d)
			}
		}
	}
	if !sawEvents {
		t.Fatalf("go list did not list aws-lambda-go/events among %d packages: %q", len(deps), deps)
	}
}
