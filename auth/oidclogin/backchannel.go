package oidclogin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// Back-channel logout (OpenID Connect Back-Channel Logout 1.0): the
// provider POSTs a logout token, a JWT it signs, to the client's
// backchannel_logout_uri, server to server, when a session ends there.
// The endpoint verifies it, ends the sessions it names and answers 200;
// a token it refuses changes nothing and gets 400.

// backchannelEvent is the member of the events claim that makes a JWT a
// logout token.
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

const (
	// logoutTokenMaxAge is how old, by its iat claim, a logout token may
	// be: the provider posts it as the session ends. It is also how long
	// a token's jti is remembered, with clockSkew.
	logoutTokenMaxAge = 5 * time.Minute
	// clockSkew is how far the provider's clock may be from this one's.
	clockSkew = time.Minute
	// maxLogoutBody bounds the form the provider posts.
	maxLogoutBody = 16 << 10
	// maxJTI bounds the jti claim, which is kept.
	maxJTI = 256
)

// subjectSession is what a session's record keeps as its provider
// session when the ID token had no sid claim, so that a logout token
// naming only the subject finds it. A provider that names its sessions
// (sid) sends it in its logout tokens too.
func subjectSession(sub string) string { return "sub:" + sub }

// logoutToken is what a verified logout token says.
type logoutToken struct {
	sub, sid, jti string
	until         time.Time // until when its jti must be remembered
}

// backchannel answers the provider's POST of a logout token.
func (p *Provider) backchannel(x backends.Exchange) {
	ctx := x.Context()
	x.SetHeader("Cache-Control", "no-store")
	if x.Method() != http.MethodPost {
		x.SetHeader("Allow", "POST")
		logoutError(x, http.StatusMethodNotAllowed, "invalid_request", "the back-channel logout endpoint takes POST only")
		return
	}
	if mt, _, err := mime.ParseMediaType(x.Header("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		logoutError(x, http.StatusUnsupportedMediaType, "invalid_request", "the logout token must come as application/x-www-form-urlencoded")
		return
	}
	body, err := x.Body(maxLogoutBody)
	switch {
	case errors.Is(err, backends.ErrBodyTooLarge):
		logoutError(x, http.StatusRequestEntityTooLarge, "invalid_request", "the request body is too large")
		return
	case err != nil:
		logoutError(x, http.StatusBadRequest, "invalid_request", "the request body cannot be read")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || len(form["logout_token"]) != 1 || form.Get("logout_token") == "" {
		logoutError(x, http.StatusBadRequest, "invalid_request", "the request must hold one logout_token")
		return
	}
	meta, err := p.provider(ctx)
	if err != nil {
		p.sessions.Logger().LogAttrs(ctx, slog.LevelError, "authwire: the OIDC provider cannot be reached; a back-channel logout waits",
			slog.String("provider", p.cfg.Name), slog.String("error", err.Error()))
		logoutError(x, http.StatusServiceUnavailable, "temporarily_unavailable", "the provider's keys cannot be fetched; try again")
		return
	}
	lt, err := p.verifyLogoutToken(ctx, meta, form.Get("logout_token"))
	if err != nil {
		p.sessions.Logger().LogAttrs(ctx, slog.LevelWarn, "authwire: a back-channel logout token was refused",
			slog.String("provider", p.cfg.Name), slog.String("error", err.Error()))
		logoutError(x, http.StatusBadRequest, "invalid_request", "the logout token is not valid")
		return
	}
	key := p.cfg.Name + " " + lt.jti
	fresh, err := p.replays.Claim(ctx, key, lt.until)
	switch {
	case err != nil:
		p.sessions.Logger().LogAttrs(ctx, slog.LevelError, "authwire: the logout token replay cache failed",
			slog.String("provider", p.cfg.Name), slog.String("error", err.Error()))
		logoutError(x, http.StatusServiceUnavailable, "temporarily_unavailable", "the logout cannot be recorded now; try again")
		return
	case !fresh:
		p.sessions.Logger().LogAttrs(ctx, slog.LevelWarn, "authwire: a back-channel logout token was replayed",
			slog.String("provider", p.cfg.Name))
		logoutError(x, http.StatusBadRequest, "invalid_request", "the logout token was used already")
		return
	}
	ended, err := p.endSessions(ctx, lt)
	if err != nil {
		// Let the provider send the token again: Hydra, for one, retries
		// on a 5xx.
		_ = p.replays.Release(ctx, key)
		p.sessions.Logger().LogAttrs(ctx, slog.LevelError, "authwire: ending the sessions of a back-channel logout failed",
			slog.String("provider", p.cfg.Name), slog.String("error", err.Error()))
		logoutError(x, http.StatusServiceUnavailable, "temporarily_unavailable", "the sessions cannot be ended now; try again")
		return
	}
	p.sessions.Logger().LogAttrs(ctx, slog.LevelInfo, "authwire: back-channel logout",
		slog.String("provider", p.cfg.Name), slog.String("ended", ended))
	x.Write(http.StatusOK, "text/plain; charset=utf-8", nil)
}

// verifyLogoutToken checks raw as section 2.6 of the specification asks:
// signature, issuer and audience (go-oidc's verifier), iat present and
// recent, exp when present, the logout event, no nonce (an ID token is no
// logout token), sub or sid, and a jti.
func (p *Provider) verifyLogoutToken(ctx context.Context, meta *metadata, raw string) (*logoutToken, error) {
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, p.client), 10*time.Second)
	defer cancel()
	tok, err := meta.logoutVerifier.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	var claims map[string]json.RawMessage
	if err := tok.Claims(&claims); err != nil {
		return nil, err
	}
	now := time.Now()
	switch {
	case tok.IssuedAt.IsZero():
		return nil, errors.New("no iat claim")
	case tok.IssuedAt.Before(now.Add(-logoutTokenMaxAge)):
		return nil, fmt.Errorf("issued at %v, more than %v ago", tok.IssuedAt, logoutTokenMaxAge)
	case tok.IssuedAt.After(now.Add(clockSkew)):
		return nil, fmt.Errorf("issued at %v, in the future", tok.IssuedAt)
	}
	until := tok.IssuedAt.Add(logoutTokenMaxAge)
	if _, ok := claims["exp"]; ok {
		if !now.Before(tok.Expiry.Add(clockSkew)) {
			return nil, fmt.Errorf("expired at %v", tok.Expiry)
		}
		if tok.Expiry.Before(until) {
			until = tok.Expiry
		}
	}
	if _, ok := claims["nonce"]; ok {
		return nil, errors.New("a nonce claim: this is an ID token")
	}
	var events map[string]json.RawMessage
	if json.Unmarshal(claims["events"], &events) != nil {
		return nil, errors.New("no events claim")
	}
	if ev := bytes.TrimSpace(events[backchannelEvent]); len(ev) == 0 || ev[0] != '{' || !json.Valid(ev) {
		return nil, errors.New("the events claim has no back-channel logout event object")
	}
	lt := &logoutToken{sub: tok.Subject, until: until.Add(clockSkew)}
	if s, ok := claims["sid"]; ok && json.Unmarshal(s, &lt.sid) != nil {
		return nil, errors.New("a sid claim that is not a string")
	}
	if j, ok := claims["jti"]; !ok || json.Unmarshal(j, &lt.jti) != nil || lt.jti == "" || len(lt.jti) > maxJTI {
		return nil, fmt.Errorf("no jti claim, or not a string of 1 to %d bytes", maxJTI)
	}
	if lt.sub == "" && lt.sid == "" {
		return nil, errors.New("neither a sub nor a sid claim")
	}
	return lt, nil
}

// endSessions ends the sessions a verified logout token names, and says
// which. A sid names the sessions of that provider session. A sub alone
// names the user's sessions: every one of them when the user is named by
// sub (UserClaim "sub"), else those whose ID token had no sid, which the
// index knows by subjectSession.
func (p *Provider) endSessions(ctx context.Context, lt *logoutToken) (string, error) {
	if lt.sid == "" && p.cfg.UserClaim == "sub" {
		err := p.sessions.EndUser(ctx, lt.sub)
		if !errors.Is(err, auth.ErrCannotRevokeUsers) {
			return "every session of the user", err
		}
	}
	ps := lt.sid
	if ps == "" {
		ps = subjectSession(lt.sub)
	}
	n, err := p.sessions.EndProviderSession(ctx, ps)
	return fmt.Sprintf("%d sessions", n), err
}

// logoutError answers a back-channel logout with the JSON error the
// specification suggests (section 2.8).
func logoutError(x backends.Exchange, status int, code, description string) {
	body, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, description})
	x.Write(status, "application/json", body)
}
