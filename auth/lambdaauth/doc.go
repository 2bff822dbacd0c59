// Package lambdaauth is an AWS API Gateway Lambda authorizer built on
// authwire's core: it checks the Basic credentials of each request with
// the same parser, password hashes, verified-credential cache, brute-force
// regulation and groups as package auth, and answers in API Gateway's
// terms.
//
// An [Authorizer] answers three kinds of event, from
// github.com/aws/aws-lambda-go/events:
//
//   - a REST API REQUEST authorizer ([Authorizer.Request]; identity source
//     the Authorization header), and the HTTP API's payload format 1.0,
//     which has the same shape;
//   - a REST API TOKEN authorizer ([Authorizer.Token]; token source
//     Authorization);
//   - an HTTP API authorizer with payload format 2.0 and simple responses
//     ([Authorizer.HTTP]).
//
// [Authorizer.Invoke] tells them apart, so one function serves any of
// them: lambda.Start(authorizer).
//
// A caller whose credentials check out gets an IAM policy that allows
// execute-api:Invoke on the whole stage ("<api ARN>/<stage>/*"), or on the
// resources their groups are granted ([Config.Grants]), with principalId
// the user name and the context entries "user" and "groups" (the groups
// comma-separated, sorted) for the integration to read as
// $context.authorizer.user and $context.authorizer.groups. A caller who
// is known but fails [Config.Require], or has no grant, gets a Deny
// policy, and API Gateway answers 403. Anything else (no credentials,
// wrong ones, a malformed header, a banned user or address, a credential
// source that cannot be read) is the error [ErrUnauthorized], whose text
// "Unauthorized" API Gateway turns into 401. A wrong password and an
// unknown user get the same answer after the same hash work.
//
// # Credentials
//
// The credentials come from the package auth options given to [New], one
// source of them:
//
//   - fixed in code: auth.WithUsers (plaintext) or auth.WithHashedUsers;
//   - JSON in an environment variable: [UsersFromEnv] and
//     auth.WithUserSource;
//   - an htpasswd file shipped with the function: auth.WithHtpasswdFile;
//   - a function of yours: [NewSource] over a [FetchFunc], and
//     auth.WithUserSource; the function returns the whole table, so an
//     unknown user costs what a wrong password does;
//   - SSM Parameter Store or Secrets Manager: package
//     auth/lambdaauth/awssource's fetch functions under [NewSource]. They
//     are in a package of their own so that nothing else depends on the
//     AWS SDK.
//
// A table holds plaintext passwords or hashes (bcrypt, argon2id, $apr1$,
// {SHA}), told apart per entry as auth.NewUsers says. A [Source] keeps what
// it fetched for its TTL and fetches again after it; a fetch that fails
// keeps the last good table (and is logged), and with none every request
// is refused. Groups come from auth.WithUserGroups, auth.WithHtgroupFile
// or auth.WithGroupsFunc.
//
// # Caching
//
// API Gateway caches an authorizer's answer by its identity source, for
// 300 seconds unless configured otherwise, and uses a cached policy for
// every method of the API. So the policy never depends on the method
// asked for: it lists everything the caller may invoke. A cached Allow
// outlives a password change or a removed user for up to that TTL; set the
// authorizer's result TTL lower (or to 0) where that matters. Within a
// warm function, hashes verified lately are not run again
// (auth.WithVerifyCacheTTL), until the table changes.
//
// An HTTP API with simple responses has no policy: [Authorizer.HTTP]
// judges the grants against the route asked for, which is only correct
// when API Gateway does not reuse the answer for other routes (caching
// off, or $context.routeKey among the identity sources).
//
// # What does not apply
//
// An authorizer sees no body and sets no cookie: sessions, the login form,
// OIDC and forward auth do nothing useful here, and a request the guard
// lets through without an identity (a public route) is refused. The
// routes that need no authentication are the API's routes without an
// authorizer.
package lambdaauth
