package auth

import (
	"crypto/sha256"
	"crypto/subtle"
)

// storedPassword is one user's stored password: a plaintext value or a hash
// in one of the supported formats. Implementations never keep the plaintext
// a caller presents, and their verify methods take time that depends only on
// the stored value and its parameters, not on how much of the presented
// password matches.
type storedPassword interface {
	// verify reports whether password matches the stored value.
	verify(password []byte) bool
	// work estimates the cost of one verify call, in arbitrary units that
	// are comparable across formats. It picks the dummy that unknown users
	// are checked against, so that they cost as much as the dearest real
	// entry.
	work() int
	// expensive reports whether verify is worth caching (a real
	// password hash rather than a plaintext or single-digest comparison).
	expensive() bool
	// dummy returns a stored password of the same format and parameters
	// that matches no password a caller can know.
	dummy() (storedPassword, error)
}

// plainPassword is a plaintext entry. It keeps only the SHA-256 digest of the
// password so that the comparison runs over fixed-length byte strings and
// leaks neither content nor length through timing.
type plainPassword struct {
	digest [sha256.Size]byte
}

func newPlainPassword(password string) plainPassword {
	return plainPassword{digest: sha256.Sum256([]byte(password))}
}

func (p plainPassword) verify(password []byte) bool {
	d := sha256.Sum256(password)
	return subtle.ConstantTimeCompare(d[:], p.digest[:]) == 1
}

func (plainPassword) work() int       { return 1 }
func (plainPassword) expensive() bool { return false }

func (plainPassword) dummy() (storedPassword, error) {
	var p plainPassword
	if err := randomBytes(p.digest[:]); err != nil {
		return nil, err
	}
	return p, nil
}
