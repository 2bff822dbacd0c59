package lambdaauth_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/lambdaauth"
)

// fuzzUsers are the fuzzed authorizer's users; carol has no grant.
var fuzzUsers = map[string]string{"alice": "al1ce-pw", "bob": "b:0b pw", "carol": "c"}

// oracleCredentials reads an Authorization value the simple way, to judge
// the authorizer by: "Basic" in any case, blanks, standard base64, and
// the user before the first colon. It accepts more than RFC 7617 allows
// (the authorizer may refuse some of what it accepts), never less.
func oracleCredentials(h string) (user, pass string, ok bool) {
	h = strings.Trim(h, " \t")
	scheme, payload, found := strings.Cut(h, " ")
	if !found {
		scheme, payload, found = strings.Cut(h, "\t")
	}
	if !found || !strings.EqualFold(scheme, "basic") {
		return "", "", false
	}
	dec, err := base64.StdEncoding.DecodeString(strings.Trim(payload, " \t"))
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(dec), ":")
	return user, pass, ok
}

// oracleStage is the policy prefix an ARN's stage gives, or "" when the
// ARN is not of API Gateway's shape.
func oracleStage(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "execute-api" || parts[3] == "" || parts[4] == "" {
		return ""
	}
	rest := strings.Join(parts[5:], ":")
	segs := strings.SplitN(rest, "/", 3)
	if len(segs) < 3 || segs[0] == "" || segs[1] == "" || !strings.Contains(segs[2], "/") {
		return ""
	}
	return arn[:len(arn)-len(segs[2])]
}

// FuzzEventDecision feeds REQUEST, TOKEN and HTTP API events with fuzzed
// headers, addresses, paths and ARNs to an authorizer, and checks that it
// never panics, refuses with exactly "Unauthorized", and lets in only a
// caller whose header carries a user's right password, on a policy of
// the event's own stage.
func FuzzEventDecision(f *testing.F) {
	for _, u := range []string{"alice", "bob", "carol"} {
		f.Add(uint8(0), basic(u, fuzzUsers[u]), "", "198.51.100.7", testARN, "/reports/2024")
		f.Add(uint8(1), basic(u, fuzzUsers[u]), "", "", testARN, "")
		f.Add(uint8(2), basic(u, fuzzUsers[u]), "", "2001:db8::1", testARN, "/x")
	}
	f.Add(uint8(0), "basic\t"+base64.StdEncoding.EncodeToString([]byte("alice:al1ce-pw")), "", "test-invoke-source-ip", testARN, "/")
	f.Add(uint8(0), basic("alice", "al1ce-pw"), basic("alice", "al1ce-pw"), "198.51.100.7", testARN, "/")
	f.Add(uint8(1), "Basic YWxpY2U6YWwxY2UtcHc", "", "", "arn:aws:execute-api:r:1:a/s/GET/", "")
	f.Add(uint8(2), "Basic =", "", "::ffff:1.2.3.4", "arn:aws:execute-api:r:1:a//GET/x", "/%2e%2e/")
	f.Add(uint8(0), "Basic "+base64.StdEncoding.EncodeToString([]byte("bob:b:0b pw\x00")), "", "fe80::1%eth0", testARN, "//")

	a, err := lambdaauth.New(lambdaauth.Config{
		Grants: map[string][]string{"admin": {"*"}, "viewer": {"GET/*"}},
		Logger: quiet,
	},
		auth.WithUsers(fuzzUsers),
		auth.WithUserGroups(map[string][]string{"alice": {"admin"}, "bob": {"viewer"}}),
		auth.WithoutRegulation(), // so that a right password always gets in
		auth.WithLogger(quiet),
	)
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()

	f.Fuzz(func(t *testing.T, kind uint8, header, second, sourceIP, arn, path string) {
		var (
			principal string
			effect    string
			resources []string
			err       error
		)
		switch kind % 3 {
		case 0:
			e := restEvent()
			e.MethodArn, e.Path = arn, path
			e.RequestContext.Identity.SourceIP = sourceIP
			e.MultiValueHeaders["Authorization"] = []string{header}
			if second != "" {
				e.MultiValueHeaders["authorization"] = []string{second}
			}
			var r events.APIGatewayCustomAuthorizerResponse
			r, err = a.Request(ctx, e)
			principal = r.PrincipalID
			if len(r.PolicyDocument.Statement) == 1 {
				effect, resources = r.PolicyDocument.Statement[0].Effect, r.PolicyDocument.Statement[0].Resource
			}
		case 1:
			var r events.APIGatewayCustomAuthorizerResponse
			r, err = a.Token(ctx, events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: header, MethodArn: arn})
			principal = r.PrincipalID
			if len(r.PolicyDocument.Statement) == 1 {
				effect, resources = r.PolicyDocument.Statement[0].Effect, r.PolicyDocument.Statement[0].Resource
			}
		default:
			e := v2Event("GET", path, header)
			e.RouteArn = arn
			e.RequestContext.HTTP.SourceIP = sourceIP
			var r events.APIGatewayV2CustomAuthorizerSimpleResponse
			r, err = a.HTTP(ctx, e)
			if r.IsAuthorized {
				principal, effect = r.Context["user"].(string), "Allow"
			} else if err == nil {
				effect = "Deny"
			}
		}

		if err != nil {
			if err.Error() != "Unauthorized" {
				t.Fatalf("error %q, want exactly Unauthorized", err)
			}
			if principal != "" || effect != "" {
				t.Fatalf("an error came with an answer: %q %q", principal, effect)
			}
		}
		user, pass, ok := oracleCredentials(header)
		right := ok && fuzzUsers[user] == pass && user != "" && (kind%3 != 0 || second == "")
		if err == nil {
			if !right {
				t.Fatalf("let in (%q, %s) with %q, which does not carry a right password", principal, effect, header)
			}
			if kind%3 != 2 && principal != user {
				t.Fatalf("principalId %q for the credentials of %q", principal, user)
			}
			stage := oracleStage(arn)
			if kind%3 != 2 && stage == "" {
				t.Fatalf("answered a policy for the malformed ARN %q", arn)
			}
			for _, r := range resources {
				if !strings.HasPrefix(r, stage) {
					t.Fatalf("resource %q outside the event's stage %q", r, stage)
				}
			}
			if user == "carol" && effect != "Deny" {
				t.Fatalf("carol, who has no grant, got %s", effect)
			}
		}
		// A canonical header with a right password on a well-formed
		// event always gets an answer, never Unauthorized.
		canonical := header == basic(user, pass)
		if right && canonical && oracleStage(arn) != "" && err != nil {
			t.Fatalf("refused %q (%s) on %q: %v", header, user, arn, err)
		}
	})
}
