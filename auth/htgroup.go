package auth

import (
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// htgroupFile serves group memberships from an Apache htgroup file and
// re-reads it when it changes, exactly as htpasswdFile does (see
// watchedFile): lookups take no lock, and a file that becomes unreadable
// or malformed leaves the previous table in place and is logged.
//
// Each line is "group: user1 user2 ...", members separated by spaces or
// tabs; blank lines and lines starting with '#' are skipped. As in Apache,
// a group may span several lines, whose members add up. A group may have
// no members. A group name must be usable in a comma-separated header
// (see Identity.Groups): one with a comma is an error, as for a control
// character.
type htgroupFile struct {
	file *watchedFile[htgroupTable]
}

// htgroupTable maps each user to the sorted, duplicate-free list of its
// groups. It is never modified once built.
type htgroupTable struct {
	byUser map[string][]string
}

// openHtgroup reads the htgroup file at path. A line without a colon or
// with an empty group name is an error naming the file and the line.
// checkEvery, now and log are as for openHtpasswd.
func openHtgroup(path string, checkEvery time.Duration, now func() time.Time, log *slog.Logger) (*htgroupFile, error) {
	w, err := openWatchedFile(path, "htgroup", checkEvery, now, log, parseHtgroup)
	if err != nil {
		return nil, err
	}
	return &htgroupFile{file: w}, nil
}

// groups returns the groups of user, sorted, as a slice the caller must not modify.
// It checks the file for changes as htpasswdFile.lookup does. A user in no
// group gets nil.
func (f *htgroupFile) groups(user string) []string {
	return f.file.current().byUser[user]
}

// parseHtgroup builds a table from the content of an htgroup file.
func parseHtgroup(r io.Reader, path string, _ *slog.Logger) (*htgroupTable, error) {
	return parseMemberships(r, path, "htgroup", "group")
}

// parseMemberships reads the htgroup format ("name: user1 user2" per
// line) of a file of the given kind ("htgroup", "sections"), whose names
// are each a noun ("group", "section"), as the table of each user's names.
func parseMemberships(r io.Reader, path, kind, noun string) (*htgroupTable, error) {
	t := &htgroupTable{byUser: make(map[string][]string)}
	err := scanConfigLines(r, path, kind, func(_ int, line string) error {
		group, members, ok := strings.Cut(line, ":")
		group = strings.Trim(group, " \t")
		switch {
		case !ok:
			return errors.New("no ':' after the " + noun + " name")
		case group == "":
			return errors.New("empty " + noun + " name")
		case strings.ContainsFunc(group, isCTL):
			return errors.New(noun + " name contains a control character")
		case !headerName(group):
			return errors.New(noun + " name holds a comma, invalid UTF-8 or white space at an end")
		}
		for _, user := range strings.Fields(members) {
			t.byUser[user] = append(t.byUser[user], group)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for user, gs := range t.byUser {
		slices.Sort(gs)
		// Clip so that an append by a careless caller cannot write into
		// memory another reader sees.
		t.byUser[user] = slices.Clip(slices.Compact(gs))
	}
	return t, nil
}
