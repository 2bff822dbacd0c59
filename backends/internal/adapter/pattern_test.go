package adapter

import "testing"

func TestSpell(t *testing.T) {
	gin := func(name string, rest bool) string {
		if rest {
			return "*" + name
		}
		return ":" + name
	}
	for _, tc := range []struct{ pattern, method, path string }{
		{"GET /ws/echo", "GET", "/ws/echo"},
		{"/_callbacks/", "", "/_callbacks/*path"},
		{"GET /ws/room/{id}", "GET", "/ws/room/:id"},
		{"POST  /files/{rest...}", "POST", "/files/*rest"},
		{"/", "", "/*path"},
	} {
		m, p := Spell("test", tc.pattern, gin, "*path")
		if m != tc.method || p != tc.path {
			t.Errorf("Spell(%q) = %q %q, want %q %q", tc.pattern, m, p, tc.method, tc.path)
		}
	}
	for _, bad := range []string{"ws/echo", "GET /a//b", "/a/{}", "/a/{x...}/b", "/a/{x...}/", "/a/:id", "/a/*", "/a/<id>", "/a/{$}"} {
		if _, err := ParsePattern(bad); err == nil {
			t.Errorf("ParsePattern(%q) accepted", bad)
		}
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("Spell of a bad pattern did not panic")
		}
	}()
	Spell("test", "/a/*", gin, "*")
}
