package oidclogin

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// revokeTimeout bounds the revocation request that a logout waits for.
const revokeTimeout = 5 * time.Second

// revokeRefreshToken asks the provider's revocation_endpoint (RFC 7009)
// to revoke a logged-out session's refresh token, so that a copy of it
// (in a backup of the token store, say) redeems nothing. The client
// authenticates as at the token endpoint with a secret (HTTP Basic, the
// client_secret_basic method), or names itself with client_id when it
// has no secret. It does nothing when the provider advertises no such
// endpoint. A failure is logged and the logout goes on: the token is
// already forgotten here, and it ends at the provider when it expires or
// the provider's session does.
func (p *Provider) revokeRefreshToken(ctx context.Context, meta *metadata, token string) {
	if meta.revocation == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revokeTimeout)
	defer cancel()
	form := url.Values{"token": {token}, "token_type_hint": {"refresh_token"}}
	if p.cfg.ClientSecret == "" {
		form.Set("client_id", p.cfg.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, meta.revocation, strings.NewReader(form.Encode()))
	if err != nil {
		p.logRevokeFailure(ctx, err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if p.cfg.ClientSecret != "" {
		// RFC 6749 2.3.1: both are form-encoded before the Basic scheme.
		req.SetBasicAuth(url.QueryEscape(p.cfg.ClientID), url.QueryEscape(p.cfg.ClientSecret))
	}
	res, err := p.client.Do(req)
	if err != nil {
		p.logRevokeFailure(ctx, err.Error())
		return
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != http.StatusOK {
		p.logRevokeFailure(ctx, "the revocation endpoint answered "+res.Status)
	}
}

func (p *Provider) logRevokeFailure(ctx context.Context, reason string) {
	p.sessions.Logger().LogAttrs(ctx, slog.LevelWarn, "authwire: revoking a logged-out session's refresh token at the OIDC provider failed",
		slog.String("provider", p.cfg.Name), slog.String("error", reason))
}
