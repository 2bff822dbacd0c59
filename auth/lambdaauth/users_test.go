package lambdaauth_test

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/lambdaauth"
)

func TestDecodeUsers(t *testing.T) {
	got, err := lambdaauth.DecodeUsers([]byte(` {"admin": "$2y$12$x", "viewer":"v:p\u00e4ss", "e": ""} `))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"admin": "$2y$12$x", "viewer": "v:päss", "e": ""}; !maps.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got, err := lambdaauth.DecodeUsers([]byte(`{}`)); err != nil || len(got) != 0 {
		t.Fatalf("empty object: %v, %v", got, err)
	}
	for _, bad := range []string{
		``, `null`, `"SECRET"`, `["SECRET"]`, `{"a":"SECRET"`, `{"a":"SECRET",}`, `{"a":1}`, `{"a":{"b":"SECRET"}}`,
		`{"a":null}`, `{"a":"SECRET","a":"SECRET2"}`, `{"a":"SECRET"} {"b":"c"}`, `{"a":"SECRET"} x`, `{"a" "SECRET"}`,
	} {
		_, err := lambdaauth.DecodeUsers([]byte(bad))
		if !errors.Is(err, lambdaauth.ErrBadUsersJSON) {
			t.Errorf("%s: err = %v, want ErrBadUsersJSON", bad, err)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: the error quotes the input: %v", bad, err)
		}
	}
}

func TestUsersFromEnv(t *testing.T) {
	t.Setenv("TEST_AUTHWIRE_USERS", `{"alice":"al1ce-pw","bob":"`+bcryptOf(t, "b0b-pw")+`"}`)
	u, err := lambdaauth.UsersFromEnv("TEST_AUTHWIRE_USERS")
	if err != nil || u.Len() != 2 {
		t.Fatalf("UsersFromEnv: %v, %v", u, err)
	}
	for _, v := range []string{"", `{"alice":`, `{"a:b":"SECRET"}`, `{"alice":"$2y$05$SECRET"}`} {
		t.Setenv("TEST_AUTHWIRE_USERS", v)
		_, err := lambdaauth.UsersFromEnv("TEST_AUTHWIRE_USERS")
		if !errors.Is(err, auth.ErrInvalidConfig) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%q: %v", v, err)
		}
	}
}
