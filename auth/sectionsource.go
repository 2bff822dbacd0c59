package auth

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

// SectionsFunc returns the sections of user from an outside system (see
// [Identity].Sections). An error is logged and denies the request. The
// slice may be in any order, with duplicates; names that cannot be
// section names are dropped. It must be safe for concurrent use.
type SectionsFunc func(ctx context.Context, user string) ([]string, error)

// sectionOptions is what the section options ask for; at most one source.
type sectionOptions struct {
	names  []string // the options that set a source, for the error message
	static map[string][]string
	fn     SectionsFunc
	file   string
}

// WithUserSections sets each password user's sections (see
// [Identity].Sections): the map is keyed by user name, and [AllSections]
// in a list allows every section. Names that cannot be section names
// (empty, or holding a comma or a control character, or white space at
// an end) make New fail. Like the groups, sections are looked up where a
// password is checked (Basic and the login form), and a session keeps
// them; a custom [Authenticator] sets its identities' own.
func WithUserSections(sections map[string][]string) Option {
	return func(c *config) error {
		c.sectionOpts.names = append(c.sectionOpts.names, "WithUserSections")
		c.sectionOpts.static = sections
		return nil
	}
}

// WithSectionsFunc looks each password user's sections up with fn when
// their password is checked, as [WithGroupsFunc] does for groups.
func WithSectionsFunc(fn SectionsFunc) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("%w: WithSectionsFunc(nil)", ErrInvalidConfig)
		}
		c.sectionOpts.names = append(c.sectionOpts.names, "WithSectionsFunc")
		c.sectionOpts.fn = fn
		return nil
	}
}

// WithSectionsFile reads the password users' sections from a file in the
// htgroup format, a section per line followed by its users:
//
//	# section: users
//	_all_: admin
//	marketing: viewer alice
//	hr: alice
//
// It is re-read when it changes, like [WithHtgroupFile]; if the new
// content is broken, the previous sections stay and an error is logged.
func WithSectionsFile(path string) Option {
	return func(c *config) error {
		c.sectionOpts.names = append(c.sectionOpts.names, "WithSectionsFile")
		c.sectionOpts.file = path
		return nil
	}
}

// newSectionSource builds the configured section source, or nil when
// there is none.
func newSectionSource(cfg *config) (groupSource, error) {
	o := cfg.sectionOpts
	switch {
	case len(o.names) > 1:
		return nil, fmt.Errorf("%w: %s are section sources; choose one", ErrInvalidConfig, listNames(o.names))
	case o.static != nil:
		s := make(staticGroups, len(o.static))
		for user, sections := range o.static {
			if user == "" {
				return nil, fmt.Errorf("%w: empty user name in the section map", ErrInvalidConfig)
			}
			for _, name := range sections {
				if !headerName(name) {
					return nil, fmt.Errorf("%w: user %q has the section name %q, which is empty or holds a comma, a control character or white space at an end", ErrInvalidConfig, user, name)
				}
			}
			s[user] = ownSections(sections)
		}
		return s, nil
	case o.fn != nil:
		return funcGroups(o.fn), nil
	case o.file != "":
		w, err := openWatchedFile(o.file, "sections", cfg.fileRecheck, cfg.now, cfg.log,
			func(r io.Reader, path string, _ *slog.Logger) (*htgroupTable, error) {
				return parseMemberships(r, path, "sections", "section")
			})
		if err != nil {
			return nil, invalidConfig(err)
		}
		return fileGroups{&htgroupFile{file: w}}, nil
	}
	return nil, nil
}

// sectionsOf returns the normalised sections of user from the section
// source, nil without one.
func (c *passwordCheck) sectionsOf(ctx context.Context, user string) ([]string, error) {
	if c.sections == nil {
		return nil, nil
	}
	sections, err := c.sections.groups(ctx, user)
	if err != nil {
		return nil, err
	}
	return ownSections(sections), nil
}

// fixedSections reports whether the section source cannot change while
// the process runs (none, or a map), so that an identity may be built
// once and kept.
func (c *passwordCheck) fixedSections() bool {
	_, static := c.sections.(staticGroups)
	return c.sections == nil || static
}
