package auth

import (
	"slices"
	"strings"
)

// Decision is the outcome of checking a [Requirement].
type Decision int

const (
	// DecisionAllow lets the caller through.
	DecisionAllow Decision = iota
	// DecisionUnauthenticated means nobody is logged in: answer 401.
	DecisionUnauthenticated
	// DecisionForbidden means the caller is known but lacks a group: answer 403.
	DecisionForbidden
)

// String returns "allow", "unauthenticated" or "forbidden".
func (d Decision) String() string {
	switch d {
	case DecisionAllow:
		return "allow"
	case DecisionUnauthenticated:
		return "unauthenticated"
	case DecisionForbidden:
		return "forbidden"
	}
	return "invalid"
}

// Requirement is a rule an identity must meet. A nil identity (an
// anonymous caller) is always DecisionUnauthenticated.
type Requirement interface {
	Check(id *Identity) Decision
}

// groupRuleKind says how a groupRule combines its groups.
type groupRuleKind int

const (
	ruleOneOf groupRuleKind = iota
	ruleAllOf
	ruleNoneOf
)

// groupRule is the Requirement behind OneOf, AllOf and NoneOf.
type groupRule struct {
	kind   groupRuleKind
	groups []string
	// broken is set when a name in groups cannot be a group name, so no
	// identity this package makes can hold it: the rule then forbids
	// everyone rather than guess what was meant.
	broken bool
}

// newGroupRule builds a rule of kind over a copy of groups.
func newGroupRule(kind groupRuleKind, groups []string) groupRule {
	r := groupRule{kind: kind, groups: slices.Clone(groups)}
	r.broken = !allHeaderNames(r.groups)
	return r
}

// OneOf requires membership of at least one of groups, in any order. With
// no groups it denies everyone: an empty list names nobody.
//
// For OneOf, AllOf and NoneOf alike, a name that can never be a group
// (empty, or holding a comma or a control character, or white space at an
// end: see [Identity].Groups) makes the rule forbid every caller, so that
// a mistake such as NoneOf("contractors, guests") fails closed.
func OneOf(groups ...string) Requirement {
	return newGroupRule(ruleOneOf, groups)
}

// AllOf requires membership of every one of groups. With no groups it
// allows every authenticated caller. A name that cannot be a group
// forbids everyone, as for [OneOf].
func AllOf(groups ...string) Requirement {
	return newGroupRule(ruleAllOf, groups)
}

// NoneOf requires membership of none of groups. With no groups it allows
// every authenticated caller. A name that cannot be a group forbids
// everyone, as for [OneOf].
func NoneOf(groups ...string) Requirement {
	return newGroupRule(ruleNoneOf, groups)
}

// Check applies the rule to id. It reads id.Groups in any order, so an
// Identity built by hand is judged as one this package made.
func (r groupRule) Check(id *Identity) Decision {
	if id == nil {
		return DecisionUnauthenticated
	}
	if r.broken {
		return DecisionForbidden
	}
	switch r.kind {
	case ruleOneOf:
		for _, g := range r.groups {
			if id.InGroup(g) {
				return DecisionAllow
			}
		}
		return DecisionForbidden
	case ruleAllOf:
		for _, g := range r.groups {
			if !id.InGroup(g) {
				return DecisionForbidden
			}
		}
		return DecisionAllow
	default:
		for _, g := range r.groups {
			if id.InGroup(g) {
				return DecisionForbidden
			}
		}
		return DecisionAllow
	}
}

// String describes the rule, such as `OneOf("admin", "ops")`.
func (r groupRule) String() string {
	name := [...]string{"OneOf", "AllOf", "NoneOf"}[r.kind]
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('(')
	for i, g := range r.groups {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('"')
		b.WriteString(g)
		b.WriteByte('"')
	}
	b.WriteByte(')')
	return b.String()
}

// checkAll applies every requirement; the caller must meet them all. An
// anonymous caller is Unauthenticated even when reqs is empty.
func checkAll(id *Identity, reqs []Requirement) Decision {
	if id == nil {
		return DecisionUnauthenticated
	}
	for _, r := range reqs {
		if d := r.Check(id); d != DecisionAllow {
			return d
		}
	}
	return DecisionAllow
}
