package demo

import (
	"time"

	"github.com/authwire/authwire/auth"
)

// sessionsView is what sessions.html shows: the page's header and the
// caller's sessions.
type sessionsView struct {
	page
	Sessions []sessionRow
}

// sessionRow is one session of the list: its handle, its current marker
// and its times as the page writes them.
type sessionRow struct {
	auth.SessionInfo
	CreatedAt, LastSeenAt, ExpiresAt stamp
}

// stamp is a time as the page shows it: RFC 3339 for the datetime
// attribute, and a shorter text in UTC. Both are empty for a zero time.
type stamp struct{ ISO, Text string }

// stampOf is the stamp of t.
func stampOf(t time.Time) stamp {
	if t.IsZero() {
		return stamp{}
	}
	t = t.UTC()
	return stamp{ISO: t.Format(time.RFC3339), Text: t.Format("2006-01-02 15:04:05 UTC")}
}

// renderSessions renders the "your sessions" page for id: each of
// sessions (as [auth.Auth.Sessions] lists them) with a button that
// revokes it, and a "log out everywhere" button; csrf is the logout
// token, which the page's forms carry.
func renderSessions(id *auth.Identity, csrf string, sessions []auth.SessionInfo) []byte {
	v := sessionsView{page: newPage(id, csrf, "sessions")}
	for _, s := range sessions {
		v.Sessions = append(v.Sessions, sessionRow{
			SessionInfo: s,
			CreatedAt:   stampOf(s.Created), LastSeenAt: stampOf(s.LastSeen), ExpiresAt: stampOf(s.Expires),
		})
	}
	return render("sessions.html", v)
}
