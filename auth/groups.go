package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// GroupsFunc returns the groups of user from an outside system. An error is
// logged and denies the request. The slice may be in any order, with
// duplicates; names that cannot be group names (see [Identity].Groups)
// are dropped. It must be safe for concurrent use.
type GroupsFunc func(ctx context.Context, user string) ([]string, error)

// headerName reports whether s can name a user or a group in a
// comma-separated header such as Remote-Groups, as it is, without being
// read as another name: it is not empty, is valid UTF-8, holds no control
// character and no comma, and neither starts nor ends with white space
// (which a reader of the header would trim).
func headerName(s string) bool {
	return s != "" && headerSafe(s) && !strings.ContainsRune(s, ',') && strings.TrimSpace(s) == s
}

// allHeaderNames reports whether every one of names is a headerName.
func allHeaderNames(names []string) bool {
	for _, n := range names {
		if !headerName(n) {
			return false
		}
	}
	return true
}

// normalGroups reports whether groups is as every Identity this package
// makes holds it: sorted, without duplicates, each name a headerName.
func normalGroups(groups []string) bool {
	for i, g := range groups {
		if !headerName(g) || i > 0 && groups[i-1] >= g {
			return false
		}
	}
	return true
}

// normalizeGroups returns groups sorted, without duplicates and without
// the names headerName refuses, and never nil. A groups that is so
// already is returned as it is, sharing its array; otherwise the result
// is new. groups itself is never modified.
func normalizeGroups(groups []string) []string {
	if normalGroups(groups) {
		if groups == nil {
			return []string{}
		}
		return groups
	}
	out := make([]string, 0, len(groups))
	for _, g := range groups {
		if headerName(g) {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return slices.Clip(slices.Compact(out))
}

// ownGroups is normalizeGroups, but the result never shares groups' array,
// for a source that may change or reuse the slice it gave.
func ownGroups(groups []string) []string {
	if normalGroups(groups) {
		if len(groups) == 0 {
			return []string{}
		}
		return slices.Clone(groups)
	}
	return normalizeGroups(groups)
}

// groupSource tells which groups a user belongs to.
type groupSource interface {
	groups(ctx context.Context, user string) ([]string, error)
}

// noGroups is the source when none is configured.
type noGroups struct{}

func (noGroups) groups(context.Context, string) ([]string, error) { return nil, nil }

// staticGroups maps users to their groups, each list normalised
// (ownGroups).
type staticGroups map[string][]string

func newStaticGroups(m map[string][]string) (staticGroups, error) {
	s := make(staticGroups, len(m))
	for user, groups := range m {
		if user == "" {
			return nil, fmt.Errorf("%w: empty user name in the group map", ErrInvalidConfig)
		}
		for _, name := range groups {
			if !headerName(name) {
				return nil, fmt.Errorf("%w: user %q has the group name %q, which is empty or holds a comma, a control character or white space at an end", ErrInvalidConfig, user, name)
			}
		}
		s[user] = ownGroups(groups)
	}
	return s, nil
}

func (s staticGroups) groups(_ context.Context, user string) ([]string, error) {
	return s[user], nil
}

// funcGroups adapts a GroupsFunc.
type funcGroups GroupsFunc

func (f funcGroups) groups(ctx context.Context, user string) ([]string, error) {
	return f(ctx, user)
}

// fileGroups adapts an htgroup file.
type fileGroups struct{ f *htgroupFile }

func (g fileGroups) groups(_ context.Context, user string) ([]string, error) {
	return g.f.groups(user), nil
}
