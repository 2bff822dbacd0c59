package lambdaauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/authwire/authwire/auth"
)

// ErrBadUsersJSON is wrapped by the errors [DecodeUsers] returns. Their
// text never quotes the input, which holds passwords.
var ErrBadUsersJSON = errors.New("lambdaauth: the users are not a JSON object of user names to passwords")

// DecodeUsers decodes the JSON form of a table of users that the
// environment, a parameter or a secret holds: one object mapping each user
// name to a plaintext password or a hash (see auth.NewUsers), as in
//
//	{"admin": "$2y$12$…", "viewer": "viewer-password"}
//
// Anything else (not an object, a value that is not a string, a user named
// twice, text after the object) is an error wrapping [ErrBadUsersJSON]
// that gives the position of the problem, never the text there.
func DecodeUsers(data []byte) (map[string]string, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("%w: it does not start with '{'", ErrBadUsersJSON)
	}
	users := make(map[string]string)
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, badUsersAt(d)
		}
		name, ok := t.(string)
		if !ok {
			return nil, badUsersAt(d)
		}
		if _, dup := users[name]; dup {
			return nil, fmt.Errorf("%w: the user %q is named twice", ErrBadUsersJSON, name)
		}
		t, err = d.Token()
		if err != nil {
			return nil, badUsersAt(d)
		}
		pw, ok := t.(string)
		if !ok {
			return nil, fmt.Errorf("%w: the password of %q is not a string", ErrBadUsersJSON, name)
		}
		users[name] = pw
	}
	if t, err := d.Token(); err != nil || t != json.Delim('}') {
		return nil, badUsersAt(d)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: there is more after the object", ErrBadUsersJSON)
	}
	return users, nil
}

func badUsersAt(d *json.Decoder) error {
	return fmt.Errorf("%w: malformed near byte %d", ErrBadUsersJSON, d.InputOffset())
}

// UsersFromEnv reads the table of users from the environment variable
// name, in the JSON form of [DecodeUsers], and parses it with
// auth.NewUsers, for auth.WithUserSource. An unset or empty variable is an
// error, and so is a table that does not parse; errors wrap
// auth.ErrInvalidConfig and never quote the variable's value.
func UsersFromEnv(name string) (*auth.Users, error) {
	v := os.Getenv(name)
	if v == "" {
		return nil, fmt.Errorf("%w: lambdaauth: the environment variable %s is not set", auth.ErrInvalidConfig, name)
	}
	m, err := DecodeUsers([]byte(v))
	if err != nil {
		return nil, fmt.Errorf("%w: lambdaauth: %s: %w", auth.ErrInvalidConfig, name, err)
	}
	return auth.NewUsers(m)
}
