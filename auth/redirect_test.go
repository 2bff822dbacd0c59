package auth

import "testing"

func TestSafeRedirect(t *testing.T) {
	allowed := []string{"app.example.com", "admin.example.com:8443"}
	tests := []struct {
		next, want string
	}{
		{"", "/"},
		{"/", "/"},
		{"/dashboard", "/dashboard"},
		{"/dashboard?tab=2#x", "/dashboard?tab=2#x"},
		{"/a/%2f%2fevil.com", "/a/%2f%2fevil.com"},
		{"https://app.example.com/x", "https://app.example.com/x"},
		{"https://APP.example.com/x", "https://APP.example.com/x"},
		{"https://admin.example.com:8443/", "https://admin.example.com:8443/"},

		{"//evil.com", "/"},
		{"///evil.com", "/"},
		{"/\\evil.com", "/"},
		{"\\\\evil.com", "/"},
		{"/\t/evil.com", "/"},
		{"/\n/evil.com", "/"},
		{"/x\x00", "/"},
		{"evil.com", "/"},
		{"dashboard", "/"},
		{"javascript:alert(1)", "/"},
		{"JavaScript:alert(1)", "/"},
		{"data:text/html,hi", "/"},
		{"https://evil.com", "/"},
		{"http://app.example.com.evil.com/", "/"},
		{"https://app.example.com@evil.com/", "/"},
		{"https://evil.com@app.example.com/", "/"},
		{"https://admin.example.com/", "/"},
		{"https://app.example.com:9999/", "/"},
		{"ftp://app.example.com/", "/"},
		{"https:app.example.com", "/"},
		{"https:///evil.com", "/"},
		{"/" + string(make([]byte, 3000)), "/"},
	}
	for _, tt := range tests {
		if got := safeRedirect(tt.next, allowed, "/"); got != tt.want {
			t.Errorf("safeRedirect(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}

func FuzzSafeRedirect(f *testing.F) {
	for _, s := range []string{"/", "//x", "/\\x", "https://app.example.com/", "javascript:x", "/%09/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeRedirect(next, []string{"app.example.com"}, "/")
		if got == "/" || got == next {
			if got != "/" {
				if len(got) > 1 && (got[1] == '/' || got[1] == '\\') && got[0] == '/' {
					t.Fatalf("protocol-relative %q accepted", got)
				}
			}
			return
		}
		t.Fatalf("safeRedirect(%q) = %q: neither the input nor the fallback", next, got)
	})
}
