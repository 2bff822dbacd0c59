package auth

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/authwire/authwire/internal/testbin"
)

// apr1String formats a full $apr1$ hash, as htpasswd writes it.
func apr1String(password, salt string) string {
	enc := apr1Encode(apr1Sum([]byte(password), []byte(salt)))
	return apr1Magic + salt + "$" + string(enc[:])
}

func TestApr1KnownVectors(t *testing.T) {
	// Made with openssl passwd -apr1 -salt SALT (the first two are in
	// testdata/htpasswd/apr1-openssl.htpasswd).
	for _, c := range []struct{ password, salt, want string }{
		{"correct horse battery staple", "ab", "$apr1$ab$FH/wrh1FLRfeI48WT8Ifu1"},
		{"", "x", "$apr1$x$tMwYqBfQwi3FYAr0aJc8M/"},
		{"a", "abcdefgh", "$apr1$abcdefgh$G8IsPsylW5ROvIKsQMRG61"},
		{"", "abcdefgh", "$apr1$abcdefgh$L.PT565ESX4Tp2bqNs7Ie."},
		{"bb", "abcdefgh", "$apr1$abcdefgh$sEfjUthqbzx/nDO5AzTEV1"},
	} {
		if got := apr1String(c.password, c.salt); got != c.want {
			t.Errorf("apr1(%q, %q) = %s, want %s", c.password, c.salt, got, c.want)
		}
	}
}

// TestApr1AgainstOpenSSL compares many password lengths (each crossing of
// the 16-byte block and every bit pattern of the length loop up to 70)
// and salt lengths with OpenSSL's independent implementation.
func TestApr1AgainstOpenSSL(t *testing.T) {
	tool := testbin.Find(t, "openssl", "openssl")
	var passwords []string
	for n := range 71 {
		var b strings.Builder
		for i := range n {
			b.WriteByte("pa:ss wörd 0123456789"[i%21])
		}
		passwords = append(passwords, b.String())
	}
	passwords = append(passwords, "ünïcödé", "tab\tinside", "  ")
	input := strings.Join(passwords, "\n") + "\n"
	for _, salt := range []string{"a", "ab", "abc/.", "ABCDEFGH", "z9./Qx1P"} {
		cmd := exec.Command(tool, "passwd", "-apr1", "-salt", salt, "-stdin")
		cmd.Stdin = strings.NewReader(input)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("openssl: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != len(passwords) {
			t.Fatalf("openssl printed %d lines for %d passwords", len(lines), len(passwords))
		}
		for i, pw := range passwords {
			if got := apr1String(pw, salt); got != lines[i] {
				t.Errorf("apr1(%q, %q) = %s, openssl says %s", pw, salt, got, lines[i])
			}
		}
	}
}

func TestApr1EncodeDecodeRoundTrip(t *testing.T) {
	for i := range 1000 {
		d := md5.Sum(fmt.Appendf(nil, "digest %d", i))
		if i == 0 {
			d = [md5.Size]byte{}
		} else if i == 1 {
			d = [md5.Size]byte(bytes.Repeat([]byte{0xff}, md5.Size))
		}
		enc := apr1Encode(d)
		got, err := apr1Decode(string(enc[:]))
		if err != nil || got != d {
			t.Fatalf("decode(encode(%x)) = %x, %v", d, got, err)
		}
	}
}

func TestApr1DecodeRejects(t *testing.T) {
	for _, s := range []string{
		"",
		"rG3rswG8MxzbElWf.dRNo",   // 21 characters
		"rG3rswG8MxzbElWf.dRNo00", // 23
		"rG3rswG8MxzbElWf.dRN=0",  // not in the alphabet
		"rG3rswG8MxzbElWf.dRN\xff0",
		"rG3rswG8MxzbElWf.dRNo4", // last byte 52 | 6<<6 > 0xff
		"rG3rswG8MxzbElWf.dRNoz", // top bits of the last character set
	} {
		if _, err := apr1Decode(s); err == nil {
			t.Errorf("apr1Decode(%q) accepted", s)
		}
	}
	// The largest canonical last pair: 'z' (63) | '1' (3) << 6 = 0xff.
	if d, err := apr1Decode("rG3rswG8MxzbElWf.dRNz1"); err != nil || d[11] != 0xff {
		t.Errorf("apr1Decode of a last byte 0xff: %x, %v", d, err)
	}
}

func TestCryptIndexMatchesAlphabet(t *testing.T) {
	for c := range 256 {
		want := strings.IndexByte(cryptAlphabet, byte(c))
		if got := cryptIndex(byte(c)); got != want {
			t.Errorf("cryptIndex(%q) = %d, want %d", byte(c), got, want)
		}
	}
}

func BenchmarkApr1(b *testing.B) {
	pw, salt := []byte("correct horse battery staple"), []byte("zMuhWvMD")
	for b.Loop() {
		apr1Sum(pw, salt)
	}
}
