package auth

import (
	"net/url"
	"strings"
)

// safeRedirect returns next if it is a safe place to send a browser after
// login or logout, and fallback otherwise.
//
// Safe means a path on this site ("/dashboard?tab=2") or an absolute http
// or https URL whose host is in allowedHosts (compared case-insensitively,
// port included when given). Everything a browser might read as another
// site is refused: "//evil.example" and "/\evil.example" (protocol-relative),
// any backslash, control characters (browsers strip tabs and newlines, so
// "/\t/evil.example" would become "//evil.example"), user info
// ("https://good@evil"), other schemes ("javascript:"), and relative
// paths without a leading slash.
func safeRedirect(next string, allowedHosts []string, fallback string) string {
	if next == "" || len(next) > 2048 {
		return fallback
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; isCTL(rune(c)) || c == '\\' {
			return fallback
		}
	}
	if strings.HasPrefix(next, "/") {
		if strings.HasPrefix(next, "//") {
			return fallback
		}
		u, err := url.Parse(next)
		if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
			return fallback
		}
		return next
	}
	u, err := url.Parse(next)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.Host == "" || u.Opaque != "" {
		return fallback
	}
	for _, h := range allowedHosts {
		if strings.EqualFold(u.Host, h) || (!strings.Contains(h, ":") && strings.EqualFold(u.Hostname(), h) && u.Port() == "") {
			return next
		}
	}
	return fallback
}
