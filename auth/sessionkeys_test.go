package auth_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
)

// kdfSecret and kdfKeys are a known answer of KeysFromSecrets, checked
// against the reference argon2 program (Debian's argon2):
//
//	echo -n "$secret" | argon2 'authwire/session-keys/v2' -id -t 3 -k 65536 -p 4 -l 64 -r
//
// If it changes, every deployment's keys change and every user is logged
// out: the parameters are part of the key format.
const (
	kdfSecret = "tj1M7bQx3mVq6dN0Zr8Hc2Kp9Lw5Ys4Gf7Ue1Ia3Ob6="
	kdfKeys   = "773d0135c6853af4dec0924e9c41f93e3d80767723676d052d16caba6a902196" +
		"88a76414fd9e746f99640e285901f311b4226fd2c5c068a2e5ec8c2e692c6095"
)

// TestKeysFromSecretsArgon2id checks the derivation (argon2id, with the
// documented parameters) and rotation: each secret gives its own pair, in
// the order given, and the keys make a cookie store.
func TestKeysFromSecretsArgon2id(t *testing.T) {
	keys, err := auth.KeysFromSecrets(kdfSecret, "k8Qz1Wv4Xn7Rb2Jm5Tc9Hd3Lf6Gs0Ya8Pe1Ui4Oq7=")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 4 {
		t.Fatalf("%d keys, want 4", len(keys))
	}
	if got := hex.EncodeToString(keys[0]) + hex.EncodeToString(keys[1]); got != kdfKeys {
		t.Fatalf("keys of the known secret:\n%s\nwant\n%s", got, kdfKeys)
	}
	for i, k := range keys {
		if len(k) != 32 {
			t.Errorf("key %d is %d bytes", i, len(k))
		}
	}
	if bytes.Equal(keys[0], keys[2]) || bytes.Equal(keys[1], keys[3]) {
		t.Fatal("two secrets gave the same keys")
	}
	if _, err := auth.NewCookieStore(time.Hour, keys...); err != nil {
		t.Fatalf("the derived keys do not make a cookie store: %v", err)
	}
}

// TestKeysFromSecretsRefusesWeakSecrets is the fix for finding 2 of issue
// 12: a secret found by a dictionary (here the one that was) is refused,
// with an error that says how to make a good one and does not quote the
// secret.
func TestKeysFromSecretsRefusesWeakSecrets(t *testing.T) {
	for _, secrets := range [][]string{
		{"summer-dashboard-cookie2025"},
		{"backendtest login secret"},
		{"a test secret of decent length"},
		{kdfSecret, "the old secret, long enough"}, // the old one of a rotation too
		{"short"},
		{""},
	} {
		_, err := auth.KeysFromSecrets(secrets...)
		if err == nil {
			t.Errorf("%q: accepted", secrets)
			continue
		}
		if !errors.Is(err, auth.ErrInvalidConfig) || !errors.Is(err, auth.ErrWeakSecret) {
			t.Errorf("%q: %v does not wrap ErrInvalidConfig and ErrWeakSecret", secrets, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "openssl rand -base64 32") {
			t.Errorf("%q: %q does not say how to make a secret", secrets, msg)
		}
		if weak := secrets[len(secrets)-1]; weak != "" && strings.Contains(msg, weak) {
			t.Errorf("the error quotes the secret: %q", msg)
		}
	}
	if _, err := auth.KeysFromSecrets(); !errors.Is(err, auth.ErrInvalidConfig) {
		t.Errorf("no secret: %v", err)
	}
}

// BenchmarkKeysFromSecrets is the cost of one derivation: what start-up
// pays once per secret, and what an attacker pays per guess.
func BenchmarkKeysFromSecrets(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := auth.KeysFromSecrets(kdfSecret); err != nil {
			b.Fatal(err)
		}
	}
}
