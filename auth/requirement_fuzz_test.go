package auth

import (
	"slices"
	"testing"
	"unicode"
	"unicode/utf8"
)

// fuzzGroupNames are the names a fuzz input picks from most of the time,
// so that identities and rules share names often: plain ones, and ones
// no group may be called (empty, with a comma, a control character,
// white space at an end, invalid UTF-8).
var fuzzGroupNames = []string{
	"admin", "viewer", "blocked", "users", "zeta", "", "a,b", " admin", "admin ",
	"ad\x01min", "\xff", "é", "domain users", "admin\u00a0", "b",
}

// fuzzInput reads an identity and a list of rules from fuzz bytes. A name
// byte below 0x80 picks from fuzzGroupNames; above, its low four bits are
// the length of a name taken from the bytes that follow.
type fuzzInput struct{ b []byte }

func (in *fuzzInput) next() byte {
	if len(in.b) == 0 {
		return 0
	}
	c := in.b[0]
	in.b = in.b[1:]
	return c
}

func (in *fuzzInput) name() string {
	c := in.next()
	if c < 0x80 {
		return fuzzGroupNames[int(c)%len(fuzzGroupNames)]
	}
	n := min(int(c&0x0f), len(in.b))
	s := string(in.b[:n])
	in.b = in.b[n:]
	return s
}

func (in *fuzzInput) names(limit int) []string {
	n := int(in.next()) % (limit + 1)
	var out []string
	for range n {
		out = append(out, in.name())
	}
	return out
}

// fuzzRule is one rule as the naive model sees it.
type fuzzRule struct {
	kind   groupRuleKind
	groups []string
}

func (r fuzzRule) requirement() Requirement {
	return [...]func(...string) Requirement{OneOf, AllOf, NoneOf}[r.kind](r.groups...)
}

// naiveGroupName is what a group may be called, written out plainly.
func naiveGroupName(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == ',' {
			return false
		}
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	return !unicode.IsSpace(first) && !unicode.IsSpace(last)
}

// naiveDecision is the meaning of checkAll, with a set for membership.
func naiveDecision(groups []string, anonymous bool, rules []fuzzRule) Decision {
	if anonymous {
		return DecisionUnauthenticated
	}
	member := map[string]bool{}
	for _, g := range groups {
		member[g] = true
	}
	for _, r := range rules {
		hits := 0
		for _, g := range r.groups {
			if !naiveGroupName(g) {
				return DecisionForbidden
			}
			if member[g] {
				hits++
			}
		}
		switch {
		case r.kind == ruleOneOf && hits == 0,
			r.kind == ruleAllOf && hits < len(r.groups),
			r.kind == ruleNoneOf && hits > 0:
			return DecisionForbidden
		}
	}
	return DecisionAllow
}

// FuzzGroupRules checks OneOf, AllOf and NoneOf, alone and together (as
// Rule and Require combine them), against naiveDecision: on identities
// built by hand with groups in any order, with duplicates and with names
// no group may have, and on the same groups after normalizeGroups, which
// must keep every usable name and drop the others. Its seed corpus is in
// testdata/fuzz/FuzzGroupRules.
func FuzzGroupRules(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &fuzzInput{b: data}
		anonymous := in.next()&1 == 1
		groups := in.names(12)
		var rules []fuzzRule
		for range int(in.next()) % 5 {
			rules = append(rules, fuzzRule{kind: groupRuleKind(in.next() % 3), groups: in.names(4)})
		}
		reqs := make([]Requirement, len(rules))
		for i, r := range rules {
			reqs[i] = r.requirement()
		}
		kept := slices.Clone(groups)
		norm := normalizeGroups(groups)
		if !slices.Equal(groups, kept) {
			t.Fatalf("normalizeGroups changed its argument %q", kept)
		}
		if norm == nil || !slices.IsSorted(norm) || len(slices.Compact(slices.Clone(norm))) != len(norm) {
			t.Fatalf("normalizeGroups(%q) = %q: not sorted, unique and non-nil", groups, norm)
		}
		for _, g := range norm {
			if !naiveGroupName(g) || !slices.Contains(groups, g) {
				t.Fatalf("normalizeGroups(%q) = %q holds %q", groups, norm, g)
			}
		}
		for _, g := range groups {
			if naiveGroupName(g) != slices.Contains(norm, g) {
				t.Fatalf("normalizeGroups(%q) = %q: %q kept or dropped wrongly", groups, norm, g)
			}
		}

		var hand, made *Identity
		if !anonymous {
			hand = &Identity{User: "u", Groups: groups}
			made = newIdentity("u", "basic", groups)
		}
		want := naiveDecision(groups, anonymous, rules)
		if got := checkAll(hand, reqs); got != want {
			t.Fatalf("checkAll(%q, %v) = %v, want %v", groups, reqs, got, want)
		}
		if got := checkAll(made, reqs); got != want {
			t.Fatalf("checkAll(normalised %q, %v) = %v, want %v", norm, reqs, got, want)
		}
		for i, r := range rules {
			if got, want := reqs[i].Check(hand), naiveDecision(groups, anonymous, rules[i:i+1]); got != want {
				t.Fatalf("%v.Check(%q) = %v, want %v", reqs[i], groups, got, want)
			}
			for _, g := range r.groups {
				if hand.InGroup(g) != (!anonymous && slices.Contains(groups, g)) {
					t.Fatalf("InGroup(%q) on %q is wrong", g, groups)
				}
			}
		}
	})
}
