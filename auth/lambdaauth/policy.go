package lambdaauth

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/authwire/authwire/auth"
)

// grant is one resource of Config.Grants, "<VERB>/<path>" or "*",
// relative to a stage.
type grant string

// grantVerbs are the verbs a grant may name.
var grantVerbs = []string{"*", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// maxGrantLen bounds one grant, as IAM bounds a resource.
const maxGrantLen = 1024

// parseGrants validates Config.Grants. Nil stays nil (the whole stage).
func parseGrants(m map[string][]string) (map[string][]grant, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string][]grant, len(m))
	for group, resources := range m {
		// A name that can never be a group makes OneOf forbid everyone,
		// even a caller "in" it: the core's own test of a group name.
		if auth.OneOf(group).Check(&auth.Identity{Groups: []string{group}}) != auth.DecisionAllow {
			return nil, fmt.Errorf("%w: lambdaauth: Grants names the group %q, which cannot be a group name", auth.ErrInvalidConfig, group)
		}
		if len(resources) == 0 {
			return nil, fmt.Errorf("%w: lambdaauth: Grants gives the group %q no resources", auth.ErrInvalidConfig, group)
		}
		for _, r := range resources {
			if err := checkGrant(r); err != nil {
				return nil, fmt.Errorf("%w: lambdaauth: Grants[%q]: %q: %v", auth.ErrInvalidConfig, group, r, err)
			}
			out[group] = append(out[group], grant(r))
		}
	}
	return out, nil
}

// checkGrant reports what is wrong with one grant.
func checkGrant(r string) error {
	if r == "*" {
		return nil
	}
	if len(r) > maxGrantLen {
		return fmt.Errorf("longer than %d bytes", maxGrantLen)
	}
	verb, path, ok := strings.Cut(r, "/")
	switch {
	case !ok:
		return errors.New(`not "<VERB>/<path>" or "*"`)
	case !slices.Contains(grantVerbs, verb):
		return fmt.Errorf("the verb must be one of %s", strings.Join(grantVerbs, ", "))
	case strings.HasPrefix(path, "/"):
		return errors.New(`the path must not start with "/": write "GET/reports", not "GET//reports"`)
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; c <= ' ' || c >= 0x7f {
			return errors.New("the path holds a space, a control character or a non-ASCII byte")
		}
	}
	return nil
}

// methodARN is a parsed execute-api ARN:
// arn:<partition>:execute-api:<region>:<account>:<api>/<stage>/<verb>/<path>.
type methodARN struct {
	// stage is everything up to and including "<api>/<stage>/".
	stage string
	// resource is what follows: "<verb>/<path>".
	resource string
}

// parseMethodARN splits an API Gateway method or route ARN. API Gateway
// writes it; anything not of its shape is refused rather than guessed
// at, since a policy built on it could grant more than it should.
func parseMethodARN(s string) (methodARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "execute-api" ||
		parts[3] == "" || parts[4] == "" {
		return methodARN{}, errors.New("not an execute-api ARN")
	}
	api, rest, ok1 := strings.Cut(parts[5], "/")
	stage, resource, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 || api == "" || stage == "" || !strings.Contains(resource, "/") {
		return methodARN{}, errors.New("not an execute-api ARN of <api>/<stage>/<verb>/<path>")
	}
	return methodARN{stage: s[:len(s)-len(resource)], resource: resource}, nil
}

// policy is the IAM policy for d on the API stage of arn.
func policy(d decision, arn methodARN) events.APIGatewayCustomAuthorizerPolicy {
	effect, resources := "Allow", []string{arn.stage + "*"}
	switch {
	case d.outcome != allowed:
		effect = "Deny"
	case d.grants != nil:
		resources = resources[:0]
		for _, g := range d.grants {
			resources = append(resources, arn.stage+string(g))
		}
		slices.Sort(resources)
		resources = slices.Compact(resources)
	}
	return events.APIGatewayCustomAuthorizerPolicy{
		Version: "2012-10-17",
		Statement: []events.IAMPolicyStatement{{
			Action:   []string{"execute-api:Invoke"},
			Effect:   effect,
			Resource: resources,
		}},
	}
}

// covers reports whether one of grants matches resource, as IAM would
// match the policy's resources against it. Nil grants cover everything.
func covers(grants []grant, resource string) bool {
	if grants == nil {
		return true
	}
	for _, g := range grants {
		if globMatch(string(g), resource) {
			return true
		}
	}
	return false
}

// globMatch matches s against pattern, in which '*' stands for any run of
// bytes (none too) and '?' for one byte, as IAM resource patterns do. It
// runs in O(len(pattern)·len(s)) at worst, without recursion.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
