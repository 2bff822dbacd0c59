package auth

import (
	"context"
	"errors"
	"log/slog"
)

// ErrUnknownUser may be returned by a [GroupsFunc] or a [SectionsFunc]
// to say that the user no longer exists: the user's sessions then end,
// as they do when a user leaves an htpasswd file or a user table. With
// [WithVerifyFunc], which cannot be asked about a user without a
// password, it is how sessions learn that their user was removed.
var ErrUnknownUser = errors.New("auth: unknown user")

// errSessionOver is what rightsOf answers for a session whose user has left
// the credential source, or whose login method ended it ([Refresher]).
var errSessionOver = errors.New("auth: the session is over at its source")

// passwordProvider reports whether a session or identity of provider
// began with a password this Auth checked, so that its rights follow the
// credential, group and section sources.
func passwordProvider(provider string) bool { return provider == "basic" || provider == "form" }

// rightsOf returns the identity session s stands for now, at Unix second
// now. For a session that began with a password, the user, groups and
// sections are held against their sources again when the last reading
// is RecheckInterval old, or always when fresh is set (a cookie this
// process had not verified yet). A user no longer in the credential
// source (or for whom a GroupsFunc answers ErrUnknownUser) gives
// errSessionOver. A session of a [Refresher] is handed to its Refresh when
// the last reading is RecheckInterval old or there is none (a fresh
// cookie of a session read here already does not call it: the reading
// is this process's own); ErrSessionEnded from it gives errSessionOver. A
// source that fails keeps the rights read last, logged, until the next
// recheck. The *Identity stays the same while the rights do, so requests
// keep sharing it.
func (m *sessionManager) rightsOf(ctx context.Context, s *Session, live *liveSession, now int64, fresh bool) (*Identity, error) {
	last := live.rights.Load()
	refresher := m.refreshers[s.Provider]
	if last != nil && (!fresh || refresher != nil) && now-last.at < int64(m.recheck.Seconds()) {
		return last.id, nil
	}
	id := m.identity(s)
	if last != nil {
		id = last.id
	}
	if refresher != nil {
		return m.refreshAtSource(ctx, refresher, id, live, now)
	}
	if m.rights != nil && passwordProvider(s.Provider) {
		groups, sections, err := m.rights.current(ctx, s.User)
		switch {
		case errors.Is(err, errSessionOver):
			live.rights.Store(&sessionRights{id: id, at: now})
			return nil, errSessionOver
		case err != nil:
			m.log.LogAttrs(ctx, slog.LevelError, "authwire: re-reading a session's rights failed; the last ones are kept",
				slog.String("user", s.User), slog.String("error", err.Error()))
		default:
			id = withRights(id, groups, sections)
		}
	}
	live.rights.Store(&sessionRights{id: id, at: now})
	return id, nil
}

// refreshAtSource hands id, a session of r, to r's Refresh, and keeps what it
// gives as the session's rights read at now.
func (m *sessionManager) refreshAtSource(ctx context.Context, r Refresher, id *Identity, live *liveSession, now int64) (*Identity, error) {
	got, err := r.Refresh(ctx, id)
	switch {
	case errors.Is(err, ErrSessionEnded):
		live.rights.Store(&sessionRights{id: id, at: now})
		return nil, errSessionOver
	case err != nil:
		m.log.LogAttrs(ctx, slog.LevelError, "authwire: refreshing a session at its source failed; its rights are kept until the next try",
			slog.String("user", id.User), slog.String("provider", id.Provider), slog.String("error", err.Error()))
	case got != nil && got != id:
		id = withRights(id, ownGroups(got.Groups), ownSections(got.Sections))
	}
	live.rights.Store(&sessionRights{id: id, at: now})
	return id, nil
}

// current looks user up again in the sources: errSessionOver when the user
// has left the credential source (or a group or section function says
// ErrUnknownUser); otherwise the user's groups and sections now,
// normalised as an Identity holds them. With a VerifyFunc, which cannot
// be asked, the user is taken to be there.
func (c *passwordCheck) current(ctx context.Context, user string) (groups, sections []string, err error) {
	if c.creds != nil {
		c.creds.refresh(ctx)
		if _, ok := c.creds.src.lookup(user); !ok {
			return nil, nil, errSessionOver
		}
	}
	raw, err := c.groups.groups(ctx, user)
	if err != nil {
		if errors.Is(err, ErrUnknownUser) {
			return nil, nil, errSessionOver
		}
		return nil, nil, err
	}
	if sections, err = c.sectionsOf(ctx, user); err != nil {
		if errors.Is(err, ErrUnknownUser) {
			return nil, nil, errSessionOver
		}
		return nil, nil, err
	}
	return normalizeGroups(raw), sections, nil
}
