package ws

import (
	"net/netip"
	"time"
)

// endedTTL is how long the hub remembers a session that ended. A socket
// whose handshake was authenticated just before the session ended, but
// which registers just after, is closed with 4401 instead of outliving
// its session; later handshakes with that session are refused by the
// guard itself, so the memory is only needed for that short window.
const endedTTL = 2 * time.Minute

// minEndedSweep is the size below which the hub does not sweep the ended
// sessions it remembers.
const minEndedSweep = 64

// hub is the registry of open sockets, by session ID and by user, and the
// server's lifecycle: how many upgrades are in progress and whether it is
// shutting down. Its fields are guarded by the Server's mu.
type hub struct {
	all       map[*socket]struct{}
	bySession map[string]map[*socket]struct{}
	byUser    map[string]map[*socket]struct{}
	anonymous map[netip.Prefix]int // open anonymous sockets by client network

	ended   map[string]time.Time // session ID → until when to remember it
	sweepAt int                  // len(ended) at which the next insert sweeps
	// endedUsers remembers RevokeUser calls as ended does sessions:
	// user → the time its sessions began at or before are over, and until
	// when to remember that.
	endedUsers map[string]userEnd

	active  int           // requests between enter and leave
	shut    bool          // Shutdown has begun: refuse new sockets
	drained chan struct{} // closed when shut and active reaches zero
}

func newHub() hub {
	return hub{
		all:        make(map[*socket]struct{}),
		bySession:  make(map[string]map[*socket]struct{}),
		byUser:     make(map[string]map[*socket]struct{}),
		anonymous:  make(map[netip.Prefix]int),
		ended:      make(map[string]time.Time),
		sweepAt:    minEndedSweep,
		endedUsers: make(map[string]userEnd),
	}
}

// addResult says what became of a socket offered to the hub.
type addResult int

const (
	added            addResult = iota
	shuttingDown               // the server is shutting down: close with 1001
	sessionEnded               // its session ended meanwhile: close with 4401
	tooManyAnonymous           // its client has MaxAnonymousPerClient open: close with 1013
)

// enter counts a request that may accept a socket; it is false once the
// server is shutting down.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hub.shut {
		return false
	}
	s.hub.active++
	return true
}

// leave ends what enter began.
func (s *Server) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hub.active--
	if s.hub.shut && s.hub.active == 0 {
		close(s.hub.drained)
	}
}

// add registers sk.
func (s *Server) add(sk *socket) addResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &s.hub
	if h.shut {
		return shuttingDown
	}
	if sk.id != nil && sk.id.SessionID != "" {
		if until, ok := h.ended[sk.id.SessionID]; ok && s.clock.now().Before(until) {
			return sessionEnded
		}
		if u, ok := h.endedUsers[sk.id.User]; ok && s.clock.now().Before(u.until) && !sk.id.IssuedAt.After(u.before) {
			return sessionEnded
		}
	}
	if sk.id == nil {
		if max := s.cfg.MaxAnonymousPerClient; max > 0 && h.anonymous[sk.client] >= max {
			return tooManyAnonymous
		}
		h.anonymous[sk.client]++
	}
	h.all[sk] = struct{}{}
	if sk.id != nil {
		insert(h.bySession, sk.id.SessionID, sk)
		insert(h.byUser, sk.id.User, sk)
	}
	return added
}

// remove unregisters sk.
func (s *Server) remove(sk *socket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &s.hub
	if _, ok := h.all[sk]; !ok {
		return
	}
	delete(h.all, sk)
	if sk.id != nil {
		drop(h.bySession, sk.id.SessionID, sk)
		drop(h.byUser, sk.id.User, sk)
	} else if h.anonymous[sk.client]--; h.anonymous[sk.client] <= 0 {
		delete(h.anonymous, sk.client)
	}
}

// endSession remembers that a session ended and returns its sockets.
func (s *Server) endSession(id string) []*socket {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &s.hub
	now := s.clock.now()
	if len(h.ended) >= h.sweepAt {
		for k, until := range h.ended {
			if !now.Before(until) {
				delete(h.ended, k)
			}
		}
		h.sweepAt = max(minEndedSweep, 2*len(h.ended))
	}
	h.ended[id] = now.Add(endedTTL)
	return members(h.bySession[id])
}

// userEnd is one entry of hub.endedUsers.
type userEnd struct{ before, until time.Time }

// endUserSessions remembers that user's sessions begun at or before
// before ended, and returns the user's sockets.
func (s *Server) endUserSessions(user string, before time.Time) []*socket {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &s.hub
	now := s.clock.now()
	for k, u := range h.endedUsers {
		if !now.Before(u.until) {
			delete(h.endedUsers, k)
		}
	}
	if old, ok := h.endedUsers[user]; !ok || before.After(old.before) {
		h.endedUsers[user] = userEnd{before: before, until: now.Add(endedTTL)}
	}
	return members(h.byUser[user])
}

// sessionSockets returns the sockets of session id.
func (s *Server) sessionSockets(id string) []*socket {
	s.mu.Lock()
	defer s.mu.Unlock()
	return members(s.hub.bySession[id])
}

// userSockets returns the sockets of user.
func (s *Server) userSockets(user string) []*socket {
	s.mu.Lock()
	defer s.mu.Unlock()
	return members(s.hub.byUser[user])
}

// beginShutdown refuses new sockets from now on and returns the open ones
// and a channel closed once every request in progress has finished.
func (s *Server) beginShutdown() ([]*socket, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &s.hub
	if !h.shut {
		h.shut = true
		h.drained = make(chan struct{})
		if h.active == 0 {
			close(h.drained)
		}
	}
	return members(h.all), h.drained
}

// Len returns the number of open sockets: those accepted and not yet
// finished, including anonymous ones of a [Server.PublicHandler]. Sockets
// refused with 4401 or 4403 are never counted.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.hub.all)
}

func insert(index map[string]map[*socket]struct{}, key string, sk *socket) {
	if key == "" {
		return
	}
	set := index[key]
	if set == nil {
		set = make(map[*socket]struct{}, 1)
		index[key] = set
	}
	set[sk] = struct{}{}
}

func drop(index map[string]map[*socket]struct{}, key string, sk *socket) {
	set := index[key]
	delete(set, sk)
	if len(set) == 0 {
		delete(index, key)
	}
}

func members(set map[*socket]struct{}) []*socket {
	out := make([]*socket, 0, len(set))
	for sk := range set {
		out = append(out, sk)
	}
	return out
}
