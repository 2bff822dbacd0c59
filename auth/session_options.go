package auth

import (
	"fmt"
	"html/template"
	"time"
)

// SessionConfig configures sessions ([WithSessions]). Zero fields take the
// defaults given on each.
type SessionConfig struct {
	// Keys are the cookie store's key pairs (hash key, block key), newest
	// pair first: new cookies use the first pair, and cookies made under
	// any pair are read, so keys can be rotated without logging everyone
	// out. Make a random pair with [GenerateKeyPair] (hash, block :=
	// auth.GenerateKeyPair(); Keys: [][]byte{hash, block}), or derive
	// pairs from passphrases with [KeysFromSecrets]. Required unless Store
	// is set.
	Keys [][]byte
	// Store keeps the sessions. Default: a [CookieStore] with Keys.
	Store SessionStore
	// Revocations remembers logged-out sessions. Default: in memory, per
	// process, forgotten at restart (New logs that). Package auth/boltstore
	// keeps them in a file on one machine; several processes need a shared
	// list, such as package auth/redisstore's.
	Revocations RevocationList
	// Index records each user's sessions, for [Auth.Sessions] and
	// back-channel logout. Default: Revocations when it is a
	// [SessionIndex] too (auth/boltstore's and auth/redisstore's stores
	// are), otherwise a [MemorySessionIndex], per process.
	Index SessionIndex
	// RecheckInterval is how often a session started with a password
	// (Basic or the login form) is held against the sources again: the
	// credential source (a user no longer there ends the session) and the
	// group and section sources (their answer now replaces the one at
	// login). A request within it uses the rights last read, at the cost
	// of an atomic load. Open WebSockets are held against them as often
	// as ws.Config.RecheckInterval says. Files are re-read when they
	// change (WithFileRecheck), so an edit takes effect within
	// RecheckInterval plus that. Default: 30 s; at least a second.
	RecheckInterval time.Duration
	// CookieName is the session cookie's name. Default: "authwire_session".
	CookieName string
	// Lifetime is the absolute lifetime of a session. Default: 12 hours.
	Lifetime time.Duration
	// IdleTimeout ends a session unused for this long. Default: 1 hour.
	IdleTimeout time.Duration
	// InsecureCookies drops the Secure attribute, for development over
	// plain http on a host other than localhost (browsers accept Secure
	// cookies from http://localhost). Default: false, cookies are Secure.
	InsecureCookies bool
}

// Session defaults.
const (
	DefaultSessionCookie   = "authwire_session"
	DefaultSessionLifetime = 12 * time.Hour
	DefaultIdleTimeout     = time.Hour
	DefaultRecheckInterval = 30 * time.Second
)

// WithSessions turns sessions on. A successful password check (Basic or
// the login form) then starts a session whose cookie authenticates later
// requests, WebSockets included, and POST /logout (see [LoginConfig])
// ends it for good. Cookies are HttpOnly, SameSite=Lax, Secure (unless
// InsecureCookies) and Path=/.
func WithSessions(cfg SessionConfig) Option {
	return func(c *config) error {
		if c.sessions != nil {
			return fmt.Errorf("%w: WithSessions given twice", ErrInvalidConfig)
		}
		c.sessions = &cfg
		return nil
	}
}

// LoginConfig configures the login form ([WithLoginForm]) and the logout
// endpoint. Zero fields take the defaults given on each.
type LoginConfig struct {
	// Path serves the form (GET) and takes it (POST). Default: "/login".
	Path string
	// LogoutPath ends the session on POST. Default: "/logout".
	LogoutPath string
	// Title is shown on the form. Default: the realm.
	Title string
	// Template replaces the built-in page. It is executed with a
	// [LoginPage].
	Template *template.Template
	// AllowedRedirectHosts are the hosts that "next" may name in an
	// absolute URL; by default only paths on this site are followed.
	AllowedRedirectHosts []string
	// MaxBodyBytes is the largest form accepted; more is answered with
	// 413. Default: 8 KiB.
	MaxBodyBytes int
}

// LoginPage is what the login template is executed with.
type LoginPage struct {
	Title     string // the page title
	Action    string // the form's action (the login path)
	CSRFToken string // the value of the hidden csrf_token field
	Next      string // where to go after login, already validated
	User      string // the user name tried, after a failure
	Error     string // a generic failure message, or ""
	// Methods are the login methods' entries (WithLoginMethod), in the
	// order they were given; none without login methods.
	Methods []LoginLink
	// SSO and SSOName are the first method's URL and Label, for a
	// template written for one method; "" without login methods.
	SSO, SSOName string
}

// WithLoginForm serves a login form and sends browsers that are not logged
// in to it (303 with ?next=), while API callers keep getting 401. It needs
// [WithSessions] and a credential source.
func WithLoginForm(cfg LoginConfig) Option {
	return func(c *config) error {
		if c.login != nil {
			return fmt.Errorf("%w: WithLoginForm given twice", ErrInvalidConfig)
		}
		c.login = &cfg
		return nil
	}
}

// WithRegulator replaces the in-memory brute-force regulator, for example
// with one shared by several processes (auth/redisstore's
// Store.Regulator). Every password check (Basic and the form) is
// regulated by user and by client address.
func WithRegulator(r Regulator) Option {
	return func(c *config) error {
		if r == nil {
			return fmt.Errorf("%w: WithRegulator(nil); use WithoutRegulation to turn regulation off", ErrInvalidConfig)
		}
		c.regulator = r
		return nil
	}
}

// WithRegulationPolicy changes the in-memory regulator's policy. Default:
// [DefaultRegulationPolicy].
func WithRegulationPolicy(p RegulationPolicy) Option {
	return func(c *config) error {
		if err := p.Validate(); err != nil {
			return err
		}
		c.regulationPolicy = p
		return nil
	}
}

// WithoutRegulation turns brute-force regulation off. Only for tests and
// for deployments that regulate in front of authwire.
func WithoutRegulation() Option {
	return func(c *config) error {
		c.regulationOff = true
		return nil
	}
}

// WithTrustedProxies lists the proxies (CIDRs or single addresses) whose
// forwarding headers are believed: X-Forwarded-For when finding the
// client address for brute-force regulation, and, for the forward-auth
// endpoint ([WithForwardAuth]), the X-Forwarded-* and X-Original-*
// headers that say which request a proxy asks about. Default: none; the
// TCP peer is the client, and forward-auth requests from elsewhere are
// judged without those headers.
func WithTrustedProxies(cidrs ...string) Option {
	return func(c *config) error {
		p, err := parseTrustedProxies(cidrs)
		if err != nil {
			return err
		}
		c.proxies = p
		return nil
	}
}
