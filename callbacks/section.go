package callbacks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/authwire/authwire/auth"
)

// sectioned resolves the section cb belongs to (its Section, or with
// fromNames the "<section>-" prefix of its name) and returns cb with that
// section in Section and auth.InSection(section) added to a copy of its
// Requires, so that the check runs at call time with the group rules,
// over HTTP and WebSocket alike. A public callback in a section, a
// Section that cannot be a section name, or a Section that its name
// contradicts is an error.
func sectioned(cb Callback, fromNames bool) (Callback, error) {
	section := cb.Section
	if fromNames {
		if prefix, _, ok := strings.Cut(cb.Name, "-"); ok && prefix != "" {
			if section != "" && section != prefix {
				return cb, fmt.Errorf("callbacks: %q has Section %q, but its name puts it in section %q", cb.Name, section, prefix)
			}
			section = prefix
		}
	}
	if section == "" {
		return cb, nil
	}
	rule := auth.InSection(section)
	switch {
	case cb.Public:
		return cb, fmt.Errorf("callbacks: %q is public but belongs to section %q", cb.Name, section)
	case rule.Check(&auth.Identity{Sections: []string{section}}) != auth.DecisionAllow:
		// Only a name that can never be a section fails its own holder.
		return cb, fmt.Errorf("callbacks: %q has the section %q, which is empty or holds a comma, a control character or white space at an end", cb.Name, section)
	}
	cb.Section = section
	cb.Requires = append(slices.Clip(cb.Requires), rule)
	return cb, nil
}
