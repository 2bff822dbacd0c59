package lambdaauth

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"strings"

	"github.com/authwire/authwire/auth"
)

// ErrUnauthorized is the error an [Authorizer] returns for a caller who is
// not authenticated. API Gateway recognises an authorizer error by its
// text, and answers 401 only to exactly "Unauthorized" (any other error
// is a 500), hence the capital letter.
var ErrUnauthorized = errors.New("Unauthorized")

// Config configures an [Authorizer] beyond its credentials, which come
// from the auth options given to [New]. The zero Config allows every
// authenticated caller on the whole stage.
type Config struct {
	// Grants narrows what each group may invoke: a group name maps to
	// resources of the API's stage, written as the end of a method ARN,
	// "<VERB>/<path>", with IAM's wildcards ('*' matches any run of
	// characters, '/' included; '?' one character):
	//
	//	Grants: map[string][]string{
	//		"admin":  {"*"},                 // everything in the stage
	//		"viewer": {"GET/*"},             // read-only, every path
	//		"sales":  {"*/reports", "*/reports/*"},
	//	}
	//
	// A caller gets the resources of all their groups together; a caller
	// in none of the groups is denied (a Deny policy, 403). The verb is
	// GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or '*', and the path
	// has no leading '/' ("GET/" is the root resource). Nil grants allow
	// every authenticated caller the whole stage, "*".
	Grants map[string][]string
	// Require lists requirements every caller must meet, all of them,
	// such as auth.OneOf("staff"); a known caller who fails one is denied
	// (a Deny policy, 403).
	Require []auth.Requirement
	// Logger receives the authorizer's own reports (a refused event and
	// why, without credentials). Default: slog.Default() at New. The
	// guard's are configured with auth.WithLogger.
	Logger *slog.Logger
}

// Authorizer decides API Gateway Lambda authorizer events with authwire's
// guard. It is safe for concurrent use, and meant to be made once per
// function instance (outside the handler), so that warm invocations share
// its verified-credential cache and regulation counts.
type Authorizer struct {
	guard   *backend
	grants  map[string][]grant
	require []auth.Requirement
	log     *slog.Logger
	seed    maphash.Seed // keys clientAddr's stand-in addresses
}

// New returns an Authorizer whose credentials, groups and regulation are
// configured by opts, exactly as for auth.New (a credential source is
// required; see the package documentation for the choices). Errors wrap
// auth.ErrInvalidConfig.
func New(cfg Config, opts ...auth.Option) (*Authorizer, error) {
	grants, err := parseGrants(cfg.Grants)
	if err != nil {
		return nil, err
	}
	if slices.Contains(cfg.Require, nil) {
		return nil, fmt.Errorf("%w: lambdaauth: a nil requirement in Config.Require", auth.ErrInvalidConfig)
	}
	b := &backend{}
	if _, err := auth.New(b, opts...); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Authorizer{guard: b, grants: grants, require: slices.Clone(cfg.Require), log: log, seed: maphash.MakeSeed()}, nil
}

// outcome is what an Authorizer decided about one event.
type outcome int

const (
	unauthorized outcome = iota // not authenticated: ErrUnauthorized
	forbidden                   // authenticated, refused: deny
	allowed                     // authenticated, allowed
)

// decision is an outcome with the caller and what they are granted.
type decision struct {
	outcome outcome
	id      *auth.Identity
	// grants are the caller's resources; nil means the whole stage.
	grants []grant
}

// decide runs the guard on req and judges the identity it recognised.
func (a *Authorizer) decide(ctx context.Context, req *request) decision {
	x := newExchange(ctx, req, a.seed)
	if !a.guard.guard(x) {
		a.log.LogAttrs(ctx, slog.LevelInfo, "lambdaauth: unauthorized", slog.Int("guard_status", x.status))
		return decision{outcome: unauthorized}
	}
	id := x.identity()
	if id == nil {
		a.log.LogAttrs(ctx, slog.LevelInfo, "lambdaauth: unauthorized: the guard let the request through without an identity (a public or optional route?)",
			slog.String("path", req.path))
		return decision{outcome: unauthorized}
	}
	for _, r := range a.require {
		if r.Check(id) != auth.DecisionAllow {
			a.log.LogAttrs(ctx, slog.LevelInfo, "lambdaauth: forbidden by Config.Require", slog.String("user", id.User))
			return decision{outcome: forbidden, id: id}
		}
	}
	if a.grants == nil {
		return decision{outcome: allowed, id: id}
	}
	var gs []grant
	for _, g := range id.Groups {
		gs = append(gs, a.grants[g]...)
	}
	if len(gs) == 0 {
		a.log.LogAttrs(ctx, slog.LevelInfo, "lambdaauth: forbidden: no grant for the caller's groups", slog.String("user", id.User))
		return decision{outcome: forbidden, id: id}
	}
	return decision{outcome: allowed, id: id, grants: gs}
}

// authContext is the context an authorizer hands the integration.
func authContext(id *auth.Identity) map[string]any {
	return map[string]any{"user": id.User, "groups": strings.Join(id.Groups, ",")}
}
