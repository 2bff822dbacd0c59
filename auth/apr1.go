package auth

import (
	"crypto/md5"
	"errors"
)

// This file implements Apache's "$apr1$" password hash: the MD5-based crypt
// designed by Poul-Henning Kamp for FreeBSD ("$1$"), run with the magic
// string "$apr1$" instead of "$1$". htpasswd -m writes it, and it is the
// default on most Apache builds. It is weak by today's standards (1000 MD5
// iterations, about a tenth of a millisecond) but still common.
//
// The stored form is
//
//	$apr1$<salt>$<digest>
//
// where salt is 1 to 8 characters of the crypt alphabet below (htpasswd
// always writes 8) and digest is the 16-byte result in 22 characters.

const (
	apr1Magic     = "$apr1$"
	apr1MaxSalt   = 8
	apr1DigestLen = 22 // characters of the encoded 16-byte digest
	apr1Rounds    = 1000
)

// cryptAlphabet is the "itoa64" alphabet of the traditional crypt family
// (also bcrypt's, in a different order: bcrypt starts "./A…").
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// apr1Order lists the digest bytes in the order the encoding consumes them:
// five groups of three bytes, each written as four characters (the last
// byte of a group in the lowest bits), then byte 11 alone as two characters.
var apr1Order = [16]byte{0, 6, 12, 1, 7, 13, 2, 8, 14, 3, 9, 15, 4, 10, 5, 11}

// apr1Sum computes the 16-byte APR1 digest of password with salt. salt must
// already be cut to at most eight bytes; it is used as given.
func apr1Sum(password, salt []byte) [md5.Size]byte {
	// Step 1: the "alternate" digest of password, salt, password.
	h := md5.New()
	h.Write(password)
	h.Write(salt)
	h.Write(password)
	alt := h.Sum(nil)

	// Step 2: password, magic, salt, then as many bytes of the alternate
	// digest as the password is long (cycling through its 16 bytes).
	h.Reset()
	h.Write(password)
	h.Write([]byte(apr1Magic))
	h.Write(salt)
	for n := len(password); n > 0; n -= md5.Size {
		h.Write(alt[:min(n, md5.Size)])
	}
	// Step 3: for every bit of the password length, lowest first, a zero
	// byte when the bit is set and the first password byte when it is
	// clear. (The original meant to mix in the digest and wrote a zero by
	// mistake; every implementation keeps the mistake.)
	var zero = []byte{0}
	for n := len(password); n > 0; n >>= 1 {
		if n&1 == 1 {
			h.Write(zero)
		} else {
			h.Write(password[:1])
		}
	}
	var final [md5.Size]byte
	h.Sum(final[:0])

	// Step 4: 1000 rounds to slow down guessing. Round i hashes, in order:
	// password if i is odd else the previous digest; salt unless i is a
	// multiple of 3; password unless i is a multiple of 7; the previous
	// digest if i is odd else password.
	for i := range apr1Rounds {
		h.Reset()
		if i&1 == 1 {
			h.Write(password)
		} else {
			h.Write(final[:])
		}
		if i%3 != 0 {
			h.Write(salt)
		}
		if i%7 != 0 {
			h.Write(password)
		}
		if i&1 == 1 {
			h.Write(final[:])
		} else {
			h.Write(password)
		}
		h.Sum(final[:0])
	}
	return final
}

// apr1Encode writes digest in the crypt alphabet the way MD5-crypt does:
// each group of three bytes (per apr1Order) becomes a 24-bit number whose
// 6-bit pieces are written lowest first; the 16th byte is written alone as
// two characters (8 bits in 12, the top four always zero).
func apr1Encode(digest [md5.Size]byte) [apr1DigestLen]byte {
	var out [apr1DigestLen]byte
	o := 0
	for g := 0; g < 15; g += 3 {
		v := uint32(digest[apr1Order[g]])<<16 | uint32(digest[apr1Order[g+1]])<<8 | uint32(digest[apr1Order[g+2]])
		for range 4 {
			out[o] = cryptAlphabet[v&0x3f]
			v >>= 6
			o++
		}
	}
	v := uint32(digest[apr1Order[15]])
	out[o] = cryptAlphabet[v&0x3f]
	out[o+1] = cryptAlphabet[v>>6]
	return out
}

// errAPR1Digest is returned by apr1Decode for anything that apr1Encode could
// not have written. It names no input.
var errAPR1Digest = errors.New("apr1: digest is not 22 characters of the crypt alphabet")

// apr1Decode reverses apr1Encode. It accepts only the canonical encoding
// (the unused top bits of the last character zero), so that each digest has
// exactly one spelling.
func apr1Decode(s string) ([md5.Size]byte, error) {
	var digest [md5.Size]byte
	if len(s) != apr1DigestLen {
		return digest, errAPR1Digest
	}
	var vals [apr1DigestLen]uint32
	for i := range len(s) {
		v := cryptIndex(s[i])
		if v < 0 {
			return digest, errAPR1Digest
		}
		vals[i] = uint32(v)
	}
	o := 0
	for g := 0; g < 15; g += 3 {
		v := vals[o] | vals[o+1]<<6 | vals[o+2]<<12 | vals[o+3]<<18
		o += 4
		digest[apr1Order[g]] = byte(v >> 16)
		digest[apr1Order[g+1]] = byte(v >> 8)
		digest[apr1Order[g+2]] = byte(v)
	}
	last := vals[o] | vals[o+1]<<6
	if last > 0xff {
		return digest, errAPR1Digest
	}
	digest[apr1Order[15]] = byte(last)
	return digest, nil
}

// cryptIndex returns the value of c in cryptAlphabet, or -1.
func cryptIndex(c byte) int {
	switch {
	case c == '.':
		return 0
	case c == '/':
		return 1
	case c >= '0' && c <= '9':
		return int(c-'0') + 2
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 12
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 38
	}
	return -1
}
