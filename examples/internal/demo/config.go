// Package demo holds what the three demo apps (examples/nethttp,
// examples/gin, examples/fiber) share, so that they cannot drift: the
// configuration read from the environment, the authwire options, and the
// pages.
package demo

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/boltstore"
	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/auth/redisstore"
)

// DefaultAddr is where the demo listens unless ADDR says otherwise.
const DefaultAddr = "127.0.0.1:8050"

// makeSecret is the command the demo's messages give for making a
// SESSION_SECRET.
const makeSecret = "openssl rand -base64 32"

// Config is the demo's configuration, read from the environment.
type Config struct {
	// Addr is the listen address (ADDR).
	Addr string
	// Options configure authwire.
	Options []auth.Option
	// Log is the demo's logger.
	Log *slog.Logger
	// Redis is the shared store when REDIS_URL, REDIS_SENTINEL_ADDRS or
	// REDIS_CLUSTER_ADDRS is set, else nil.
	Redis *redisstore.Store
	// TLS is the server's TLS configuration when TLS_CERT and TLS_KEY are
	// set: serve HTTPS with it. Nil: serve plain HTTP.
	TLS *tls.Config

	closeStore func() error // closes Redis's client, or the state directory's file
	oidc       bool         // OpenID providers are configured
	loginPage  string       // the login form's path; "" with AUTH_MODE=basic
}

// Load reads the environment:
//
//   - ADDR: listen address (default 127.0.0.1:8050);
//   - SESSION_SECRET: the secret the session keys are derived from, with
//     argon2id, once at start (default: random keys, and sessions end
//     when the process does); a guessable one is refused with a message
//     saying to make one with `openssl rand -base64 32`;
//   - HTPASSWD, HTGROUPS: Apache files replacing the demo users
//     admin/admin (group admin) and viewer/viewer123 (group viewer);
//   - HTSECTIONS: a file in the htgroup format ("hr: alice bob",
//     "_all_: admin") giving the users' sections, replacing those of the
//     demo users: admin in every section (_all_), viewer in marketing;
//     with HTPASSWD and without it, users are in no section;
//   - AUTH_MODE=basic: Basic challenge only, no login page;
//   - TLS_CERT, TLS_KEY: PEM files of a certificate (its chain may
//     follow it) and its private key: serve HTTPS, session cookies are
//     always Secure, and responses carry Strict-Transport-Security (see
//     [HSTSFor]); the demo refuses to start if a file cannot be read or
//     the key is not the certificate's;
//   - INSECURE_COOKIES=1: session cookies without Secure, for plain http
//     on a host other than localhost; ignored, with a warning, with TLS;
//   - TRUSTED_PROXIES: comma-separated addresses or CIDRs of reverse
//     proxies whose X-Forwarded-* and X-Original-* headers are believed
//     (for the client's address, and for the page a forward-auth request
//     at GET /auth/verify asks about);
//   - ALLOWED_REDIRECT_HOSTS: comma-separated hosts (host or host:port)
//     the login form may send a browser back to, such as the sites an
//     nginx in front of the demo protects with /auth/verify;
//   - OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URL:
//     log in with an OpenID Connect provider too (the login page links to
//     it); the redirect URL is the callback registered at the provider,
//     such as http://ADDR/oidc/callback (https with TLS); OIDC_NAME
//     (default oidc) names the provider and OIDC_LABEL labels its link;
//     logout ends the session at the provider too when it can, which then
//     sends the browser to OIDC_POST_LOGOUT_REDIRECT_URL (registered
//     there) if it is set;
//   - OIDC2_ISSUER, OIDC2_CLIENT_ID, OIDC2_CLIENT_SECRET,
//     OIDC2_REDIRECT_URL, OIDC2_NAME (default oidc2), OIDC2_LABEL,
//     OIDC2_POST_LOGOUT_REDIRECT_URL: a second provider, listed beside
//     the first; its redirect URL needs a path of its own, such as
//     http://ADDR/oidc/oidc2/callback;
//   - STATE_DIR: where the revocation list is kept (revocations.db), so
//     that a logout outlives a restart; default authwire-demo under
//     $XDG_STATE_HOME or ~/.local/state; not used with Redis;
//   - SESSION_STORE: cookie (the default) keeps each session in its
//     sealed cookie; file keeps sessions server-side in the state
//     directory's file beside the revocations, so that they outlive a
//     restart even without SESSION_SECRET and a logout deletes them; not
//     with Redis, which keeps sessions in Redis;
//   - REDIS_URL (redis://host:port/db), or REDIS_SENTINEL_ADDRS with
//     REDIS_SENTINEL_MASTER, or REDIS_CLUSTER_ADDRS (see redisClient):
//     keep sessions, revocations and brute-force counters in Redis, so
//     that several demo processes share them; the demo fails to start if
//     Redis cannot be reached;
//   - DEBUG_ADDR: a loopback address (port 0 for any free one) on which
//     to serve net/http/pprof under /debug/pprof/ and [RuntimeStats] at
//     /debug/runtime, for profiling and for the load command
//     (examples/load); the demo prints "debug on http://ADDR".
func Load(getenv func(string) string, stdout io.Writer) (cfg Config, err error) {
	log := slog.New(slog.NewTextHandler(stdout, nil))
	cfg = Config{Addr: getenv("ADDR"), Log: log}
	defer func() {
		if err != nil {
			cfg.Close()
		}
	}()
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return cfg, fmt.Errorf("ADDR %q: %w", cfg.Addr, err)
	}

	sessionStore := getenv("SESSION_STORE")
	switch {
	case sessionStore != "" && sessionStore != "cookie" && sessionStore != "file":
		return cfg, fmt.Errorf("SESSION_STORE %q: want cookie (the default) or file", sessionStore)
	case sessionStore == "file" && (getenv("REDIS_URL") != "" || getenv("REDIS_SENTINEL_ADDRS") != "" || getenv("REDIS_CLUSTER_ADDRS") != ""):
		return cfg, errors.New("SESSION_STORE=file keeps sessions in the state directory, REDIS_URL in Redis (and so do REDIS_SENTINEL_ADDRS and REDIS_CLUSTER_ADDRS): set one of them")
	}
	var keys [][]byte
	if secret := getenv("SESSION_SECRET"); secret != "" {
		var err error
		if keys, err = auth.KeysFromSecrets(secret); err != nil {
			return cfg, fmt.Errorf("SESSION_SECRET: %w; for example: export SESSION_SECRET=\"$(%s)\"", err, makeSecret)
		}
	} else {
		h, b := auth.GenerateKeyPair()
		keys = [][]byte{h, b}
		if sessionStore != "file" {
			log.Warn("SESSION_SECRET is not set: using a random key, so sessions end when the demo stops; " +
				"to keep them, set a random secret with: export SESSION_SECRET=\"$(" + makeSecret + ")\"")
		}
	}

	if cfg.TLS, err = loadTLS(getenv, log); err != nil {
		return cfg, err
	}
	insecure := getenv("INSECURE_COOKIES") == "1"
	if insecure && cfg.TLS != nil {
		log.Warn("INSECURE_COOKIES=1 is ignored: the demo serves HTTPS (TLS_CERT), so session cookies are Secure")
		insecure = false
	}
	sessions := auth.SessionConfig{Keys: keys, InsecureCookies: insecure}
	opts := []auth.Option{
		auth.WithLogger(log),
		auth.WithRealm("authwire demo"),
		auth.WithPublicRoutes("/healthz", "/public/<path:rest>", "/user/<id>/public"),
	}
	rdb, what, err := redisClient(getenv)
	if err != nil {
		return cfg, err
	}
	if rdb == nil {
		// One machine: revocations in a file under the state directory,
		// so that a logout outlives a restart.
		dir, err := stateDir(getenv)
		if err != nil {
			return cfg, err
		}
		revs, err := boltstore.Open(filepath.Join(dir, "revocations.db"))
		if err != nil {
			return cfg, fmt.Errorf("STATE_DIR: %w", err)
		}
		sessions.Revocations, cfg.closeStore = revs, revs.Close
		if sessionStore == "file" {
			// Sessions server-side in the same file: they outlive a
			// restart, and a logout deletes them.
			sessions.Store = revs.Sessions(boltstore.SessionsConfig{IdleTimeout: sessions.IdleTimeout})
		}
	} else {
		store, closeRedis, err := openRedis(rdb, what, log)
		if err != nil {
			return cfg, err
		}
		reg, err := store.Regulator(auth.DefaultRegulationPolicy())
		if err != nil {
			closeRedis()
			return cfg, err
		}
		sessions.Store, sessions.Revocations = store, store
		opts = append(opts, auth.WithRegulator(reg))
		cfg.Redis, cfg.closeStore = store, closeRedis
	}
	opts = append(opts, auth.WithSessions(sessions))
	if path := getenv("HTPASSWD"); path != "" {
		if _, err := os.Stat(path); err != nil {
			return cfg, fmt.Errorf("HTPASSWD: %w", err)
		}
		opts = append(opts, auth.WithHtpasswdFile(path))
	} else {
		opts = append(opts, auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123"}))
	}
	if path := getenv("HTGROUPS"); path != "" {
		opts = append(opts, auth.WithHtgroupFile(path))
	} else if getenv("HTPASSWD") == "" {
		opts = append(opts, auth.WithUserGroups(map[string][]string{"admin": {"admin"}, "viewer": {"viewer"}}))
	}
	if path := getenv("HTSECTIONS"); path != "" {
		opts = append(opts, auth.WithSectionsFile(path))
	} else if getenv("HTPASSWD") == "" {
		opts = append(opts, auth.WithUserSections(map[string][]string{"admin": {auth.AllSections}, "viewer": {Marketing}}))
	}
	if proxies := commaList(getenv("TRUSTED_PROXIES")); len(proxies) > 0 {
		opts = append(opts, auth.WithTrustedProxies(proxies...))
	}
	opts = append(opts, auth.WithForwardAuth(auth.ForwardAuthConfig{}))
	// What OIDC refreshes need is kept where the sessions are: in the
	// state file on one machine, in Redis across several (which also
	// shares the back-channel logout tokens taken).
	var oidcStores func(*oidclogin.Config)
	if cfg.Redis != nil {
		oidcStores = func(c *oidclogin.Config) {
			c.TokenStore, c.ReplayCache = cfg.Redis.OIDCTokens(), cfg.Redis.OIDCReplays()
		}
	} else if file, ok := sessions.Revocations.(*boltstore.Store); ok {
		oidcStores = func(c *oidclogin.Config) { c.TokenStore = file.OIDCTokens() }
	}
	for _, p := range [...][2]string{{"OIDC_", "oidc"}, {"OIDC2_", "oidc2"}} {
		if o := oidcProvider(getenv, p[0], p[1], oidcStores); o != nil {
			opts = append(opts, o)
			cfg.oidc = true
		}
	}
	switch mode := getenv("AUTH_MODE"); mode {
	case "", "form":
		cfg.loginPage = "/login" // LoginConfig's default Path
		opts = append(opts, auth.WithLoginForm(auth.LoginConfig{
			Title:                "authwire demo",
			AllowedRedirectHosts: commaList(getenv("ALLOWED_REDIRECT_HOSTS")),
		}))
	case "basic":
	default:
		return cfg, fmt.Errorf("AUTH_MODE %q: want form (the default) or basic", mode)
	}
	if addr := getenv("DEBUG_ADDR"); addr != "" {
		stop, err := startDebug(addr, stdout)
		if err != nil {
			return cfg, err
		}
		closeStore := cfg.closeStore
		cfg.closeStore = func() error { return errors.Join(stop(), closeStore()) }
	}
	cfg.Options = opts
	return cfg, nil
}

// oidcProvider is the OpenID Connect provider the variables starting
// with prefix describe, named name unless <prefix>NAME says otherwise, or
// nil when <prefix>ISSUER is not set.
func oidcProvider(getenv func(string) string, prefix, name string, stores func(*oidclogin.Config)) auth.Option {
	issuer := getenv(prefix + "ISSUER")
	if issuer == "" {
		return nil
	}
	if n := getenv(prefix + "NAME"); n != "" {
		name = n
	}
	c := oidclogin.Config{
		Name:                  name,
		Label:                 getenv(prefix + "LABEL"),
		Issuer:                issuer,
		ClientID:              getenv(prefix + "CLIENT_ID"),
		ClientSecret:          getenv(prefix + "CLIENT_SECRET"),
		RedirectURL:           getenv(prefix + "REDIRECT_URL"),
		PostLogoutRedirectURL: getenv(prefix + "POST_LOGOUT_REDIRECT_URL"),
		Scopes:                commaList(getenv(prefix + "SCOPES")),
	}
	if stores != nil {
		stores(&c)
	}
	return auth.WithLoginMethod(oidclogin.New(c))
}

// stateDir returns the directory the demo keeps its state in: STATE_DIR,
// or else authwire-demo under the user's state directory
// ($XDG_STATE_HOME, by default ~/.local/state).
func stateDir(getenv func(string) string) (string, error) {
	if d := getenv("STATE_DIR"); d != "" {
		return d, nil
	}
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "authwire-demo"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no state directory: set STATE_DIR (%w)", err)
	}
	return filepath.Join(home, ".local", "state", "authwire-demo"), nil
}

// Close lets go of what Load opened: the state directory's file, or the
// Redis client. The Live made from the Config closes it itself.
func (c Config) Close() error {
	if c.closeStore == nil {
		return nil
	}
	return c.closeStore()
}

// commaList splits a comma-separated setting, dropping empty entries.
func commaList(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
