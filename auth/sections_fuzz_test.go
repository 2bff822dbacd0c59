package auth

import (
	"slices"
	"testing"
)

// FuzzInSection checks InSection against a plain reading of its rule: an
// identity built by hand with any sections, in any order, passes
// InSection(s) exactly when s can be a section name and the sections hold
// s or AllSections; the identity with its sections normalised, as they
// enter from a source or a session, is judged the same; and the
// normalised list is sorted, without duplicates or impossible names, and
// nil when empty.
func FuzzInSection(f *testing.F) {
	f.Add([]byte{3, 0, 1, 2, 0})
	f.Add([]byte{2, 0x85, 'h', 'r', 0, 0, 0, 0x82, 'h', 'r'})
	f.Add([]byte{1, 0x85, '_', 'a', 'l', 'l', '_', 0x82, 'h', 'r'})
	f.Fuzz(func(t *testing.T, b []byte) {
		in := &fuzzInput{b: b}
		sections := in.names(6)
		if in.next()%4 == 0 {
			sections = append(sections, AllSections)
		}
		section := in.name()
		hand := &Identity{User: "u", Sections: sections}
		want := DecisionForbidden
		if naiveGroupName(section) && (slices.Contains(sections, section) || slices.Contains(sections, AllSections)) {
			want = DecisionAllow
		}
		if got := InSection(section).Check(hand); got != want {
			t.Fatalf("InSection(%q) on %q = %v, want %v", section, sections, got, want)
		}
		norm := normalizeSections(sections)
		if got := InSection(section).Check(&Identity{User: "u", Sections: norm}); got != want {
			t.Fatalf("InSection(%q) on normalised %q (from %q) = %v, want %v", section, norm, sections, got, want)
		}
		if norm != nil && (len(norm) == 0 || !normalGroups(norm)) {
			t.Fatalf("normalizeSections(%q) = %q", sections, norm)
		}
		for _, s := range sections {
			if naiveGroupName(s) && !slices.Contains(norm, s) {
				t.Fatalf("normalizeSections(%q) dropped %q", sections, s)
			}
		}
	})
}
