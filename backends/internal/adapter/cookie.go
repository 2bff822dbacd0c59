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
	return findCookie(lines, name, true)
}

// PeekCookieValue is [CookieValue] without the check of the value's
// bytes: it returns the first cookie named name, with one pair of
// surrounding double quotes removed, even when net/http would skip it
// for a byte a cookie value may not hold and read a later one.
func PeekCookieValue(lines []string, name string) string {
	return findCookie(lines, name, false)
}

// findCookie is CookieValue, or PeekCookieValue when check is false.
func findCookie(lines []string, name string, check bool) string {
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
			v = unquoteCookie(v)
			if !check || validCookieOctets(v) {
				return v
			}
		}
	}
	return ""
}

// unquoteCookie strips one pair of surrounding double quotes from raw.
func unquoteCookie(raw string) string {
	if len(raw) > 1 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		return raw[1 : len(raw)-1]
	}
	return raw
}

// TrimParsedCookie finishes, for a framework whose cookie parser trims
// only blanks around a name and a value (fasthttp), what net/http's
// reading does: it trims the rest of the white space (tabs), and then a
// pair of double quotes around the value, which the framework could not
// see for the tabs around them. A value the trim leaves as it was is
// returned as it is: the framework has already removed its quotes.
func TrimParsedCookie(name, value string) (string, string) {
	name = trimOWS(name)
	if t := trimOWS(value); len(t) != len(value) {
		value = unquoteCookie(t)
	}
	return name, value
}

// ValidCookieValue reports whether v, with any surrounding double quotes
// already removed, is a cookie value net/http would read: a Cookie
// method of an adapter whose framework parses cookies itself (Fiber's
// fasthttp keeps any bytes) uses it to skip the values net/http skips.
func ValidCookieValue(v string) bool { return validCookieOctets(v) }

// validCookieOctets reports whether every byte of s is one net/http lets
// a cookie value hold: 0x20 to 0x7e, but not '"', ';' or '\\'. It tests
// eight bytes at a time, since a session cookie is some 350 of them and
// this runs on every request that carries one.
func validCookieOctets(s string) bool {
	for ; len(s) >= 8; s = s[8:] {
		x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		// Once no byte is 0x80 or more (the first term), no sum carries
		// into the next byte: b+1 has its top bit set for b = 0x7f, and
		// b+0x60 has it clear for b below 0x20.
		bad := (x|(x+ones)|^(x+0x60*ones))&high |
			zero(x^'"'*ones) | zero(x^';'*ones) | zero(x^'\\'*ones)
		if bad != 0 {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return false
		}
	}
	return true
}

const (
	ones = 0x0101010101010101 // 0x01 in every byte
	high = 0x8080808080808080 // the top bit of every byte
)

// zero is non-zero when some byte of v is zero. Borrows can mark the
// wrong byte, but only above a zero byte, so whether any is marked is
// exact.
func zero(v uint64) uint64 { return (v - ones) & ^v & high }

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
