package adapter

import (
	"net/http"
	"strings"
	"testing"
)

// TestCookieValueAgreesWithNetHTTP checks CookieValue against
// Request.Cookie on hand-picked header lines, and FuzzCookieValue on
// arbitrary ones.
func TestCookieValueAgreesWithNetHTTP(t *testing.T) {
	for _, lines := range [][]string{
		nil,
		{""},
		{"s=abc"},
		{"a=1; s=abc; b=2"},
		{"a=1", "s=second-line"},
		{`s="quoted"`},
		{`s="`},
		{`s=""`},
		{"s=bad value\\; s=good"},
		{"s=bad\"v; s=good"},
		{"  s = spaced ;x=1"},
		{"S=case"},
		{"s"},
		{"s="},
		{"s=é; s=ascii"},
		{";;; s=after-empties"},
		{"\ts=tab\t"},
		{"xs=prefix; sx=suffix"},
	} {
		if got, want := CookieValue(lines, "s"), netHTTPCookie(lines, "s"); got != want {
			t.Errorf("CookieValue(%q) = %q, net/http reads %q", lines, got, want)
		}
	}
}

// TestCookieValueLimit checks that past 3,000 cookies nothing is read, as
// net/http does.
func TestCookieValueLimit(t *testing.T) {
	line := "s=v"
	for range 3000 {
		line += "; x=1"
	}
	if got, want := CookieValue([]string{line}, "s"), netHTTPCookie([]string{line}, "s"); got != want || got != "" {
		t.Fatalf("over the limit: got %q, net/http %q, want both empty", got, want)
	}
}

// TestCookieValueAllocates nothing.
func TestCookieValueAllocates(t *testing.T) {
	lines := []string{"a=1; authwire_session=MTczMzE0NTYwMHxabc; b=2"}
	if n := testing.AllocsPerRun(100, func() { _ = CookieValue(lines, "authwire_session") }); n != 0 {
		t.Fatalf("CookieValue allocates %v times, want 0", n)
	}
}

func FuzzCookieValue(f *testing.F) {
	f.Add("a=1; s=abc", "")
	f.Add(`s="x"`, "s=y")
	f.Fuzz(func(t *testing.T, a, b string) {
		lines := []string{a}
		if b != "" {
			lines = append(lines, b)
		}
		got, want := CookieValue(lines, "s"), netHTTPCookie(lines, "s")
		if got != want {
			t.Fatalf("CookieValue(%q) = %q, net/http reads %q", lines, got, want)
		}
		// What PeekCookieValue shows is what net/http reads whenever
		// its bytes are valid, and nothing only when net/http reads
		// nothing.
		peek := PeekCookieValue(lines, "s")
		if validCookieOctets(peek) && peek != want {
			t.Fatalf("PeekCookieValue(%q) = %q, a valid value, but net/http reads %q", lines, peek, want)
		}
	})
}

// TestPeekCookieValue: the first cookie of the name, checked or not.
func TestPeekCookieValue(t *testing.T) {
	for _, tc := range []struct {
		lines []string
		want  string
	}{
		{nil, ""},
		{[]string{"a=1; s=abc; b=2"}, "abc"},
		{[]string{`s="quoted"`}, "quoted"},
		{[]string{"s=bad value\\; s=good"}, "bad value\\"},
		{[]string{"s=é; s=ascii"}, "é"},
		{[]string{"a=1", "s=second-line"}, "second-line"},
		{[]string{"xs=prefix; sx=suffix"}, ""},
		{[]string{"s=v" + strings.Repeat("; x=1", 3000)}, ""}, // past net/http's limit
	} {
		if got := PeekCookieValue(tc.lines, "s"); got != tc.want {
			t.Errorf("PeekCookieValue(%q) = %q, want %q", tc.lines, got, tc.want)
		}
	}
}

func netHTTPCookie(lines []string, name string) string {
	r := &http.Request{Header: http.Header{"Cookie": lines}}
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// BenchmarkCookieValue reads a session-sized cookie among others.
func BenchmarkCookieValue(b *testing.B) {
	lines := []string{"theme=dark; authwire_session=" + strings.Repeat("MTczMzE0NTYwMHxEdi1CQkFFQ180SUFBUkFCRUFBQV8tX18", 8) + "; lang=en"}
	b.ReportAllocs()
	for b.Loop() {
		if CookieValue(lines, "authwire_session") == "" {
			b.Fatal("not found")
		}
	}
}

// TestValidCookieOctets checks the eight-at-a-time test against a byte
// at a time: every byte value at every position of a 16-byte value, next
// to good bytes and next to bytes that borrow (0x00, 0x01, 0x20).
func TestValidCookieOctets(t *testing.T) {
	naive := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if b := s[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
				return false
			}
		}
		return true
	}
	for _, fill := range []byte{'a', 0x20, 0x7e, 0x21, 0x00, 0x01} {
		for n := range 17 {
			for pos := range n {
				for c := range 256 {
					b := []byte(strings.Repeat(string(rune(fill)), n))
					b[pos] = byte(c)
					if got, want := validCookieOctets(string(b)), naive(string(b)); got != want {
						t.Fatalf("validCookieOctets(%q) = %v, want %v", b, got, want)
					}
				}
			}
		}
	}
}

func FuzzValidCookieOctets(f *testing.F) {
	f.Add("MTczMzE0NTYwMHxEdi1CQkFFQ18")
	f.Fuzz(func(t *testing.T, s string) {
		want := true
		for i := 0; i < len(s); i++ {
			if b := s[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
				want = false
			}
		}
		if got := validCookieOctets(s); got != want {
			t.Fatalf("validCookieOctets(%q) = %v, want %v", s, got, want)
		}
	})
}

// TestTrimParsedCookie: after a parser that trims blanks and one pair of
// quotes (fasthttp), the pair reads as net/http reads the raw cookie.
func TestTrimParsedCookie(t *testing.T) {
	for _, tc := range []struct{ key, value, wantKey, wantValue string }{
		{"s", "v", "s", "v"},
		{"\ts", "v\t", "s", "v"},
		{"s", "\t\"v\"\t", "s", "v"}, // quotes the tabs hid from the parser
		{"s", "\"v\"", "s", "\"v\""}, // untouched: the parser saw no quotes here
	} {
		k, v := TrimParsedCookie(tc.key, tc.value)
		if k != tc.wantKey || v != tc.wantValue {
			t.Errorf("TrimParsedCookie(%q, %q) = %q, %q; want %q, %q", tc.key, tc.value, k, v, tc.wantKey, tc.wantValue)
		}
	}
}
