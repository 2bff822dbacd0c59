// Command lambda is an API Gateway Lambda authorizer: HTTP Basic
// authentication for a REST API (or an HTTP API), with the users in SSM
// Parameter Store, Secrets Manager, the environment or an htpasswd file,
// checked by authwire (hashed passwords, brute-force regulation, groups).
// template.yaml beside it deploys it with AWS SAM in front of a small
// function, with the Gateway Response that makes browsers ask for a
// password.
//
// Build it for Lambda's provided.al2023 runtime as "bootstrap":
//
//	GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -o bootstrap ./examples/lambda
//
// It answers REQUEST and TOKEN events of a REST API and HTTP API events
// (payload format 2.0, simple responses), and is configured by the
// environment:
//
//   - the users, one of: AUTHWIRE_USERS_PARAMETER, the name of an SSM
//     parameter (a SecureString for plaintext passwords; read with
//     decryption); AUTHWIRE_USERS_SECRET, a Secrets Manager secret's name
//     or ARN; AUTHWIRE_USERS, the table itself; AUTHWIRE_HTPASSWD, the path
//     of an htpasswd file in the deployment package. A parameter, a secret
//     and AUTHWIRE_USERS hold JSON, user names to plaintext passwords or
//     hashes: {"admin":"$2y$12$…","viewer":"viewer-password"};
//   - AUTHWIRE_USERS_TTL: how long a fetched parameter or secret is used
//     before it is read again (a Go duration; default 5m);
//   - AUTHWIRE_GROUPS: JSON, user names to their groups,
//     {"admin":["admin"]}; or AUTHWIRE_HTGROUPS, the path of an htgroup
//     file;
//   - AUTHWIRE_GRANTS: JSON, groups to the resources they may invoke,
//     {"admin":["*"],"viewer":["GET/*"]} (see lambdaauth.Config.Grants);
//     without it, every authenticated user may invoke the whole stage.
//
// It logs JSON lines to standard error, which Lambda sends to CloudWatch.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/lambdaauth"
	"github.com/authwire/authwire/auth/lambdaauth/awssource"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	a, err := newAuthorizer(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("the authorizer cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(a)
}

// newAuthorizer builds the authorizer the environment describes, read
// through getenv.
func newAuthorizer(ctx context.Context, getenv func(string) string, log *slog.Logger) (*lambdaauth.Authorizer, error) {
	users, err := userSource(ctx, getenv, log)
	if err != nil {
		return nil, err
	}
	opts := []auth.Option{users, auth.WithLogger(log)}
	switch groups, htgroups := getenv("AUTHWIRE_GROUPS"), getenv("AUTHWIRE_HTGROUPS"); {
	case groups != "" && htgroups != "":
		return nil, errors.New("set AUTHWIRE_GROUPS or AUTHWIRE_HTGROUPS, not both")
	case groups != "":
		var m map[string][]string
		if err := json.Unmarshal([]byte(groups), &m); err != nil {
			return nil, fmt.Errorf("AUTHWIRE_GROUPS is not a JSON object of user names to lists of groups: %w", err)
		}
		opts = append(opts, auth.WithUserGroups(m))
	case htgroups != "":
		opts = append(opts, auth.WithHtgroupFile(htgroups))
	}
	cfg := lambdaauth.Config{Logger: log}
	if g := getenv("AUTHWIRE_GRANTS"); g != "" {
		if err := json.Unmarshal([]byte(g), &cfg.Grants); err != nil || cfg.Grants == nil {
			return nil, fmt.Errorf("AUTHWIRE_GRANTS is not a JSON object of groups to lists of resources: %v", err)
		}
	}
	return lambdaauth.New(cfg, opts...)
}

// userSource is the credential option of the one users variable set.
func userSource(ctx context.Context, getenv func(string) string, log *slog.Logger) (auth.Option, error) {
	vars := map[string]string{}
	for _, name := range []string{"AUTHWIRE_USERS_PARAMETER", "AUTHWIRE_USERS_SECRET", "AUTHWIRE_USERS", "AUTHWIRE_HTPASSWD"} {
		if v := getenv(name); v != "" {
			vars[name] = v
		}
	}
	if len(vars) != 1 {
		return nil, errors.New("set exactly one of AUTHWIRE_USERS_PARAMETER, AUTHWIRE_USERS_SECRET, AUTHWIRE_USERS and AUTHWIRE_HTPASSWD")
	}
	switch {
	case vars["AUTHWIRE_HTPASSWD"] != "":
		return auth.WithHtpasswdFile(vars["AUTHWIRE_HTPASSWD"]), nil
	case vars["AUTHWIRE_USERS"] != "":
		m, err := lambdaauth.DecodeUsers([]byte(vars["AUTHWIRE_USERS"]))
		if err != nil {
			return nil, fmt.Errorf("AUTHWIRE_USERS: %w", err)
		}
		users, err := auth.NewUsers(m)
		if err != nil {
			return nil, fmt.Errorf("AUTHWIRE_USERS: %w", err)
		}
		return auth.WithUserSource(users), nil
	}
	ttl := lambdaauth.DefaultSourceTTL
	if s := getenv("AUTHWIRE_USERS_TTL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("AUTHWIRE_USERS_TTL %q is not a positive duration such as 5m", s)
		}
		ttl = d
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	var fetch lambdaauth.FetchFunc
	var name string
	if p := vars["AUTHWIRE_USERS_PARAMETER"]; p != "" {
		fetch, name = awssource.Parameter(ssm.NewFromConfig(awsCfg), p), "ssm:"+p
	} else {
		s := vars["AUTHWIRE_USERS_SECRET"]
		fetch, name = awssource.Secret(secretsmanager.NewFromConfig(awsCfg), s), "secret:"+s
	}
	src, err := lambdaauth.NewSource(fetch, lambdaauth.SourceConfig{Name: name, TTL: ttl, Logger: log})
	if err != nil {
		return nil, err
	}
	// Fetch now, while Lambda initialises the function; a failure is
	// logged and tried again after lambdaauth.DefaultRetryAfter.
	src.Users(ctx)
	return auth.WithUserSource(src), nil
}
