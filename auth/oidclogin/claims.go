package oidclogin

import "fmt"

// userName picks the claim that names the user (see Config.UserClaim):
// the first of the candidates that the token carries as a non-empty
// string. Whether the name can be used is the session's to judge
// (auth.LoginSessions.Start); no other claim is tried when it cannot.
func (p *Provider) userName(claims map[string]any) (string, error) {
	names := []string{"preferred_username", "email", "sub"}
	if p.cfg.UserClaim != "" {
		names = []string{p.cfg.UserClaim}
	}
	for _, name := range names {
		if v, ok := claims[name].(string); ok && v != "" {
			return v, nil
		}
	}
	return "", fmt.Errorf("the ID token has no usable user claim (%v)", names)
}

// claimStrings reads a claim holding one string or a list of strings;
// anything else gives nothing, and so do entries of a list that are not
// strings. The names are checked where they enter the session.
func claimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
