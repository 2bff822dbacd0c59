package ws

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
)

// DefaultRecheckInterval is how often an authenticated socket is held
// against its session and the user's sources by default.
const DefaultRecheckInterval = 10 * time.Second

// StatusRightsChanged (1012, "service restart") closes a socket whose
// user lost a group or a section while the socket's own route still
// allows them: what the socket's handler knew of the caller is out of
// date. The client should reconnect, and gets a socket with the rights
// the user has now (or 4403).
const StatusRightsChanged websocket.StatusCode = 1012

// startRecheck holds the socket's identity against auth.Auth's Recheck
// every RecheckInterval (the first after a random part of it, so that
// sockets opened together are not checked together): 4401 once the
// session has ended (revoked, expired, idle, its user removed), 4403 once
// the route's requirements no longer hold, and StatusRightsChanged when
// the user lost a group or section and the route still allows them. A
// check that cannot be made (a shared store away) keeps the socket, logged,
// and is tried again at the next interval. Anonymous sockets and a
// negative interval are not rechecked.
func (sk *socket) startRecheck(e *endpoint) {
	every := sk.srv.cfg.RecheckInterval
	if sk.id == nil || every < 0 {
		return
	}
	first := every/2 + rand.N(every/2+1)
	sk.mu.Lock()
	defer sk.mu.Unlock()
	if sk.closing {
		return
	}
	sk.rights = sk.id
	sk.recheckTimer = time.AfterFunc(first, func() { sk.recheck(e) })
}

// recheck runs one check and arms the next.
func (sk *socket) recheck(e *endpoint) {
	sk.mu.Lock()
	if sk.closing {
		sk.mu.Unlock()
		return
	}
	was := sk.rights
	sk.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), sk.srv.cfg.WriteTimeout)
	now, err := sk.srv.auth.Recheck(ctx, was)
	cancel()
	switch {
	case errors.Is(err, auth.ErrSessionEnded):
		sk.startClose(StatusUnauthenticated, reasonEnded)
		return
	case err != nil:
		sk.srv.log.LogAttrs(sk.ctx, slog.LevelWarn, "authwire: rechecking a WebSocket's session failed; it stays open until the next check",
			slog.String("user", was.User), slog.String("error", err.Error()))
	case now != was:
		if no := e.decide(now); no.code != 0 {
			sk.startClose(no.code, no.reason)
			return
		}
		if lost(was.Groups, now.Groups) || lost(was.Sections, now.Sections) {
			sk.startClose(StatusRightsChanged, reasonRightsChanged)
			return
		}
	}
	sk.mu.Lock()
	defer sk.mu.Unlock()
	if !sk.closing {
		if err == nil {
			sk.rights = now
		}
		sk.recheckTimer.Reset(sk.srv.cfg.RecheckInterval)
	}
}

// lost reports whether a name of was is not in now (both sorted, as in
// every auth.Identity).
func lost(was, now []string) bool {
	for _, name := range was {
		if _, ok := slices.BinarySearch(now, name); !ok {
			return true
		}
	}
	return false
}

// userSessionsEnded is the auth.Auth OnUserSessionsEnd hook: it closes
// with 4401 every socket of user whose session began at or before before.
func (s *Server) userSessionsEnded(user string, before time.Time) {
	for _, sk := range s.endUserSessions(user, before) {
		if sk.id.SessionID != "" && !sk.id.IssuedAt.After(before) {
			sk.startClose(StatusUnauthenticated, reasonEnded)
		}
	}
}
