package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/authwire/authwire/backends"
)

// sessionManager issues, reads, refreshes and revokes sessions, and is the
// Authenticator for the session cookie.
type sessionManager struct {
	store      SessionStore
	revs       RevocationList
	userRevs   UserRevocationList // revs, when it can revoke users; else nil
	index      SessionIndex
	proxies    trustedProxies
	cookieName string
	secure     bool
	lifetime   time.Duration
	idle       time.Duration
	touchEvery time.Duration
	now        func() time.Time
	log        *slog.Logger
	// cache remembers verified cookies; nil unless store is a CookieStore.
	cache *sessionCache
	// tracker keeps each session's last use here and its rights.
	tracker *sessionTracker
	// rights re-reads a password session's user, groups and sections
	// from their sources every recheck; nil without a credential source.
	rights *passwordCheck
	// refreshers are the login methods whose sessions follow their
	// source, by name; set by installLoginMethods, before any request.
	refreshers   map[string]Refresher
	recheck      time.Duration
	hooksMu      sync.Mutex
	onRevoke     []func(ctx context.Context, id string)
	onUserRevoke []func(user string, before time.Time)
}

// Authenticate recognises a caller from the session cookie. A cookie that
// does not decode, has expired (absolute lifetime or idle timeout) or was
// revoked counts as no credentials, and is cleared; the caller can still
// authenticate another way. When the store or the revocation list fails,
// the caller is not recognised either, but the cookie is kept. A session
// in use is refreshed (its last-seen time rewritten) at most once per
// touchEvery. A password session's rights follow their sources (see
// [sessionManager.rightsOf]). With a [CookieStore], a cookie seen before
// is not decoded again: see [sessionCache] for what that keeps exact.
func (m *sessionManager) Authenticate(x backends.Exchange) (*Identity, error) {
	var (
		tag   keyedDigest
		entry *cachedSession
		s     *Session
		value string
	)
	if m.cache != nil {
		tag, entry, value = m.cached(x)
		if entry != nil {
			s = &entry.session
		}
	} else {
		value = x.Cookie(m.cookieName)
	}
	if s == nil && value == "" {
		return nil, ErrNoCredentials
	}
	ctx := x.Context()
	if s == nil {
		var err error
		if s, err = m.store.Load(ctx, value); err != nil {
			if errors.Is(err, ErrNoSession) {
				m.clearCookie(x)
			} else {
				// The store failed (Redis away, say): not logged in for
				// now, but the cookie is kept for when it is back.
				m.log.LogAttrs(ctx, slog.LevelError, "authwire: loading a session failed", slog.String("error", err.Error()))
			}
			return nil, ErrNoCredentials
		}
	}
	now := m.now().Unix()
	var live *liveSession
	if entry != nil {
		live = entry.live
	} else {
		live = m.tracker.get(s.ID, s.LastSeen, now-m.idleSeconds())
	}
	if !m.live(s, max(s.LastSeen, live.seen.Load()), now) {
		m.drop(x, tag, entry)
		return nil, ErrNoCredentials
	}
	revoked, err := m.revokedSession(ctx, s)
	if err != nil {
		// Fail closed: a session that cannot be checked is not trusted.
		m.log.LogAttrs(ctx, slog.LevelError, "authwire: checking revocation failed", slog.String("error", err.Error()))
		return nil, ErrNoCredentials
	}
	if revoked {
		m.drop(x, tag, entry)
		return nil, ErrNoCredentials
	}
	id, err := m.rightsOf(ctx, s, live, now, entry == nil)
	if err != nil { // the user is gone from the credential source
		_ = m.revoke(ctx, s.ID, s.User, timeOf(s.ExpiresAt))
		m.drop(x, tag, entry)
		return nil, ErrNoCredentials
	}
	every := int64(m.touchEvery / time.Second)
	if m.cache == nil {
		live.touch(now)
		if now-s.LastSeen >= every {
			m.refresh(ctx, x, s, now)
		}
		return id, nil
	}
	if entry == nil {
		entry = m.cache.put(tag, s, live)
	}
	if entry.use(now, every) {
		refreshed := entry.session
		m.refresh(ctx, x, &refreshed, now)
	}
	return id, nil
}

// cached looks the request's session cookie up in the session cache. It
// returns the cookie's tag and its entry on a hit; on a miss, the cookie
// value (from Cookie, "" when there is none) and its tag.
//
// When the exchange can show the cookie without copying or checking it
// ([backends.CookiePeeker]), the cache is asked with that first: the
// cache holds only values that were checked and verified, so a hit is
// such a value, and a request that carries one pays neither the copy nor
// the check. On a miss Cookie reads the value, and it is hashed again
// only if it is not the one peeked at (a later cookie of the name, when
// the first holds bytes a cookie may not).
func (m *sessionManager) cached(x backends.Exchange) (keyedDigest, *cachedSession, string) {
	var tag keyedDigest
	peeked := ""
	if p, ok := x.(backends.CookiePeeker); ok {
		if peeked = p.PeekCookie(m.cookieName); peeked == "" {
			// No cookie of the name, or an empty first one: Cookie
			// would answer "" too, so a request without a session
			// cookie reads the header once.
			return tag, nil, ""
		}
		tag = m.cache.tags.sumString(peeked)
		if entry := m.cache.get(tag); entry != nil {
			return tag, entry, ""
		}
	}
	value := x.Cookie(m.cookieName)
	if value == "" {
		return tag, nil, ""
	}
	if value != peeked {
		tag = m.cache.tags.sumString(value)
		if entry := m.cache.get(tag); entry != nil {
			return tag, entry, ""
		}
	}
	return tag, nil, value
}

// drop forgets a cookie value that no longer names a live session, and
// tells the browser to drop it too.
func (m *sessionManager) drop(x backends.Exchange, tag keyedDigest, entry *cachedSession) {
	if entry != nil {
		m.cache.forget(tag)
	}
	m.clearCookie(x)
}

// idleSeconds is the idle timeout in seconds.
func (m *sessionManager) idleSeconds() int64 { return int64(m.idle / time.Second) }

// refresh rewrites s's last-seen time to now, sends its new cookie and
// updates its record in the index.
func (m *sessionManager) refresh(ctx context.Context, x backends.Exchange, s *Session, now int64) {
	s.LastSeen = now
	if err := m.save(ctx, x, s); err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "authwire: refreshing a session failed", slog.String("error", err.Error()))
		return
	}
	m.record(ctx, x, s, "")
}

// record writes s's record to the index: who, from where, when. A
// failure is logged; the session goes on.
func (m *sessionManager) record(ctx context.Context, x backends.Exchange, s *Session, providerSession string) {
	ua := x.Header("User-Agent")
	if len(ua) > MaxRecordedUserAgent {
		ua = ua[:MaxRecordedUserAgent]
	}
	client := ""
	if addr := m.proxies.clientAddr(x); addr.IsValid() {
		client = addr.String()
	}
	r := SessionRecord{
		ID: s.ID, User: s.User, Provider: s.Provider, ProviderSession: providerSession,
		Created: timeOf(s.IssuedAt), LastSeen: timeOf(s.LastSeen), Expires: timeOf(s.ExpiresAt),
		Client: client, UserAgent: ua,
	}
	if providerSession == "" && !passwordProvider(s.Provider) {
		// A refresh keeps what the login recorded of the provider (a
		// password login has no provider session, so its refresh needs
		// no read of the index: with Redis, a round trip saved).
		if recs, err := m.index.List(ctx, s.User); err == nil {
			for _, old := range recs {
				if old.ID == s.ID {
					r.ProviderSession = old.ProviderSession
				}
			}
		}
	}
	if err := m.index.Put(ctx, r); err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "authwire: recording a session in the index failed", slog.String("error", err.Error()))
	}
}

// live reports whether s is, at Unix second t, within its lifetime and
// within the idle timeout of lastSeen, and was not issued in the future.
func (m *sessionManager) live(s *Session, lastSeen, t int64) bool {
	return t < s.ExpiresAt && t < lastSeen+m.idleSeconds() && s.IssuedAt <= t+60
}

// identity is the Identity a session stands for. The groups are
// normalised here, as they enter from the store: a custom or shared store
// may hand back any order (a copy is made only then).
func (m *sessionManager) identity(s *Session) *Identity {
	id := &Identity{
		User:      s.User,
		Groups:    normalizeGroups(s.Groups),
		Sections:  normalizeSections(s.Sections),
		Provider:  s.Provider,
		SessionID: s.ID,
		IssuedAt:  time.Unix(s.IssuedAt, 0),
		ExpiresAt: time.Unix(s.ExpiresAt, 0),
	}
	if s.Email != "" {
		id.Claims = map[string]any{"email": s.Email}
	}
	return id
}

// start creates a fresh session for id, with a new random ID whatever
// the request carried (no fixation), and sets its cookie.
func (m *sessionManager) start(ctx context.Context, x backends.Exchange, id *Identity) (*Session, error) {
	sid, err := newSessionID()
	if err != nil {
		return nil, err
	}
	now := m.now().Unix()
	s := &Session{
		ID:        sid,
		User:      id.User,
		Groups:    id.Groups,
		Sections:  id.Sections,
		Provider:  id.Provider,
		IssuedAt:  now,
		LastSeen:  now,
		ExpiresAt: now + int64(m.lifetime/time.Second),
	}
	if email, ok := id.Claims["email"].(string); ok {
		s.Email = email
	}
	if err := m.save(ctx, x, s); err != nil {
		return nil, err
	}
	sid, _ = id.Claims["sid"].(string)
	m.record(ctx, x, s, sid)
	return s, nil
}

// save stores s and sets its cookie. With the session cache, the new
// value is known good, so it is cached at once: the request that brings
// it back needs no decoding.
func (m *sessionManager) save(ctx context.Context, x backends.Exchange, s *Session) error {
	value, err := m.store.Save(ctx, s)
	if err != nil {
		return err
	}
	if m.cache != nil {
		live := m.tracker.get(s.ID, s.LastSeen, m.now().Unix()-m.idleSeconds())
		m.cache.put(m.cache.tags.sumString(value), s, live)
	}
	maxAge := int(s.ExpiresAt - m.now().Unix())
	if maxAge < 1 {
		maxAge = 1
	}
	x.SetCookie(m.cookie(m.cookieName, value, maxAge, http.SameSiteLaxMode))
	return nil
}

// revoke ends the session with ID id of user (which may be "" when it
// is not known): it is put on the revocation list until it would have
// expired anyway, its record leaves the index, and every revocation hook
// runs (the WebSocket hub closes the session's sockets).
func (m *sessionManager) revoke(ctx context.Context, id, user string, expires time.Time) error {
	if err := m.revs.Revoke(ctx, id, expires); err != nil {
		return err
	}
	m.tracker.forget(id)
	if user != "" {
		if err := m.index.Remove(ctx, user, id); err != nil {
			m.log.LogAttrs(ctx, slog.LevelError, "authwire: removing a session from the index failed", slog.String("error", err.Error()))
		}
	}
	m.hooksMu.Lock()
	hooks := m.onRevoke
	m.hooksMu.Unlock()
	for _, f := range hooks {
		f(ctx, id)
	}
	return nil
}

// clearCookie tells the browser to drop the session cookie.
func (m *sessionManager) clearCookie(x backends.Exchange) {
	x.SetCookie(m.cookie(m.cookieName, "", -1, http.SameSiteLaxMode))
}

// cookie builds a cookie with every security attribute set explicitly.
func (m *sessionManager) cookie(name, value string, maxAge int, sameSite http.SameSite) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   m.secure,
		SameSite: sameSite,
	}
}

// newSessionID returns 32 random bytes, base64url-encoded.
func newSessionID() (string, error) {
	var b [32]byte
	if err := randomBytes(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// newSessionManager builds the session machinery from cfg.sessions.
func newSessionManager(cfg *config) (*sessionManager, error) {
	sc := cfg.sessions
	m := &sessionManager{
		store:      sc.Store,
		revs:       sc.Revocations,
		cookieName: sc.CookieName,
		secure:     !sc.InsecureCookies,
		lifetime:   sc.Lifetime,
		idle:       sc.IdleTimeout,
		index:      sc.Index,
		proxies:    cfg.proxies,
		tracker:    newSessionTracker(),
		refreshers: make(map[string]Refresher),
		recheck:    sc.RecheckInterval,
		now:        cfg.now,
		log:        cfg.log,
	}
	if m.cookieName == "" {
		m.cookieName = DefaultSessionCookie
	}
	if (&http.Cookie{Name: m.cookieName, Value: "x"}).Valid() != nil {
		return nil, fmt.Errorf("%w: %q is not a valid cookie name", ErrInvalidConfig, m.cookieName)
	}
	if m.lifetime == 0 {
		m.lifetime = DefaultSessionLifetime
	}
	if m.idle == 0 {
		m.idle = DefaultIdleTimeout
	}
	if m.lifetime < time.Minute || m.idle < time.Minute {
		return nil, fmt.Errorf("%w: session Lifetime and IdleTimeout must be at least a minute", ErrInvalidConfig)
	}
	m.touchEvery = min(time.Minute, m.idle/4)
	switch {
	case m.recheck == 0:
		m.recheck = DefaultRecheckInterval
	case m.recheck < time.Second:
		return nil, fmt.Errorf("%w: session RecheckInterval must be at least a second", ErrInvalidConfig)
	}
	switch {
	case m.store == nil && len(sc.Keys) == 0:
		return nil, fmt.Errorf("%w: WithSessions needs Keys (see GenerateKeyPair and KeysFromSecrets) or a Store", ErrInvalidConfig)
	case m.store == nil:
		s, err := NewCookieStore(m.lifetime, sc.Keys...)
		if err != nil {
			return nil, err
		}
		m.store = s
	}
	if _, ok := m.store.(*CookieStore); ok {
		c, err := newSessionCache()
		if err != nil {
			return nil, err
		}
		m.cache = c
	}
	if m.revs == nil {
		m.revs = NewMemoryRevocations(cfg.now)
		cfg.log.Warn("authwire: revocations are kept in memory, so a logout is forgotten when the process restarts " +
			"and a copy of the cookie works again; keep them in a file with auth/boltstore (one machine) or in Redis with auth/redisstore")
	}
	m.userRevs, _ = m.revs.(UserRevocationList)
	if m.index == nil {
		if idx, ok := m.revs.(SessionIndex); ok {
			m.index = idx
		} else {
			m.index = NewMemorySessionIndex(cfg.now)
		}
	}
	return m, nil
}

// timeOf converts Unix seconds to a time.Time.
func timeOf(unix int64) time.Time { return time.Unix(unix, 0) }

// CSRFToken returns the anti-forgery token a page must send with POST
// /logout (as the csrf_token form field or the X-CSRF-Token header) for
// the session in ctx, or "" when ctx carries no session. The token is a
// hash of the session ID, with no key, so every process agrees on it and
// it tells nothing about the session keys; like the session ID itself,
// which it stands for, it is not to be logged or shown to others.
func (a *Auth) CSRFToken(ctx context.Context) string {
	id := FromContext(ctx)
	if a.sessions == nil || id == nil || id.SessionID == "" {
		return ""
	}
	return csrfToken("logout", id.SessionID)
}

// Revoke ends the session with the given ID everywhere: later requests
// with its cookie are refused and its WebSockets are closed.
func (a *Auth) Revoke(ctx context.Context, sessionID string) error {
	if a.sessions == nil {
		return ErrSessionsDisabled
	}
	return a.sessions.revoke(ctx, sessionID, "", a.sessions.now().Add(a.sessions.lifetime))
}
