package auth

import (
	"context"
	"fmt"
	"strings"
)

// build turns a validated configuration into an Auth.
func build(cfg *config) (*Auth, error) {
	a := &Auth{replies: newReplies(), log: cfg.log, now: cfg.now, proxies: cfg.proxies, origins: newOriginCheck(cfg.trustedOrigins)}
	a.anonymous = context.WithValue(context.Background(), guardedKey{}, a)
	routes, err := compileRoutes(cfg.public)
	if err != nil {
		return nil, invalidConfig(err)
	}
	a.public.Store(&routes)
	sockets, err := compileRoutes(cfg.sockets)
	if err != nil {
		return nil, invalidConfig(err)
	}
	a.sockets.Store(&sockets)
	optional, err := compileRoutes(cfg.optional)
	if err != nil {
		return nil, invalidConfig(err)
	}
	a.optional.Store(&optional)

	basic, err := newBasic(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.login != nil && cfg.sessions == nil {
		return nil, fmt.Errorf("%w: WithLoginForm needs WithSessions", ErrInvalidConfig)
	}
	if cfg.login != nil && basic == nil {
		return nil, fmt.Errorf("%w: WithLoginForm needs a credential source", ErrInvalidConfig)
	}
	if cfg.sessions != nil {
		sm, err := newSessionManager(cfg)
		if err != nil {
			return nil, err
		}
		a.sessions = sm
		a.chain = append(a.chain, sm, basicRechallenge{sm})
		var pc *passwordCheck
		if basic != nil {
			pc = basic.passwords
		}
		sm.rights = pc
		if a.flow, err = newLoginFlow(cfg.login, cfg.realm, sm, pc); err != nil {
			return nil, err
		}
		a.flow.origins = a.origins
	}
	if basic != nil {
		a.basic = basic
		a.chain = append(a.chain, basic)
		a.fixedContexts = make(map[*Identity]context.Context, len(basic.passwords.identities))
		for _, id := range basic.passwords.identities {
			a.fixedContexts[id] = context.WithValue(context.Background(), identityKey{}, id)
		}
	}
	for _, au := range cfg.extra {
		a.chain = append(a.chain, customAuthenticator{au})
	}
	if len(a.chain) == 0 {
		return nil, fmt.Errorf("%w: no credentials configured (use WithUsers, WithHashedUsers, WithHtpasswdFile, WithUserSource, WithVerifyFunc or WithAuthenticator)", ErrInvalidConfig)
	}
	if len(cfg.methods) > 0 {
		if a.methods, err = installLoginMethods(cfg, a.sessions, a.flow); err != nil {
			return nil, err
		}
		a.flow.methods = a.methods
	}
	if cfg.forward != nil {
		if a.forward, err = newForwardAuth(cfg.forward, a, cfg.proxies, a.browserLogin()); err != nil {
			return nil, err
		}
	}
	var challenges []string
	for _, au := range a.chain {
		if c, ok := au.(Challenger); ok && c.Challenge() != "" {
			challenges = append(challenges, c.Challenge())
		}
	}
	a.challenge = strings.Join(challenges, ", ")
	return a, nil
}

// newBasic builds the Basic authenticator, or nil when no credential
// source is configured.
func newBasic(cfg *config) (*basicAuthenticator, error) {
	switch {
	case len(cfg.credNames) > 1:
		return nil, fmt.Errorf("%w: %s are credential sources; choose one", ErrInvalidConfig, listNames(cfg.credNames))
	case len(cfg.groupNames) > 1:
		return nil, fmt.Errorf("%w: %s are group sources; choose one", ErrInvalidConfig, listNames(cfg.groupNames))
	case len(cfg.credNames) == 0:
		if len(cfg.groupNames) > 0 {
			return nil, fmt.Errorf("%w: %s needs a credential source", ErrInvalidConfig, cfg.groupNames[0])
		}
		if len(cfg.sectionOpts.names) > 0 {
			return nil, fmt.Errorf("%w: %s needs a credential source", ErrInvalidConfig, cfg.sectionOpts.names[0])
		}
		return nil, nil
	}
	pc, err := newPasswordCheck(cfg)
	if err != nil {
		return nil, err
	}
	b := &basicAuthenticator{
		challenge: basicChallenge(cfg.realm),
		maxHeader: cfg.maxHeader,
		passwords: pc,
	}
	b.buffers.New = func() any { return new(credentialBuffer) }
	switch _, fixedGroups := pc.groups.(staticGroups); {
	case !cfg.hashed && cfg.verifyFn == nil && cfg.htpasswd == "" && pc.identities != nil:
		key, err := newKeyedHash()
		if err != nil {
			return nil, err
		}
		b.known, b.knownKey = knownHeaders(key, cfg.users, pc.identities), key
	case pc.creds != nil && (fixedGroups || pc.groups == noGroups{}) && pc.fixedSections():
		b.seen = pc.creds
	}
	return b, nil
}

// newPasswordCheck builds the credential, group and regulation sources.
func newPasswordCheck(cfg *config) (*passwordCheck, error) {
	pc := &passwordCheck{fn: cfg.verifyFn, groups: noGroups{}, proxies: cfg.proxies, log: cfg.log}
	var src credentialSource
	switch {
	case cfg.verifyFn != nil:
	case cfg.userSource != nil:
		s, err := newSourcedCredentials(cfg.userSource, cfg.log)
		if err != nil {
			return nil, err
		}
		src = s
	case cfg.htpasswd != "":
		f, err := openHtpasswd(cfg.htpasswd, cfg.fileRecheck, cfg.now, cfg.log)
		if err != nil {
			return nil, invalidConfig(err)
		}
		src = f
	default:
		s, err := newStaticCredentials(cfg.users, cfg.hashed)
		if err != nil {
			return nil, err
		}
		src = s
	}
	if src != nil {
		cache, err := newVerifiedCache(cfg.cacheTTL, cfg.now)
		if err != nil {
			return nil, err
		}
		pc.creds = newVerifier(src, cache, cfg.maxHashes, cfg.log)
	}
	switch {
	case cfg.userGroups != nil:
		g, err := newStaticGroups(cfg.userGroups)
		if err != nil {
			return nil, err
		}
		pc.groups = g
	case cfg.groupsFn != nil:
		pc.groups = funcGroups(cfg.groupsFn)
	case cfg.htgroup != "":
		f, err := openHtgroup(cfg.htgroup, cfg.fileRecheck, cfg.now, cfg.log)
		if err != nil {
			return nil, invalidConfig(err)
		}
		pc.groups = fileGroups{f}
	}
	sections, err := newSectionSource(cfg)
	if err != nil {
		return nil, err
	}
	pc.sections = sections
	pc.identities = prebuiltIdentities(src, pc)
	pc.reg = regulation{log: cfg.log}
	switch {
	case cfg.regulationOff:
	case cfg.regulator != nil:
		pc.reg.r = cfg.regulator
	default:
		r, err := NewMemoryRegulator(cfg.regulationPolicy, cfg.now)
		if err != nil {
			return nil, err
		}
		pc.reg.r = r
	}
	return pc, nil
}

// prebuiltIdentities builds every user's Identity once when neither the
// users nor their groups and sections can change, so that authenticating
// allocates none.
func prebuiltIdentities(src credentialSource, pc *passwordCheck) map[string]*Identity {
	users, ok := src.(*staticCredentials)
	if !ok || !pc.fixedSections() {
		return nil
	}
	sections, _ := pc.sections.(staticGroups)
	var fixed staticGroups
	switch g := pc.groups.(type) {
	case noGroups:
	case staticGroups:
		fixed = g
	default:
		return nil
	}
	ids := make(map[string]*Identity, len(users.users))
	for name := range users.users {
		ids[name] = newIdentity(name, "basic", fixed[name])
		ids[name].Sections = sections[name]
	}
	return ids
}

// listNames joins option names for a message: "A and B", "A, B and C".
func listNames(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
