package auth

import (
	"encoding/base64"
	"strings"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestParseBasic(t *testing.T) {
	tests := []struct {
		name       string
		header     string
		user, pass string
		want       basicParse
	}{
		{"plain", "Basic " + b64("alice:secret"), "alice", "secret", basicFound},
		{"lowercase scheme", "basic " + b64("alice:secret"), "alice", "secret", basicFound},
		{"uppercase scheme", "BASIC " + b64("alice:secret"), "alice", "secret", basicFound},
		{"several spaces", "Basic   " + b64("alice:secret"), "alice", "secret", basicFound},
		{"tab separator", "Basic\t" + b64("alice:secret"), "alice", "secret", basicFound},
		{"surrounding whitespace", "  Basic " + b64("alice:secret") + " ", "alice", "secret", basicFound},
		{"colon in password", "Basic " + b64("alice:se:cr:et"), "alice", "se:cr:et", basicFound},
		{"utf-8 password", "Basic " + b64("jürgen:pässwörd✓"), "jürgen", "pässwörd✓", basicFound},
		{"empty user", "Basic " + b64(":secret"), "", "secret", basicFound},
		{"empty password", "Basic " + b64("alice:"), "alice", "", basicFound},
		{"both empty", "Basic " + b64(":"), "", "", basicFound},

		{"no header", "", "", "", basicAbsent},
		{"whitespace only", "   ", "", "", basicAbsent},
		{"bearer", "Bearer abc.def", "", "", basicAbsent},
		{"digest", `Digest username="a"`, "", "", basicAbsent},
		{"no space after scheme", "Basic" + b64("alice:secret"), "", "", basicAbsent},
		{"kelvin sign scheme", "\u212aasic " + b64("a:b"), "", "", basicAbsent},

		{"scheme only", "Basic", "", "", basicMalformed},
		{"scheme and space", "Basic ", "", "", basicMalformed},
		{"not base64", "Basic !!!!", "", "", basicMalformed},
		{"url-safe alphabet", "Basic " + strings.NewReplacer("+", "-", "/", "_").Replace(b64("a?>:b?>")), "", "", basicMalformed},
		{"missing padding", "Basic " + strings.TrimRight(b64("alice:secre"), "="), "", "", basicMalformed},
		{"padding inside", "Basic YW==xpY2U6c2VjcmV0", "", "", basicMalformed},
		{"three pads", "Basic YWJj===", "", "", basicMalformed},
		{"no colon", "Basic " + b64("alicesecret"), "", "", basicMalformed},
		{"two tokens", "Basic " + b64("a:b") + " " + b64("c:d"), "", "", basicMalformed},
		{"newline in payload", "Basic YWxp\nY2U6c2VjcmV0", "", "", basicMalformed},
		{"NUL in password", "Basic " + b64("alice:sec\x00ret"), "", "", basicMalformed},
		{"DEL in user", "Basic " + b64("al\x7fice:secret"), "", "", basicMalformed},
		{"tab in password", "Basic " + b64("alice:sec\tret"), "", "", basicMalformed},
		{"newline in user", "Basic " + b64("al\nice:secret"), "", "", basicMalformed},
		{"invalid utf-8", "Basic " + b64("alice:\xff\xfe"), "", "", basicMalformed},
		{"comma params", `Basic realm="x"`, "", "", basicMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf [64]byte
			u, p, got := parseBasic(tt.header, buf[:])
			if got != tt.want {
				t.Fatalf("parseBasic(%q) result = %v, want %v", tt.header, got, tt.want)
			}
			if got != basicFound {
				if u != nil || p != nil {
					t.Fatalf("non-found result returned credentials")
				}
				return
			}
			if string(u) != tt.user || string(p) != tt.pass {
				t.Fatalf("parseBasic(%q) = %q, %q; want %q, %q", tt.header, u, p, tt.user, tt.pass)
			}
		})
	}
}

func TestParseBasicLargePayloadUsesHeap(t *testing.T) {
	long := strings.Repeat("x", 1000)
	var buf [16]byte
	u, p, res := parseBasic("Basic "+b64("u:"+long), buf[:])
	if res != basicFound || string(u) != "u" || string(p) != long {
		t.Fatalf("got %v %q (len %d)", res, u, len(p))
	}
}

func FuzzParseBasic(f *testing.F) {
	for _, s := range []string{
		"Basic " + b64("alice:secret"), "basic " + b64("a:b:c"), "Basic", "Basic ",
		"Bearer x", "Basic YW==", "Basic " + b64("\x00:\x00"), "Basic\t\t" + b64("ü:ß"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		var buf [32]byte
		u, p, res := parseBasic(header, buf[:])
		if res != basicFound {
			return
		}
		if strings.ContainsRune(string(u), ':') {
			t.Fatalf("user %q contains a colon", u)
		}
		for _, part := range [][]byte{u, p} {
			if strings.ContainsFunc(string(part), isCTL) {
				t.Fatalf("control character accepted in %q", part)
			}
		}
		// Re-encoding what was parsed must parse to the same result.
		u2, p2, res2 := parseBasic("Basic "+b64(string(u)+":"+string(p)), nil)
		if res2 != basicFound || string(u2) != string(u) || string(p2) != string(p) {
			t.Fatalf("round trip of %q:%q failed", u, p)
		}
	})
}

func TestBasicChallengeQuotesRealm(t *testing.T) {
	got := basicChallenge(`my "big" \ realm`)
	want := `Basic realm="my \"big\" \\ realm", charset="UTF-8"`
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
