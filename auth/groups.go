package auth

import (
	"context"
	"fmt"
	"slices"
)

// GroupsFunc returns the groups of user from an outside system. An error is
// logged and denies the request. It must be safe for concurrent use.
type GroupsFunc func(ctx context.Context, user string) ([]string, error)

// groupSource tells which groups a user belongs to.
type groupSource interface {
	groups(ctx context.Context, user string) ([]string, error)
}

// noGroups is the source when none is configured.
type noGroups struct{}

func (noGroups) groups(context.Context, string) ([]string, error) { return nil, nil }

// staticGroups maps users to their groups, each list sorted and compacted.
type staticGroups map[string][]string

func newStaticGroups(m map[string][]string) (staticGroups, error) {
	s := make(staticGroups, len(m))
	for user, groups := range m {
		if user == "" {
			return nil, fmt.Errorf("%w: empty user name in the group map", ErrInvalidConfig)
		}
		g := slices.Clone(groups)
		for _, name := range g {
			if name == "" {
				return nil, fmt.Errorf("%w: user %q has an empty group name", ErrInvalidConfig, user)
			}
		}
		slices.Sort(g)
		s[user] = slices.Compact(g)
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
