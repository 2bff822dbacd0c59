package oidclogin

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// RP-initiated logout needs the ID token of the session's login, as
// id_token_hint. It is kept only when the provider advertises an
// end_session_endpoint, and only where logout sees it: in a cookie of its
// own (authwire_idt_<Name>), sealed (encrypted and signed with keys
// derived from the session keys), HttpOnly, and scoped to the logout path,
// so that no other request carries it. The session cookie does not grow,
// which keeps the cookie store's session under the 4 KiB a browser takes,
// and a server-side store such as Redis keeps nothing more either: with
// every store the token is in that cookie, from login until logout. The
// cookie names the session it belongs to and is used only for that one.
// An ID token too large for a cookie is not kept; logout then sends the
// provider client_id without id_token_hint, which the specification
// allows (the provider may ask the user to confirm).

// maxCookieBytes bounds the ID token cookie's name and value: browsers
// keep cookies of 4096 bytes, attributes included.
const maxCookieBytes = 3900

// keptToken is what the ID token cookie holds.
type keptToken struct {
	Session string `json:"s"` // the session it belongs to
	IDToken string `json:"t"`
}

// keepIDToken sets the cookie holding rawIDToken for the session id.
func (p *Provider) keepIDToken(x backends.Exchange, id *auth.Identity, rawIDToken string) {
	sealed, err := p.tokens.Encode(p.tokenCookie, keptToken{Session: id.SessionID, IDToken: rawIDToken})
	if err == nil && len(p.tokenCookie)+1+len(sealed) > maxCookieBytes {
		err = errTooLarge
	}
	if err != nil {
		p.sessions.Logger().LogAttrs(x.Context(), slog.LevelWarn,
			"authwire: the ID token is not kept for logout at the provider, which will go without id_token_hint",
			slog.String("provider", p.cfg.Name), slog.Int("id_token_bytes", len(rawIDToken)), slog.String("error", err.Error()))
		return
	}
	x.SetCookie(p.tokenCookieWith(sealed, max(1, int(time.Until(id.ExpiresAt)/time.Second))))
}

// errTooLarge says the sealed ID token would not fit in a cookie.
var errTooLarge = errors.New("the sealed ID token is too large for a cookie")

// tokenCookieWith is the ID token cookie holding value, scoped to the
// logout path.
func (p *Provider) tokenCookieWith(value string, maxAge int) *http.Cookie {
	c := p.sessions.Cookie(p.tokenCookie, value, maxAge)
	c.Path = p.sessions.LogoutPath()
	return c
}

// EndSession implements [auth.SessionEnder]: logout calls it for a
// session of this provider once the session is revoked here. It forgets
// the session's refresh token, revokes it at the provider when the
// provider advertises a revocation_endpoint (RFC 7009; see
// [Provider.revokeRefreshToken]), clears the ID token cookie and returns the provider's end_session_endpoint
// with client_id, id_token_hint (the session's ID token, when it was
// kept) and post_logout_redirect_uri (Config.PostLogoutRedirectURL, when
// set), or "" when the provider advertises no end_session_endpoint or
// cannot be reached, in which case the logout ends here alone.
func (p *Provider) EndSession(x backends.Exchange, id *auth.Identity) string {
	ctx := x.Context()
	tokens, _ := p.loadTokens(ctx, id.SessionID) // nil without a refresh token
	p.forgetTokens(x, id)
	sealed := x.Cookie(p.tokenCookie)
	x.SetCookie(p.tokenCookieWith("", -1))
	meta, err := p.provider(ctx)
	if err != nil {
		p.sessions.Logger().LogAttrs(ctx, slog.LevelWarn, "authwire: the OIDC provider cannot be reached; the session ended here only",
			slog.String("provider", p.cfg.Name), slog.String("error", err.Error()))
		return ""
	}
	if tokens != nil && tokens.Refresh != "" {
		p.revokeRefreshToken(ctx, meta, tokens.Refresh)
	}
	if meta.endSession == "" {
		return ""
	}
	u, err := url.Parse(meta.endSession)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("client_id", p.cfg.ClientID)
	var kept keptToken
	if sealed != "" && p.tokens.Decode(p.tokenCookie, sealed, &kept) == nil && kept.Session == id.SessionID && kept.IDToken != "" {
		q.Set("id_token_hint", kept.IDToken)
	}
	if p.cfg.PostLogoutRedirectURL != "" {
		q.Set("post_logout_redirect_uri", p.cfg.PostLogoutRedirectURL)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
