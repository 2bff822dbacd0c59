package auth

import (
	"slices"
	"strings"
)

// AllSections, among a user's sections, allows every section: the
// sections of an identity ([Identity.Sections], checked by [InSection])
// and the path prefixes of [ForwardAuthConfig.Sections] alike.
const AllSections = "_all_"

// InSection reports whether the identity may reach section: its Sections
// hold section or [AllSections], in any order. An empty section is
// reached by nobody.
func (id *Identity) InSection(section string) bool {
	if id == nil || section == "" {
		return false
	}
	return holds(id.Sections, section) || holds(id.Sections, AllSections)
}

// holds reports whether names holds name. Every Identity this package
// makes has its groups and sections sorted, so a binary search finds a
// member in log n steps. What it finds is there whatever the order; what
// it misses is looked for with a scan, which is right for names in any
// order (an Identity built by hand).
func holds(names []string, name string) bool {
	if _, ok := slices.BinarySearch(names, name); ok {
		return true
	}
	return slices.Contains(names, name)
}

// InSection requires the caller to hold section among their
// [Identity.Sections], or [AllSections]. Like the group rules it answers
// unauthenticated for an anonymous caller and forbidden for one without
// the section, and it composes with them: several requirements must all
// be met, so Require(OneOf("staff"), InSection("hr")) asks for both.
//
// A name that can never be a section (empty, or holding a comma or a
// control character, or white space at an end) makes the rule forbid
// every caller.
func InSection(section string) Requirement {
	return sectionRule{section: section, broken: !headerName(section)}
}

// sectionRule is the Requirement behind InSection.
type sectionRule struct {
	section string
	broken  bool
}

// Check applies the rule to id.
func (r sectionRule) Check(id *Identity) Decision {
	switch {
	case id == nil:
		return DecisionUnauthenticated
	case !r.broken && id.InSection(r.section):
		return DecisionAllow
	}
	return DecisionForbidden
}

// String describes the rule, such as `InSection("hr")`.
func (r sectionRule) String() string {
	var b strings.Builder
	b.WriteString(`InSection("`)
	b.WriteString(r.section)
	b.WriteString(`")`)
	return b.String()
}

// normalizeSections is normalizeGroups for sections, except that no
// section gives nil: an Identity's Sections are nil when it has none.
func normalizeSections(sections []string) []string {
	if len(sections) == 0 {
		return nil
	}
	if s := normalizeGroups(sections); len(s) > 0 {
		return s
	}
	return nil
}

// ownSections is normalizeSections with a result that never shares the
// array of sections, for a source that may change the slice it gave.
func ownSections(sections []string) []string {
	if len(sections) == 0 {
		return nil
	}
	if s := ownGroups(sections); len(s) > 0 {
		return s
	}
	return nil
}
