package auth

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestNormalizeGroups checks the one normalisation every entry uses.
func TestNormalizeGroups(t *testing.T) {
	for _, tc := range []struct {
		in, want []string
	}{
		{nil, []string{}},
		{[]string{}, []string{}},
		{[]string{"users", "blocked", "users"}, []string{"blocked", "users"}},
		{[]string{"zeta", "admin"}, []string{"admin", "zeta"}},
		{[]string{"viewer,admin", "x", "", " admin", "admin ", "a\tb", "ad\x7fmin", "\xffx", "é", "domain users"}, []string{"domain users", "x", "é"}},
	} {
		in := slices.Clone(tc.in)
		got := normalizeGroups(in)
		if got == nil || !slices.Equal(got, tc.want) {
			t.Errorf("normalizeGroups(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !slices.Equal(in, tc.in) {
			t.Errorf("normalizeGroups changed its argument: %q", in)
		}
		own := ownGroups(in)
		if !slices.Equal(own, tc.want) || len(own) > 0 && len(in) > 0 && &own[0] == &in[0] {
			t.Errorf("ownGroups(%q) = %q or shares its argument", tc.in, own)
		}
	}
	sorted := []string{"a", "b"}
	if got := normalizeGroups(sorted); &got[0] != &sorted[0] {
		t.Error("normalizeGroups copied groups that were normalised already")
	}
	b, _ := json.Marshal(newIdentity("u", "basic", nil).Groups)
	if string(b) != "[]" {
		t.Errorf("no groups encode as %s, want []", b)
	}
}
