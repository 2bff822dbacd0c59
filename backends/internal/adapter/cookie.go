package adapter

import "strings"

// maxCookies is the number of cookies net/http reads from a request
// before it gives up on them all (its httpcookiemaxnum default).
const maxCookies = 3000

// CookieValue returns the value of the first cookie named name in the
// Cookie header lines of a net/http request, or "". It reads them as
// net/http's Request.Cookie does (the same trimming, name and value
// rules, surrounding double quotes removed, nothing at all past 3,000
// cookies) without allocating: the value is a substring of a header line,
// which is safe to keep. name must be a valid cookie name.
func CookieValue(lines []string, name string) string {
	if len(lines) == 0 {
		return ""
	}
	n := 0
	for _, line := range lines {
		n += strings.Count(line, ";") + 1
	}
	if n > maxCookies {
		return ""
	}
	for _, line := range lines {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, v, _ := strings.Cut(trimOWS(part), "=")
			if trimOWS(k) != name {
				continue
			}
			if v, ok := cookieValue(v); ok {
				return v
			}
		}
	}
	return ""
}

// cookieValue strips one pair of surrounding double quotes from raw and
// reports whether what is left is a valid cookie value.
func cookieValue(raw string) (string, bool) {
	if len(raw) > 1 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		raw = raw[1 : len(raw)-1]
	}
	for i := 0; i < len(raw); i++ {
		if b := raw[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return "", false
		}
	}
	return raw, true
}

// trimOWS trims the ASCII white space textproto.TrimString trims.
func trimOWS(s string) string {
	for s != "" && isOWS(s[0]) {
		s = s[1:]
	}
	for s != "" && isOWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isOWS(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }
