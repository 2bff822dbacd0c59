package auth

import (
	"context"
	"fmt"
	"strings"
)

// VerifyFunc checks a user name and password against an outside system
// (a database, LDAP). It reports whether they match. An error is logged
// (without the password) and denies the request. It must be safe for
// concurrent use.
type VerifyFunc func(ctx context.Context, user, password string) (ok bool, err error)

// credentialSource is where a verifier finds stored passwords.
type credentialSource interface {
	// lookup returns the stored password of user.
	lookup(user string) (storedPassword, bool)
	// dummy is what unknown users are checked against: the dearest
	// format and parameters the source holds.
	dummy() storedPassword
	// generation changes whenever the stored passwords may have
	// changed, which invalidates cached verifications.
	generation() uint64
}

// staticCredentials is a fixed table of users, built from a map or a list.
type staticCredentials struct {
	users map[string]storedPassword
	dum   storedPassword
}

func (s *staticCredentials) lookup(user string) (storedPassword, bool) {
	p, ok := s.users[user]
	return p, ok
}

func (s *staticCredentials) dummy() storedPassword { return s.dum }
func (*staticCredentials) generation() uint64      { return 0 }

// userEntry is one configured user before validation.
type userEntry struct {
	name, secret string
}

// newStaticCredentials validates entries and builds the table. With hashed
// set, secrets are password hashes; otherwise plaintext. A later entry for
// the same user replaces an earlier one.
func newStaticCredentials(entries []userEntry, hashed bool) (*staticCredentials, error) {
	if len(entries) == 0 {
		return nil, fmt.Errorf("%w: the user list is empty", ErrInvalidConfig)
	}
	return buildStaticCredentials(entries, func(string) bool { return hashed })
}

// buildStaticCredentials validates entries and builds the table, taking
// each secret for a password hash when isHash says so and for plaintext
// otherwise. An empty list is a table that refuses everyone.
func buildStaticCredentials(entries []userEntry, isHash func(secret string) bool) (*staticCredentials, error) {
	s := &staticCredentials{users: make(map[string]storedPassword, len(entries))}
	for _, e := range entries {
		if err := validUserName(e.name); err != nil {
			return nil, err
		}
		if e.secret == "" {
			return nil, fmt.Errorf("%w: user %q has an empty password", ErrInvalidConfig, e.name)
		}
		var p storedPassword = newPlainPassword(e.secret)
		if isHash(e.secret) {
			var err error
			if p, err = parseStoredHash(e.secret); err != nil {
				return nil, invalidConfig(fmt.Errorf("user %q: %w", e.name, err))
			}
		}
		s.users[e.name] = p
	}
	d, err := dearestDummy(func(yield func(storedPassword) bool) {
		for _, p := range s.users {
			if !yield(p) {
				return
			}
		}
	})
	if err != nil {
		return nil, err
	}
	s.dum = d
	return s, nil
}

// dearestDummy returns the dummy of the stored password with the highest
// work, so an unknown user costs as much as the dearest real one.
func dearestDummy(all func(yield func(storedPassword) bool)) (storedPassword, error) {
	var dearest storedPassword = plainPassword{}
	for p := range all {
		if p.work() > dearest.work() {
			dearest = p
		}
	}
	d, err := dearest.dummy()
	if err != nil {
		return nil, fmt.Errorf("auth: making the dummy password: %w", err)
	}
	return d, nil
}

// validUserName rejects names Basic authentication cannot carry: empty,
// holding a colon, or holding control characters.
func validUserName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty user name", ErrInvalidConfig)
	case strings.ContainsRune(name, ':'):
		return fmt.Errorf("%w: user name %q contains a colon", ErrInvalidConfig, name)
	case strings.ContainsFunc(name, isCTL):
		return fmt.Errorf("%w: user name %q contains a control character", ErrInvalidConfig, name)
	}
	return nil
}
