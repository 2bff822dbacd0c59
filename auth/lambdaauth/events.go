package lambdaauth

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Request answers a REQUEST authorizer of a REST API (and an HTTP API's
// payload format 1.0, which has the same shape). The credentials are read
// from the Authorization header; the regulated client is
// requestContext.identity.sourceIp. The answer is an Allow or Deny policy,
// or [ErrUnauthorized].
func (a *Authorizer) Request(ctx context.Context, e events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	req := &request{
		method:   e.HTTPMethod,
		path:     e.Path,
		query:    restQuery(e.QueryStringParameters, e.MultiValueQueryStringParameters),
		sourceIP: e.RequestContext.Identity.SourceIP,
		headers:  restHeaders(e.Headers, e.MultiValueHeaders),
	}
	req.host = first(req.headers["host"])
	return a.policyAnswer(ctx, req, e.MethodArn)
}

// Token answers a TOKEN authorizer of a REST API whose token source is
// the Authorization header: the token is that header's value, "Basic …".
// A TOKEN event carries no client address, so each Authorization header is
// regulated as a client of its own, besides its user (a REQUEST authorizer
// regulates by source IP instead). The answer is an Allow or Deny policy,
// or [ErrUnauthorized].
func (a *Authorizer) Token(ctx context.Context, e events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	req := &request{headers: map[string][]string{}}
	if e.AuthorizationToken != "" {
		req.headers["authorization"] = []string{e.AuthorizationToken}
	}
	if arn, err := parseMethodARN(e.MethodArn); err == nil {
		verb, path, _ := strings.Cut(arn.resource, "/")
		req.method, req.path = verb, "/"+path
	}
	return a.policyAnswer(ctx, req, e.MethodArn)
}

// HTTP answers an HTTP API authorizer with payload format 2.0 and simple
// responses (enableSimpleResponses): isAuthorized true with the context
// entries, false for a caller who is known but refused (403), or
// [ErrUnauthorized]. [Config.Grants] are judged against the route ARN's
// "<VERB>/<path>"; see the package documentation on caching.
func (a *Authorizer) HTTP(ctx context.Context, e events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	h := e.RequestContext.HTTP
	req := &request{
		method:   h.Method,
		path:     h.Path,
		query:    e.RawQueryString,
		host:     e.RequestContext.DomainName,
		sourceIP: h.SourceIP,
		headers:  make(map[string][]string, len(e.Headers)),
		cookies:  e.Cookies,
	}
	if req.path == "" {
		req.path = e.RawPath
	}
	for k, v := range e.Headers {
		k = strings.ToLower(k)
		req.headers[k] = append(req.headers[k], v)
	}
	d := a.decide(ctx, req)
	if d.outcome == unauthorized {
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{}, ErrUnauthorized
	}
	if d.outcome == allowed && d.grants != nil {
		arn, err := parseMethodARN(e.RouteArn)
		if err != nil {
			a.log.LogAttrs(ctx, slog.LevelError, "lambdaauth: unauthorized: the event's routeArn cannot be read", slog.String("error", err.Error()))
			return events.APIGatewayV2CustomAuthorizerSimpleResponse{}, ErrUnauthorized
		}
		if !covers(d.grants, arn.resource) {
			a.log.LogAttrs(ctx, slog.LevelInfo, "lambdaauth: forbidden: no grant covers the route",
				slog.String("user", d.id.User), slog.String("route", arn.resource))
			d.outcome = forbidden
		}
	}
	if d.outcome != allowed {
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}, nil
	}
	return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: authContext(d.id)}, nil
}

// policyAnswer decides req and writes the policy on methodArn's stage.
func (a *Authorizer) policyAnswer(ctx context.Context, req *request, methodArn string) (events.APIGatewayCustomAuthorizerResponse, error) {
	d := a.decide(ctx, req)
	if d.outcome == unauthorized {
		return events.APIGatewayCustomAuthorizerResponse{}, ErrUnauthorized
	}
	arn, err := parseMethodARN(methodArn)
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelError, "lambdaauth: unauthorized: the event's methodArn cannot be read", slog.String("error", err.Error()))
		return events.APIGatewayCustomAuthorizerResponse{}, ErrUnauthorized
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID:    d.id.User,
		PolicyDocument: policy(d, arn),
		Context:        authContext(d.id),
	}, nil
}

// ErrNotAuthorizerEvent is returned by [Authorizer.Invoke] for a payload
// that is not an authorizer event it knows: Lambda reports it, and API
// Gateway answers 500 and lets nobody through.
var ErrNotAuthorizerEvent = errors.New("lambdaauth: not an API Gateway TOKEN or REQUEST authorizer event")

// eventKind is what Invoke reads first to tell the events apart.
type eventKind struct {
	Type    string `json:"type"`
	Version string `json:"version"`
}

// Invoke makes an Authorizer a lambda.Handler for any of the events it
// answers, told apart by their "type" and "version" fields: TOKEN
// ([Authorizer.Token]); REQUEST with version "2.0" ([Authorizer.HTTP]);
// other REQUEST events ([Authorizer.Request]). So a function's main is
//
//	lambda.Start(authorizer)
//
// It returns the JSON answer, [ErrUnauthorized], or an error wrapping
// [ErrNotAuthorizerEvent] for a payload that is none of these.
func (a *Authorizer) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var k eventKind
	if err := json.Unmarshal(payload, &k); err != nil {
		return nil, errors.Join(ErrNotAuthorizerEvent, err)
	}
	var answer any
	var err error
	switch {
	case k.Type == "TOKEN":
		var e events.APIGatewayCustomAuthorizerRequest
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, errors.Join(ErrNotAuthorizerEvent, err)
		}
		answer, err = a.Token(ctx, e)
	case k.Type == "REQUEST" && k.Version == "2.0":
		var e events.APIGatewayV2CustomAuthorizerV2Request
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, errors.Join(ErrNotAuthorizerEvent, err)
		}
		answer, err = a.HTTP(ctx, e)
	case k.Type == "REQUEST":
		var e events.APIGatewayCustomAuthorizerRequestTypeRequest
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, errors.Join(ErrNotAuthorizerEvent, err)
		}
		answer, err = a.Request(ctx, e)
	default:
		return nil, ErrNotAuthorizerEvent
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(answer)
}

// restHeaders merges a REST event's headers by lower-case name. The
// multi-value form is complete when present (it holds every occurrence);
// the single-value form is used only without it.
func restHeaders(single map[string]string, multi map[string][]string) map[string][]string {
	h := make(map[string][]string, max(len(single), len(multi)))
	if len(multi) > 0 {
		for k, vs := range multi {
			k = strings.ToLower(k)
			h[k] = append(h[k], vs...)
		}
		return h
	}
	for k, v := range single {
		k = strings.ToLower(k)
		h[k] = append(h[k], v)
	}
	return h
}

// restQuery rebuilds a REST event's query string (sorted by key).
func restQuery(single map[string]string, multi map[string][]string) string {
	q := url.Values{}
	if len(multi) > 0 {
		for k, vs := range multi {
			q[k] = append(q[k], vs...)
		}
	} else {
		for k, v := range single {
			q.Add(k, v)
		}
	}
	return q.Encode()
}

func first(vs []string) string {
	if len(vs) > 0 {
		return vs[0]
	}
	return ""
}
