package auth

// ASCII helpers shared by the header parser, the route matcher, redirect
// validation and configuration checks. They deliberately ignore Unicode
// folding (strings.EqualFold would make the Kelvin sign equal "k").

// isCTL reports whether r is an ASCII control character (0x00-0x1F, 0x7F).
func isCTL(r rune) bool { return r < 0x20 || r == 0x7f }

// asciiLower lowercases one ASCII letter and leaves every other byte alone.
func asciiLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// asciiLowerString lowercases the ASCII letters of s.
func asciiLowerString(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = asciiLower(c)
	}
	return string(b)
}

// asciiEqualFold reports whether a and b are equal when ASCII letters are
// compared without case.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if asciiLower(a[i]) != asciiLower(b[i]) {
			return false
		}
	}
	return true
}
