package auth

import "math"

// MinSecretBits is the least estimated entropy, in bits, that
// [KeysFromSecrets] accepts in a secret. `openssl rand -base64 32` (44
// characters) or `openssl rand -hex 32` (64 characters) clear it by far;
// a phrase of ordinary words needs about seven of them, picked at random.
const MinSecretBits = 128

// secretBits estimates how many bits of entropy secret holds, erring
// low, so that secrets a person makes up are refused while random ones
// pass. It is a floor against the obvious (words, dates, repeats), not a
// measure of a passphrase's real strength; the key derivation's cost is
// what protects a secret that passes.
//
// The secret is cut into runs of one kind of character: lower-case
// letters, upper-case letters, digits, other printable ASCII, and other
// bytes (UTF-8 and control characters). A run of n characters from an
// alphabet of a counts n·log2(a) bits, but at most what a guesser who
// tries dictionary words, numbers and symbol clusters would spend on it,
// for each started group of eight characters: 16 bits for lower-case
// letters (a word from a list of 65,536), 20 for digits (a date or a
// PIN), 10 for symbols, 24 for other bytes; upper-case runs are not
// capped. A run of three or more characters seen before counts nothing.
// Last, the sum is capped at the length times the Shannon entropy of the
// secret's bytes, which catches strings built from a handful of
// characters ("a1a1a1…").
func secretBits(secret string) float64 {
	var sum float64
	seen := make(map[string]bool)
	for i := 0; i < len(secret); {
		class := classOf(secret[i])
		j := i + 1
		for j < len(secret) && classOf(secret[j]) == class {
			j++
		}
		run := secret[i:j]
		i = j
		if len(run) >= 3 {
			if seen[run] {
				continue
			}
			seen[run] = true
		}
		sum += class.runBits(len(run))
	}
	return min(sum, shannonBits(secret))
}

// charClass is a kind of character, for secretBits.
type charClass uint8

const (
	classLower charClass = iota
	classUpper
	classDigit
	classSymbol
	classOther
)

// classOf is the class of byte c.
func classOf(c byte) charClass {
	switch {
	case 'a' <= c && c <= 'z':
		return classLower
	case 'A' <= c && c <= 'Z':
		return classUpper
	case '0' <= c && c <= '9':
		return classDigit
	case 0x20 <= c && c < 0x7f:
		return classSymbol
	}
	return classOther
}

// runBits is what a run of n characters of class c counts: n times the
// entropy of one character, but for lower-case letters, digits, symbols
// and other bytes at most what a guesser who tries words, numbers and
// symbol clusters spends on it, for every started group of eight.
func (c charClass) runBits(n int) float64 {
	var each, most float64
	switch c {
	case classLower:
		each, most = math.Log2(26), 16 // a word from a list of 65,536
	case classUpper:
		// Not capped: random base64 has long upper-case runs, and a
		// cap would refuse some `openssl rand -base64 32` secrets.
		return float64(n) * math.Log2(26)
	case classDigit:
		each, most = math.Log2(10), 20 // a date or a PIN
	case classSymbol:
		each, most = math.Log2(33), 10 // a cluster such as "!!" or "-_"
	default:
		each, most = 7, 24 // a UTF-8 word
	}
	groups := (n + 7) / 8
	return min(float64(n)*each, float64(groups)*most)
}

// shannonBits is len(s) times the Shannon entropy of the distribution of
// the bytes of s.
func shannonBits(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h * n
}
