package oidclogin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// Refresh: a login whose token response has a refresh token (ask for
// offline_access in Config.Scopes) keeps it server side, in the
// TokenStore, never in a cookie. The guard calls Refresh (auth.Refresher)
// for the provider's sessions at most once per
// SessionConfig.RecheckInterval; once the access token is near its
// expiry, Refresh redeems the refresh token, once per session however
// many requests ask at the same time, and the groups and sections of the
// new ID token replace the session's. A refresh the provider refuses ends
// the session.

const (
	// defaultTokenLifetime is the access token's lifetime when the token
	// response gives no expires_in.
	defaultTokenLifetime = 5 * time.Minute
	// refreshAhead is how long before the access token's expiry a
	// refresh is due, at most; half the lifetime for shorter ones.
	refreshAhead = time.Minute
)

var _ auth.Refresher = (*Provider)(nil)

// keptTokens is a session's record in the TokenStore, sealed.
type keptTokens struct {
	Session  string   `json:"i"` // the session it belongs to
	Subject  string   `json:"u"` // the ID token's sub, which a refreshed one must keep
	Refresh  string   `json:"r"` // the refresh token
	Due      int64    `json:"d"` // the Unix second from which a refresh is due
	Groups   []string `json:"g,omitempty"`
	Sections []string `json:"s,omitempty"`
}

// tokenKey is the TokenStore key of session id: no session ID, only a
// one-way hash of it.
func (p *Provider) tokenKey(id string) string { return p.cfg.Name + ":" + auth.SessionHandle(id) }

// dueAt is when a refresh is due for an access token of lifetime
// expiresIn seconds (0: unknown) obtained at now.
func dueAt(now time.Time, expiresIn int64) int64 {
	life := time.Duration(expiresIn) * time.Second
	if life <= 0 {
		life = defaultTokenLifetime
	}
	return now.Add(life - min(refreshAhead, life/2)).Unix()
}

// keepTokens records, at login, what refreshing the session id needs:
// nothing when the provider gave no refresh token. A failure is logged;
// the session then lives as one without a refresh token.
func (p *Provider) keepTokens(x backends.Exchange, id *auth.Identity, tok *oauth2.Token, claims map[string]any) {
	if tok.RefreshToken == "" {
		return
	}
	sub, _ := claims["sub"].(string)
	kept := &keptTokens{Session: id.SessionID, Subject: sub, Refresh: tok.RefreshToken, Due: dueAt(p.sessions.Now(), tok.ExpiresIn),
		Groups: claimStrings(claims[p.cfg.GroupsClaim]), Sections: claimStrings(claims[p.cfg.SectionsClaim])}
	if err := p.saveTokens(x.Context(), kept, id.ExpiresAt); err != nil {
		p.sessions.Logger().LogAttrs(x.Context(), slog.LevelError, "authwire: keeping the refresh token failed; the session will not follow the provider",
			slog.String("provider", p.cfg.Name), slog.String("error", err.Error()))
	}
}

// saveTokens seals kept and saves it until until.
func (p *Provider) saveTokens(ctx context.Context, kept *keptTokens, until time.Time) error {
	sealed, err := p.refreshSealer.Encode(p.refreshName, kept)
	if err != nil {
		return err
	}
	return p.tokenStore.Save(ctx, p.tokenKey(kept.Session), []byte(sealed), until)
}

// loadTokens returns the record of session id, or nil when there is none.
// A record that does not open, or is another session's, counts as none.
func (p *Provider) loadTokens(ctx context.Context, id string) (*keptTokens, error) {
	sealed, err := p.tokenStore.Load(ctx, p.tokenKey(id))
	if err != nil || sealed == nil {
		return nil, err
	}
	var kept keptTokens
	if p.refreshSealer.Decode(p.refreshName, string(sealed), &kept) != nil || kept.Session != id {
		return nil, nil
	}
	return &kept, nil
}

// Refresh implements [auth.Refresher]: the guard calls it for the
// provider's sessions, at most once per SessionConfig.RecheckInterval.
// A session without a refresh token here is left as it is. Once the
// access token is near its expiry, the refresh token is redeemed at the
// provider, once per session even when many requests ask together; the
// groups and sections of the ID token that comes back (when one does)
// replace the session's. A refresh the provider refuses (invalid_grant,
// or the client unknown: any 4xx answer), or an ID token for another
// subject, ends the session (an error wrapping auth.ErrSessionEnded); a
// provider that cannot be reached keeps it as it is until the next try.
func (p *Provider) Refresh(ctx context.Context, id *auth.Identity) (*auth.Identity, error) {
	kept, err := p.loadTokens(ctx, id.SessionID)
	switch {
	case err != nil:
		return id, fmt.Errorf("oidclogin: loading the session's tokens: %w", err)
	case kept == nil:
		return id, nil
	case p.sessions.Now().Unix() < kept.Due:
		return withRights(id, kept), nil
	}
	v, err, _ := p.flight.Do(id.SessionID, func() (any, error) {
		return p.redeem(context.WithoutCancel(ctx), id)
	})
	if err != nil {
		return id, err
	}
	return withRights(id, v.(*keptTokens)), nil
}

// redeem refreshes session id at the provider unless it is no longer due
// (a refresh that just ended did it), and keeps what comes back; with a
// TokenStore that is a RefreshLocker, under its lock.
func (p *Provider) redeem(ctx context.Context, id *auth.Identity) (*keptTokens, error) {
	kept, err := p.loadTokens(ctx, id.SessionID)
	switch {
	case err != nil:
		return nil, fmt.Errorf("oidclogin: loading the session's tokens: %w", err)
	case kept == nil:
		return nil, fmt.Errorf("%w: its refresh token is gone", auth.ErrSessionEnded)
	case p.sessions.Now().Unix() < kept.Due:
		return kept, nil
	}
	if locker, ok := p.tokenStore.(RefreshLocker); ok {
		return p.lockedRedeem(ctx, locker, id, kept)
	}
	return p.redeemAt(ctx, id, kept)
}

// redeemAt redeems kept's refresh token at the provider for session id,
// and keeps what comes back.
func (p *Provider) redeemAt(ctx context.Context, id *auth.Identity, kept *keptTokens) (*keptTokens, error) {
	meta, err := p.provider(ctx)
	if err != nil {
		return nil, fmt.Errorf("oidclogin: the provider cannot be reached: %w", err)
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, p.client), 10*time.Second)
	defer cancel()
	tok, err := meta.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: kept.Refresh}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 {
			return nil, p.refused(ctx, id, fmt.Errorf("the provider refused the refresh: %w", err))
		}
		return nil, fmt.Errorf("oidclogin: refreshing at the provider: %w", err)
	}
	next := *kept
	if tok.RefreshToken != "" {
		next.Refresh = tok.RefreshToken // the provider rotates them
	}
	next.Due = dueAt(p.sessions.Now(), tok.ExpiresIn)
	if raw, ok := tok.Extra("id_token").(string); ok && raw != "" {
		idt, err := meta.verifier.Verify(ctx, raw)
		if err != nil {
			return nil, p.refused(ctx, id, fmt.Errorf("the refreshed ID token does not verify: %w", err))
		}
		if idt.Subject != kept.Subject {
			return nil, p.refused(ctx, id, errors.New("the refreshed ID token is another subject's"))
		}
		var claims map[string]any
		if err := idt.Claims(&claims); err != nil {
			return nil, p.refused(ctx, id, err)
		}
		next.Groups, next.Sections = claimStrings(claims[p.cfg.GroupsClaim]), claimStrings(claims[p.cfg.SectionsClaim])
	}
	if err := p.saveTokens(ctx, &next, id.ExpiresAt); err != nil {
		return nil, fmt.Errorf("oidclogin: keeping the refreshed tokens: %w", err)
	}
	return &next, nil
}

// refused forgets session id's tokens and returns why the session ends.
func (p *Provider) refused(ctx context.Context, id *auth.Identity, why error) error {
	_ = p.tokenStore.Delete(ctx, p.tokenKey(id.SessionID))
	p.sessions.Logger().LogAttrs(ctx, slog.LevelInfo, "authwire: the OIDC provider ended a session at its refresh",
		slog.String("provider", p.cfg.Name), slog.String("user", id.User), slog.String("error", why.Error()))
	return fmt.Errorf("%w: %w", auth.ErrSessionEnded, why)
}

// forgetTokens drops session id's tokens, at logout.
func (p *Provider) forgetTokens(x backends.Exchange, id *auth.Identity) {
	if err := p.tokenStore.Delete(x.Context(), p.tokenKey(id.SessionID)); err != nil {
		p.sessions.Logger().LogAttrs(x.Context(), slog.LevelWarn, "authwire: forgetting a session's tokens failed",
			slog.String("provider", p.cfg.Name), slog.String("error", err.Error()))
	}
}

// withRights returns id with kept's groups and sections.
func withRights(id *auth.Identity, kept *keptTokens) *auth.Identity {
	c := id.Clone()
	c.Groups, c.Sections = kept.Groups, kept.Sections
	return c
}
