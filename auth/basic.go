package auth

import (
	"encoding/base64"
	"unicode/utf8"
	"unsafe"
)

// basicParse is the outcome of parsing an Authorization header value.
type basicParse int

const (
	// basicAbsent: no header, or a scheme other than Basic.
	basicAbsent basicParse = iota
	// basicFound: user and password were extracted.
	basicFound
	// basicMalformed: the Basic scheme with an unusable payload.
	basicMalformed
)

// parseBasic parses an Authorization header value as RFC 7617 Basic
// credentials. The scheme name is matched case-insensitively and may be
// followed by one or more spaces or tabs; the payload must be standard
// base64 (with padding) and must decode to valid UTF-8 holding a colon. The
// user is everything before the FIRST colon, so passwords may contain
// colons. Control characters (0x00-0x1F, 0x7F) in either part make the
// header malformed.
//
// The decoded bytes are written into buf when it is large enough, so a
// caller can keep them off the heap; user and password alias that storage.
func parseBasic(header string, buf []byte) (user, password []byte, res basicParse) {
	h := trimOWS(header)
	if h == "" {
		return nil, nil, basicAbsent
	}
	sp := 0
	for sp < len(h) && h[sp] != ' ' && h[sp] != '\t' {
		sp++
	}
	if !asciiEqualFold(h[:sp], "basic") {
		return nil, nil, basicAbsent
	}
	payload := trimOWS(h[sp:])
	if payload == "" || !isBase64Token(payload) {
		return nil, nil, basicMalformed
	}
	n := base64.StdEncoding.DecodedLen(len(payload))
	if n > len(buf) {
		buf = make([]byte, n)
	}
	// Decode only reads its source, so it may read the string's bytes in
	// place instead of copying them to the heap.
	n, err := base64.StdEncoding.Decode(buf, unsafe.Slice(unsafe.StringData(payload), len(payload)))
	if err != nil {
		return nil, nil, basicMalformed
	}
	dec := buf[:n]
	colon := -1
	for i, c := range dec {
		if isCTL(rune(c)) {
			return nil, nil, basicMalformed
		}
		if c == ':' && colon < 0 {
			colon = i
		}
	}
	if colon < 0 || !utf8.Valid(dec) {
		return nil, nil, basicMalformed
	}
	return dec[:colon], dec[colon+1:], basicFound
}

// isBase64Token reports whether s is made only of the standard base64
// alphabet with '=' padding at the end. base64.StdEncoding alone would
// also skip '\r' and '\n', which have no place in a header.
func isBase64Token(s string) bool {
	pad := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '=':
			pad++
		case pad > 0:
			return false
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
		default:
			return false
		}
	}
	return pad <= 2
}

// trimOWS removes the optional whitespace (spaces and tabs) HTTP allows
// around header values and between a scheme and its credentials.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
