// Package oidctest runs a small OpenID Connect provider for tests, on a
// real loopback listener: discovery, JWKS, an authorize endpoint that
// approves at once, a token endpoint that checks the client, the
// redirect URI and the PKCE verifier, and signs ID tokens with RS256, and
// an end-session endpoint (RP-initiated logout) that records what it is
// sent. A login that asks for offline_access gets a refresh token, which
// the token endpoint takes once (the answer brings the next, with an ID
// token of the claims as they are then) until RevokeRefreshTokens. Each login is a session at the provider of its own, named by the
// ID token's sid claim, and the provider mints back-channel logout tokens
// (LogoutToken) for a test to post. A test can change the claims, forge
// tokens (another nonce, audience, issuer, key, expiry) or make the
// provider refuse, to check that a relying party refuses them. Each New
// is an issuer of its own; start several for several providers.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Provider is the test provider. Its client is ClientID with
// ClientSecret, and it logs in the user alice (groups ops and admins,
// email alice@example.com) at once.
type Provider struct {
	// URL is the issuer, http://127.0.0.1:port.
	URL string
	// ClientID and ClientSecret are the one client it knows.
	ClientID, ClientSecret string

	t       testing.TB
	srv     *httptest.Server
	key     *rsa.PrivateKey // the key the JWKS publishes
	foreign *rsa.PrivateKey // signs instead when forging

	mu      sync.Mutex
	codes   map[string]idpCode
	claims  map[string]any              // the user's claims
	tamper  func(claims map[string]any) // changes a token's claims, for attacks
	refuse  string                      // an error the authorize endpoint answers with
	forging bool                        // sign with foreign
	noEnd   bool                        // discovery leaves end_session_endpoint out
	issued  []string                    // the ID tokens issued, oldest first
	sids    []string                    // their sid claims ("" for none)
	logouts []url.Values                // what the end-session endpoint was sent
	// refreshTokens are the live refresh tokens, each with its login.
	refreshTokens map[string]idpCode
	refreshes     int // refresh grants asked for
	revocations   int // live refresh tokens revoked at /revoke
	refreshFails  int // the status refresh grants fail with; 0 none
}

// idpCode is one login: what its code was asked with, and its session.
type idpCode struct {
	nonce, challenge, redirect, sid, scope string
}

// BackchannelLogoutEvent is the events claim's member that makes a JWT a
// logout token (OpenID Connect Back-Channel Logout 1.0).
const BackchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// New starts a provider, stopped when t ends.
func New(t testing.TB) *Provider {
	t.Helper()
	key, err1 := rsa.GenerateKey(rand.Reader, 2048)
	foreign, err2 := rsa.GenerateKey(rand.Reader, 2048)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	p := &Provider{t: t, key: key, foreign: foreign, ClientID: "authwire-app", ClientSecret: "s3cret",
		codes: make(map[string]idpCode), refreshTokens: make(map[string]idpCode),
		claims: map[string]any{"sub": "u-1", "preferred_username": "alice", "email": "alice@example.com", "groups": []string{"ops", "admins"}},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("POST /revoke", p.revoke)
	mux.HandleFunc("/logout", p.endSession)
	p.srv = httptest.NewServer(mux)
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// Close stops the provider, as if it were down.
func (p *Provider) Close() { p.srv.Close() }

// Forge makes the tokens it issues from now on wrong: tamper changes
// their claims (nil: none), foreignKey signs them with a key the JWKS does
// not publish, and refuse (non-empty) makes the authorize endpoint answer
// with that error instead of a code. Forge(nil, false, "") is honest again.
func (p *Provider) Forge(tamper func(claims map[string]any), foreignKey bool, refuse string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper, p.forging, p.refuse = tamper, foreignKey, refuse
}

// AdvertiseEndSession says whether the discovery document names the
// end-session endpoint (it does by default); the endpoint answers either
// way.
func (p *Provider) AdvertiseEndSession(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.noEnd = !on
}

// IDTokens returns the ID tokens the provider issued, oldest first.
func (p *Provider) IDTokens() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.issued)
}

// SessionIDs returns the sid claim of each ID token the provider issued,
// oldest first ("" for a token a Forge left without one).
func (p *Provider) SessionIDs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sids)
}

// LogoutToken returns a back-channel logout token signed with the
// provider's key, or with a key its JWKS does not publish when foreignKey
// is set: iss, aud (the client), iat now, exp in two minutes, a fresh
// jti, the logout event, sub (the user's) and sid (of the latest ID
// token, when it had one), in a header typed logout+jwt. edit, when not
// nil, changes the claims first (a test deletes or alters some).
func (p *Provider) LogoutToken(edit func(claims map[string]any), foreignKey bool) string {
	p.t.Helper()
	now := time.Now()
	p.mu.Lock()
	claims := map[string]any{
		"iss": p.URL, "aud": p.ClientID, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti": rand.Text(), "events": map[string]any{BackchannelLogoutEvent: map[string]any{}}, "sub": p.claims["sub"],
	}
	if n := len(p.sids); n > 0 && p.sids[n-1] != "" {
		claims["sid"] = p.sids[n-1]
	}
	key := p.key
	if foreignKey {
		key = p.foreign
	}
	p.mu.Unlock()
	if edit != nil {
		edit(claims)
	}
	raw, err := p.sign(claims, key, "logout+jwt")
	if err != nil {
		p.t.Fatal(err)
	}
	return raw
}

// sign signs claims with key (RS256, key ID k1) in a header of type typ.
func (p *Provider) sign(claims map[string]any, key *rsa.PrivateKey, typ string) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", "k1"))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// RevokeRefreshTokens revokes every refresh token issued so far, as a
// provider does when the user or an administrator ends the grant: the
// next refresh with one is refused with invalid_grant.
func (p *Provider) RevokeRefreshTokens() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.refreshTokens)
}

// RevokedRefreshTokens returns how many live refresh tokens the
// revocation endpoint (RFC 7009) has revoked. A revoked token redeems
// nothing after.
func (p *Provider) RevokedRefreshTokens() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.revocations
}

// revoke is the revocation endpoint (RFC 7009): the client as at the
// token endpoint (Basic with form-encoded parts, or the form), the token
// in the form. It answers 200 for any token, known or not, as the RFC
// says.
func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || secret != p.ClientSecret {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if tok := r.PostForm.Get("token"); tok != "" {
		if _, live := p.refreshTokens[tok]; live {
			delete(p.refreshTokens, tok)
			p.revocations++
		}
	}
}

// FailRefreshes makes refresh grants fail with status (a 5xx, as a
// provider in trouble answers) without using up their refresh tokens;
// 0 lets them succeed again.
func (p *Provider) FailRefreshes(status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refreshFails = status
}

// Refreshes returns how many refresh grants the token endpoint was asked
// for, refused ones included.
func (p *Provider) Refreshes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refreshes
}

// Logouts returns the parameters of every request to the end-session
// endpoint, oldest first.
func (p *Provider) Logouts() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.logouts)
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	doc := map[string]any{
		"issuer":                                p.URL,
		"authorization_endpoint":                p.URL + "/authorize",
		"token_endpoint":                        p.URL + "/token",
		"jwks_uri":                              p.URL + "/jwks",
		"end_session_endpoint":                  p.URL + "/logout",
		"revocation_endpoint":                   p.URL + "/revoke",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	}
	p.mu.Lock()
	if p.noEnd {
		delete(doc, "end_session_endpoint")
	}
	p.mu.Unlock()
	json.NewEncoder(w).Encode(doc)
}

// endSession records an RP-initiated logout (GET or POST) and sends the
// browser to post_logout_redirect_uri when it is given, with state.
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.logouts = append(p.logouts, r.Form)
	p.mu.Unlock()
	back := r.Form.Get("post_logout_redirect_uri")
	if back == "" {
		io.WriteString(w, "signed out")
		return
	}
	u, err := url.Parse(back)
	if err != nil || r.Form.Get("client_id") != p.ClientID {
		http.Error(w, "bad post_logout_redirect_uri or client_id", http.StatusBadRequest)
		return
	}
	if st := r.Form.Get("state"); st != "" {
		q := u.Query()
		q.Set("state", st)
		u.RawQuery = q.Encode()
	}
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: string(jose.RS256), Use: "sig"},
	}})
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != p.ClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || !strings.Contains(" "+q.Get("scope")+" ", " openid ") {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	v := url.Values{"state": {q.Get("state")}}
	p.mu.Lock()
	if p.refuse != "" {
		v.Set("error", p.refuse)
	} else {
		code := rand.Text()
		p.codes[code] = idpCode{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), sid: rand.Text(), scope: q.Get("scope")}
		v.Set("code", code)
	}
	p.mu.Unlock()
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || secret != p.ClientSecret {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	var (
		c     idpCode
		found bool
	)
	p.mu.Lock()
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		c, found = p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		found = found && r.PostForm.Get("redirect_uri") == c.redirect && base64.RawURLEncoding.EncodeToString(sum[:]) == c.challenge
	case "refresh_token":
		p.refreshes++
		if fail := p.refreshFails; fail != 0 {
			p.mu.Unlock()
			tokenError(w, fail, "temporarily_unavailable")
			return
		}
		// Each refresh token is used once: the answer brings the next.
		c, found = p.refreshTokens[r.PostForm.Get("refresh_token")]
		delete(p.refreshTokens, r.PostForm.Get("refresh_token"))
		c.nonce = "" // a refreshed ID token has none
	}
	p.mu.Unlock()
	if !found {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	raw, err := p.idToken(c)
	if err != nil {
		p.t.Error(err)
		return
	}
	answer := map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": raw}
	if strings.Contains(" "+c.scope+" ", " offline_access ") {
		rt := rand.Text()
		p.mu.Lock()
		p.refreshTokens[rt] = c
		p.mu.Unlock()
		answer["refresh_token"] = rt
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(answer)
}

// idToken issues an ID token with the user's claims for the login c,
// forged as Forge asks, and records it.
func (p *Provider) idToken(c idpCode) (string, error) {
	p.mu.Lock()
	claims := map[string]any{}
	for k, v := range p.claims {
		claims[k] = v
	}
	tamper, signWith := p.tamper, p.key
	if p.forging {
		signWith = p.foreign
	}
	p.mu.Unlock()
	now := time.Now()
	claims["iss"], claims["aud"], claims["sid"] = p.URL, p.ClientID, c.sid
	if c.nonce != "" {
		claims["nonce"] = c.nonce
	}
	claims["iat"], claims["exp"] = now.Unix(), now.Add(5*time.Minute).Unix()
	if tamper != nil {
		tamper(claims)
	}
	raw, err := p.sign(claims, signWith, "JWT")
	if err != nil {
		return "", err
	}
	sid, _ := claims["sid"].(string)
	p.mu.Lock()
	p.issued = append(p.issued, raw)
	p.sids = append(p.sids, sid)
	p.mu.Unlock()
	return raw, nil
}

// tokenError answers the token endpoint's JSON error.
func tokenError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code})
}
