package auth

import (
	"encoding/binary"
	"unsafe"

	"github.com/dchest/siphash"
)

// keyedDigest is a 128-bit SipHash-2-4 tag of a secret.
type keyedDigest [2]uint64

// keyedHash tags secrets (Authorization headers, user and password pairs)
// so that they can be looked up in maps without being kept. It is
// SipHash-2-4 with 128-bit output under a random key made for one
// process: a PRF, so without the key nobody can make a header whose tag
// matches a stored one (2^-128 per try), and a tag's map lookup time says
// nothing about the secret behind it. It costs about 20 ns for a Basic
// header where SHA-256 takes 85 ns and HMAC-SHA-256 several times that.
type keyedHash struct{ k0, k1 uint64 }

// newKeyedHash returns a keyedHash under a fresh random key.
func newKeyedHash() (keyedHash, error) {
	var key [16]byte
	if err := randomBytes(key[:]); err != nil {
		return keyedHash{}, err
	}
	return keyedHash{binary.LittleEndian.Uint64(key[:8]), binary.LittleEndian.Uint64(key[8:])}, nil
}

// sumString tags s.
func (k keyedHash) sumString(s string) keyedDigest {
	a, b := siphash.Hash128(k.k0, k.k1, unsafe.Slice(unsafe.StringData(s), len(s)))
	return keyedDigest{a, b}
}

// sumPair tags a user and password together. The user's length comes
// first, so ("ab", "c") and ("a", "bc") differ. The joined copy is made on
// the stack when it fits and cleared before returning.
func (k keyedHash) sumPair(user, password []byte) keyedDigest {
	var stack [256]byte
	buf := binary.BigEndian.AppendUint32(stack[:0], uint32(len(user)))
	buf = append(buf, user...)
	buf = append(buf, password...)
	a, b := siphash.Hash128(k.k0, k.k1, buf)
	clear(buf)
	return keyedDigest{a, b}
}

// name returns d as a 16-byte string, to name a singleflight run.
func (d keyedDigest) name() string {
	b := binary.LittleEndian.AppendUint64(make([]byte, 0, 16), d[0])
	return string(binary.LittleEndian.AppendUint64(b, d[1]))
}
