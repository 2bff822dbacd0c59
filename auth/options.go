package auth

import (
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"
)

// Option configures [New]. Options that cannot be satisfied make New fail
// with an error wrapping [ErrInvalidConfig].
type Option func(*config) error

// config collects what the options ask for; New validates and builds it.
type config struct {
	realm       string
	maxHeader   int
	log         *slog.Logger
	now         func() time.Time
	public      []string
	cacheTTL    time.Duration
	maxHashes   int
	fileRecheck time.Duration

	// Exactly one credential source may be set; credNames records which
	// options set one, for the error message.
	credNames  []string
	users      []userEntry
	hashed     bool
	htpasswd   string
	verifyFn   VerifyFunc
	userSource UserSource

	groupNames []string
	userGroups map[string][]string
	groupsFn   GroupsFunc
	htgroup    string

	sectionOpts sectionOptions

	extra []Authenticator

	sockets  []string
	optional []string

	sessions         *SessionConfig
	login            *LoginConfig
	regulator        Regulator
	regulationPolicy RegulationPolicy
	regulationOff    bool
	proxies          trustedProxies
	forward          *ForwardAuthConfig
	methods          []LoginMethod
	trustedOrigins   []string
}

// Defaults. Each is documented on the option that changes it.
const (
	DefaultRealm          = "Restricted"
	DefaultMaxHeaderBytes = 8 << 10
	DefaultVerifyCacheTTL = 5 * time.Minute
	DefaultFileRecheck    = time.Second
)

func defaultConfig() config {
	return config{
		realm:       DefaultRealm,
		maxHeader:   DefaultMaxHeaderBytes,
		log:         slog.Default(),
		now:         time.Now,
		cacheTTL:    DefaultVerifyCacheTTL,
		maxHashes:   max(1, runtime.GOMAXPROCS(0)-1),
		fileRecheck: DefaultFileRecheck,

		regulationPolicy: DefaultRegulationPolicy(),
	}
}

func (c *config) credential(name string) {
	c.credNames = append(c.credNames, name)
}

// WithUsers sets the users and their plaintext passwords. Passwords are
// compared in constant time; only their SHA-256 digests, and keyed tags of
// each user's Basic header, are kept. User names must be non-empty and
// hold no colon; passwords must be non-empty.
func WithUsers(users map[string]string) Option {
	return func(c *config) error {
		c.credential("WithUsers")
		for name, pw := range users {
			c.users = append(c.users, userEntry{name, pw})
		}
		return nil
	}
}

// WithUserPairs sets the users from a list of {user, plaintext password}
// pairs, as read from a config file. A later pair for the same user
// replaces an earlier one.
func WithUserPairs(pairs ...[2]string) Option {
	return func(c *config) error {
		c.credential("WithUserPairs")
		for _, p := range pairs {
			c.users = append(c.users, userEntry{p[0], p[1]})
		}
		return nil
	}
}

// WithHashedUsers sets the users and their password hashes: bcrypt
// ($2y$, $2a$, $2b$), argon2id PHC strings, Apache $apr1$ or {SHA}, as
// [HashPassword] or htpasswd make them. A value that is not such a hash
// makes New fail.
func WithHashedUsers(users map[string]string) Option {
	return func(c *config) error {
		c.credential("WithHashedUsers")
		c.hashed = true
		for name, h := range users {
			c.users = append(c.users, userEntry{name, h})
		}
		return nil
	}
}

// WithHtpasswdFile reads users from an Apache htpasswd file (the formats of
// [WithHashedUsers]). The file is checked for changes at most once per
// [WithFileRecheck] interval and re-read when it changed; if the new
// content is broken, the previous users stay and an error is logged.
func WithHtpasswdFile(path string) Option {
	return func(c *config) error {
		c.credential("WithHtpasswdFile")
		c.htpasswd = path
		return nil
	}
}

// WithVerifyFunc checks passwords with fn instead of a stored table. Its
// results are not cached: fn decides its own cost.
func WithVerifyFunc(fn VerifyFunc) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("%w: WithVerifyFunc(nil)", ErrInvalidConfig)
		}
		c.credential("WithVerifyFunc")
		c.verifyFn = fn
		return nil
	}
}

// WithUserGroups sets each user's groups: the map is keyed by user name.
func WithUserGroups(groups map[string][]string) Option {
	return func(c *config) error {
		c.groupNames = append(c.groupNames, "WithUserGroups")
		c.userGroups = groups
		return nil
	}
}

// WithGroupsFunc looks each user's groups up with fn on every
// authentication.
func WithGroupsFunc(fn GroupsFunc) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("%w: WithGroupsFunc(nil)", ErrInvalidConfig)
		}
		c.groupNames = append(c.groupNames, "WithGroupsFunc")
		c.groupsFn = fn
		return nil
	}
}

// WithHtgroupFile reads groups from an Apache htgroup file
// ("group: user1 user2" per line), re-read when it changes like
// [WithHtpasswdFile].
func WithHtgroupFile(path string) Option {
	return func(c *config) error {
		c.groupNames = append(c.groupNames, "WithHtgroupFile")
		c.htgroup = path
		return nil
	}
}

// WithRealm sets the realm of the Basic challenge. Default: [DefaultRealm].
func WithRealm(realm string) Option {
	return func(c *config) error {
		if realm == "" || strings.ContainsFunc(realm, isCTL) {
			return fmt.Errorf("%w: the realm must be non-empty printable text", ErrInvalidConfig)
		}
		c.realm = realm
		return nil
	}
}

// WithMaxHeaderBytes sets the largest Authorization header accepted; a
// larger one is answered with 431. Default: [DefaultMaxHeaderBytes].
func WithMaxHeaderBytes(n int) Option {
	return func(c *config) error {
		if n < 64 {
			return fmt.Errorf("%w: WithMaxHeaderBytes(%d) is below 64", ErrInvalidConfig, n)
		}
		c.maxHeader = n
		return nil
	}
}

// WithPublicRoutes lets requests for the given patterns through without
// authentication: no credentials are read, and every caller is anonymous
// there, a logged-in one too ([FromContext] gives nil), which keeps
// public pages cheap and free of per-user state. For routes that anyone
// may reach but that should still recognise a logged-in caller, use
// [WithOptionalAuthRoutes].
//
// Patterns use Flask syntax (/user/<id>/public, <int:id>, <path:rest>)
// or Go's (/user/{id}/public, {rest...}); Gin and Fiber spellings ("*",
// ":id") are refused. See the README for the exact matching rules.
// Nothing is public by default, not even /healthz.
func WithPublicRoutes(patterns ...string) Option {
	return func(c *config) error {
		c.public = append(c.public, patterns...)
		return nil
	}
}

// WithLogger sets the logger. Default: slog.Default() at the time of New.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: WithLogger(nil)", ErrInvalidConfig)
		}
		c.log = l
		return nil
	}
}

// WithClock replaces time.Now, for tests of expiry.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: WithClock(nil)", ErrInvalidConfig)
		}
		c.now = now
		return nil
	}
}

// WithVerifyCacheTTL sets how long a successfully verified password hash
// is remembered (keyed by a keyed hash of the credential, never the
// password).
// Zero turns the cache off. Default: [DefaultVerifyCacheTTL].
func WithVerifyCacheTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: negative verify cache TTL", ErrInvalidConfig)
		}
		c.cacheTTL = d
		return nil
	}
}

// WithMaxConcurrentHashes caps how many password hashes run at once;
// further checks wait for a slot. Default: GOMAXPROCS − 1, at least 1,
// so that a flood of password guesses leaves a core to the callers who
// have a session or a cached credential.
func WithMaxConcurrentHashes(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithMaxConcurrentHashes(%d) is below 1", ErrInvalidConfig, n)
		}
		c.maxHashes = n
		return nil
	}
}

// WithFileRecheck sets how often htpasswd and htgroup files are checked
// for changes. Zero checks on every request. Default: [DefaultFileRecheck].
func WithFileRecheck(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: negative file recheck interval", ErrInvalidConfig)
		}
		c.fileRecheck = d
		return nil
	}
}

// WithAuthenticator appends a custom authenticator to the chain, after the
// built-in ones.
func WithAuthenticator(a Authenticator) Option {
	return func(c *config) error {
		if a == nil {
			return fmt.Errorf("%w: WithAuthenticator(nil)", ErrInvalidConfig)
		}
		c.extra = append(c.extra, a)
		return nil
	}
}

// WithWebSocketRoutes declares the paths (public-route syntax) that serve
// WebSockets through package ws. A WebSocket handshake there that fails
// authentication is let through to the socket handler without an
// identity, which accepts it and closes it with 4401 (a browser cannot
// read an HTTP 401 on an upgrade). Every other request on those paths is
// guarded as usual, so serve nothing but a ws handler there.
func WithWebSocketRoutes(patterns ...string) Option {
	return func(c *config) error {
		c.sockets = append(c.sockets, patterns...)
		return nil
	}
}

// WithOptionalAuthRoutes declares routes (public-route syntax) where
// logging in is optional: anonymous callers reach them, and a caller who
// is logged in is recognised, so [FromContext] gives their identity and
// the handler decides (package callbacks serves its public and protected
// callbacks this way). Missing or wrong credentials there mean
// "anonymous", not 401; malformed ones are still refused with 400.
//
// Compare [WithPublicRoutes], where no credentials are read at all and
// every caller is anonymous.
func WithOptionalAuthRoutes(patterns ...string) Option {
	return func(c *config) error {
		c.optional = append(c.optional, patterns...)
		return nil
	}
}
