package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Regulator counts password attempts per key and bans keys that fail too
// often, to slow down password guessing.
//
// An attempt is counted before its password is checked, not after: the
// caller asks [Regulator.Attempt] first, runs the check only if it is
// allowed, and calls [Regulator.Refund] if the password proved right. An
// attempt still being checked therefore counts as a failure until it is
// refunded, so however many requests run at once, at most MaxFailures
// passwords per key and window are checked and found wrong.
//
// Keys are opaque strings such as "user:alice" or "addr:203.0.113.7". A key
// may be as long as the largest credentials header allows, so an
// implementation that stores keys should bound or digest long ones.
//
// Implementations must be safe for concurrent use, and Attempt must be
// atomic: two concurrent calls never both take the last allowed attempt.
// [MemoryRegulator] keeps its counts in the process; an implementation
// backed by a shared store (auth/redisstore) lets several processes
// regulate together.
type Regulator interface {
	// Attempt counts one attempt for key and reports whether its password
	// may be checked, and whether key is banned once it is counted. While
	// key is banned it reports false, true and counts nothing. The attempt
	// that brings key's count to the policy's MaxFailures is allowed and
	// bans key from then on: it reports true, true.
	Attempt(ctx context.Context, key string) (allowed, banned bool, err error)
	// Refund gives back one attempt that Attempt allowed, once its
	// password proved right. If that brings key's count back below
	// MaxFailures, a ban that the count began is lifted: a right password
	// is never what bans a key. With nothing counted it does nothing.
	Refund(ctx context.Context, key string) error
	// Banned reports whether key is banned now, counting nothing. It is
	// asked instead of Attempt for credentials that verified lately and
	// need no password check.
	Banned(ctx context.Context, key string) (bool, error)
}

// RegulationPolicy says when a key is banned: after MaxFailures failures
// within Window, the key is banned for BanTime.
//
// A failure is an attempt that [Regulator.Attempt] allowed and that was
// not refunded: a wrong password, or one still being checked. A right
// password gives its own attempt back and nothing more, so failures
// before it still count until their window ends.
//
// The window is fixed, not sliding: it starts at a key's first attempt
// (or its first attempt after the previous window or ban ended) and lasts
// Window. Attempts that fall in a later window start a new count. When the
// count reaches MaxFailures the key is banned until the time of that
// attempt plus BanTime; attempts during a ban are refused, not counted,
// and do not extend it. Once the ban ends, the count starts over from
// zero.
type RegulationPolicy struct {
	// MaxFailures is how many failures within Window ban a key, and so
	// how many passwords per key and window are checked and found
	// wrong. At least 1.
	MaxFailures int
	// Window is how long failures are counted together. Must be positive.
	Window time.Duration
	// BanTime is how long a ban lasts. Must be positive.
	BanTime time.Duration
}

// DefaultRegulationPolicy returns the policy used unless configured
// otherwise: 5 failures within 2 minutes ban a key for 5 minutes. It
// returns a fresh value each time, so changing it affects only the caller.
func DefaultRegulationPolicy() RegulationPolicy {
	return RegulationPolicy{MaxFailures: 5, Window: 2 * time.Minute, BanTime: 5 * time.Minute}
}

// Validate reports a policy that could not regulate anything. Its errors
// wrap ErrInvalidConfig.
func (p RegulationPolicy) Validate() error {
	switch {
	case p.MaxFailures < 1:
		return fmt.Errorf("%w: regulation MaxFailures is %d; it must be at least 1", ErrInvalidConfig, p.MaxFailures)
	case p.Window <= 0:
		return fmt.Errorf("%w: regulation Window is %v; it must be positive", ErrInvalidConfig, p.Window)
	case p.BanTime <= 0:
		return fmt.Errorf("%w: regulation BanTime is %v; it must be positive", ErrInvalidConfig, p.BanTime)
	}
	return nil
}

// maxRegulatedKeys bounds a MemoryRegulator made by NewMemoryRegulator.
const maxRegulatedKeys = 100_000

// maxRegulatedKeyLen is the longest key stored as it is; longer keys are
// stored as "#" and the hex SHA-256 of the key, which is one byte longer,
// so a digest never equals a key stored as it is.
const maxRegulatedKeyLen = 64

// MemoryRegulator is a [Regulator] that keeps its counts in the process.
// Use [NewMemoryRegulator] to make one; it is safe for concurrent use.
//
// It tracks at most 100,000 keys, each stored in at most 65 bytes (longer
// keys are replaced by their SHA-256), so it stays around 25 MB however
// many keys an attacker invents. Keys with no attempts left to remember
// take no room: a refund of the last one, or an expired window or ban,
// frees the entry.
//
// When it is full and a new key makes an attempt, room is made in this
// order:
//
//  1. entries whose window or ban has ended are dropped;
//  2. the counting (not banned) key whose window started longest ago is
//     dropped, forgetting fewer than MaxFailures attempts that would have
//     expired soonest anyway;
//  3. only if every tracked key is banned, the ban that ends soonest is
//     dropped.
//
// So a flood of new keys cannot lift a ban cheaply: bans are given up
// only once every tracked key is banned, which takes MaxFailures attempts
// per key, 500,000 with the default policy, all within one BanTime. A
// flood can make a counting key forget its attempts, which lets an
// attacker try a few more passwords per 100,000 requests: a far smaller
// risk than letting the table grow without bound.
type MemoryRegulator struct {
	policy  RegulationPolicy
	now     func() time.Time
	maxKeys int

	mu       sync.Mutex
	size     atomic.Int64 // len(entries), readable without mu
	entries  map[string]*regEntry
	counting regList // keys not banned, by window start, oldest first
	banned   regList // banned keys, by ban end, soonest first
}

// regEntry is one key's state. It is on exactly one of the two lists.
type regEntry struct {
	key         string
	attempts    int // allowed and not refunded, in this window
	windowStart time.Time
	bannedUntil time.Time // zero while counting
	prev, next  *regEntry
}

// NewMemoryRegulator returns an in-process [Regulator] enforcing p, which
// must be valid (see [RegulationPolicy]; errors wrap [ErrInvalidConfig]).
// It reads the time from now, or from time.Now if now is nil.
func NewMemoryRegulator(p RegulationPolicy, now func() time.Time) (*MemoryRegulator, error) {
	return newMemoryRegulator(p, now, maxRegulatedKeys)
}

// newMemoryRegulator is NewMemoryRegulator with the bound on keys as a
// parameter, so tests can fill a small table.
func newMemoryRegulator(p RegulationPolicy, now func() time.Time, maxKeys int) (*MemoryRegulator, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if maxKeys < 1 {
		return nil, fmt.Errorf("%w: regulator bound %d is below 1", ErrInvalidConfig, maxKeys)
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryRegulator{
		policy:  p,
		now:     now,
		maxKeys: maxKeys,
		entries: make(map[string]*regEntry),
	}, nil
}

// Attempt counts one attempt for key and reports whether it may go ahead
// and whether key is banned once it is counted; see [Regulator]. It never
// returns an error.
func (m *MemoryRegulator) Attempt(_ context.Context, key string) (allowed, banned bool, err error) {
	key = regStoredKey(key)
	now := m.now()
	m.mu.Lock()
	defer m.unlock()
	m.sweep(now)
	e := m.live(key, now)
	switch {
	case e == nil:
		m.makeRoom()
		e = &regEntry{key: key, windowStart: now}
		m.entries[key] = e
		m.counting.pushBack(e)
	case !e.bannedUntil.IsZero(): // live, so the ban is in force
		return false, true, nil
	}
	e.attempts++
	if e.attempts < m.policy.MaxFailures {
		return true, false, nil
	}
	m.counting.remove(e)
	e.bannedUntil = now.Add(m.policy.BanTime)
	m.banned.pushBack(e)
	return true, true, nil
}

// Refund gives back one attempt for key, lifting the ban it began if the
// count drops below MaxFailures; see [Regulator]. It never returns an
// error.
func (m *MemoryRegulator) Refund(_ context.Context, key string) error {
	key = regStoredKey(key)
	now := m.now()
	m.mu.Lock()
	defer m.unlock()
	e := m.live(key, now)
	if e == nil || e.attempts == 0 {
		return nil
	}
	e.attempts--
	if !e.bannedUntil.IsZero() {
		if e.attempts >= m.policy.MaxFailures {
			return nil
		}
		// The attempt that began the ban proved right: lift it, and
		// count on in the window it belongs to, if that has not ended.
		m.banned.remove(e)
		e.bannedUntil = time.Time{}
		m.counting.insertByStart(e)
	}
	if e.attempts == 0 || m.expired(e, now) {
		m.drop(e)
	}
	return nil
}

// Banned reports whether key is banned now, counting nothing. It never
// returns an error.
func (m *MemoryRegulator) Banned(_ context.Context, key string) (bool, error) {
	key = regStoredKey(key)
	now := m.now()
	m.mu.Lock()
	defer m.unlock()
	e := m.live(key, now)
	return e != nil && !e.bannedUntil.IsZero(), nil
}

// unlock publishes the table size and releases m.mu.
func (m *MemoryRegulator) unlock() {
	m.size.Store(int64(len(m.entries)))
	m.mu.Unlock()
}

// empty reports whether no key is tracked at all, so that the common case
// (nobody has failed lately) costs an atomic load instead of two locked
// lookups per request.
func (m *MemoryRegulator) empty() bool { return m.size.Load() == 0 }

// len reports how many keys are tracked.
func (m *MemoryRegulator) len() int {
	m.mu.Lock()
	defer m.unlock()
	return len(m.entries)
}

// live returns key's entry, or nil if it has none or its window or ban has
// ended (the entry is then dropped, so the count starts over). m.mu is held.
func (m *MemoryRegulator) live(key string, now time.Time) *regEntry {
	e := m.entries[key]
	if e != nil && m.expired(e, now) {
		m.drop(e)
		return nil
	}
	return e
}

// expired reports whether e holds nothing worth remembering at now.
func (m *MemoryRegulator) expired(e *regEntry, now time.Time) bool {
	if !e.bannedUntil.IsZero() {
		return !e.bannedUntil.After(now)
	}
	return !e.windowStart.Add(m.policy.Window).After(now)
}

// sweep drops ended entries from the front of both lists. The lists are in
// order of expiry (for a clock that does not go back), so this stops at
// the first live entry and costs O(1) per dropped entry. m.mu is held.
func (m *MemoryRegulator) sweep(now time.Time) {
	for _, l := range []*regList{&m.counting, &m.banned} {
		for l.head != nil && m.expired(l.head, now) {
			m.drop(l.head)
		}
	}
}

// makeRoom drops entries until a new one fits, in the order documented on
// MemoryRegulator. m.mu is held and sweep has run.
func (m *MemoryRegulator) makeRoom() {
	for len(m.entries) >= m.maxKeys {
		switch {
		case m.counting.head != nil:
			m.drop(m.counting.head)
		case m.banned.head != nil:
			m.drop(m.banned.head)
		default:
			// Entries missing from both lists cannot happen; clear rather
			// than loop forever.
			clear(m.entries)
		}
	}
}

// drop forgets e. m.mu is held.
func (m *MemoryRegulator) drop(e *regEntry) {
	if e.bannedUntil.IsZero() {
		m.counting.remove(e)
	} else {
		m.banned.remove(e)
	}
	delete(m.entries, e.key)
}

// regStoredKey returns the form in which key is stored: itself when short,
// otherwise "#" and its hex SHA-256.
func regStoredKey(key string) string {
	if len(key) <= maxRegulatedKeyLen {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "#" + hex.EncodeToString(sum[:])
}

// regList is an intrusive doubly linked list of entries.
type regList struct{ head, tail *regEntry }

func (l *regList) pushBack(e *regEntry) {
	e.prev, e.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = e
	} else {
		l.head = e
	}
	l.tail = e
}

// insertByStart puts e after the last entry whose window started no later
// than e's, keeping the counting list in order of window start. It walks
// from the tail, so it costs one step per key whose window started after
// e's; it runs only when a refund lifts a ban.
func (l *regList) insertByStart(e *regEntry) {
	at := l.tail
	for at != nil && at.windowStart.After(e.windowStart) {
		at = at.prev
	}
	if at == nil {
		e.prev, e.next = nil, l.head
		if l.head != nil {
			l.head.prev = e
		} else {
			l.tail = e
		}
		l.head = e
		return
	}
	e.prev, e.next = at, at.next
	if at.next != nil {
		at.next.prev = e
	} else {
		l.tail = e
	}
	at.next = e
}

func (l *regList) remove(e *regEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else if l.head == e {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else if l.tail == e {
		l.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

// regulation counts password attempts, keyed both by the user name as
// given and by the client address. A nil r turns regulation off.
//
// Keys are "user:" followed by the user name exactly as sent, whether or
// not such a user exists (so counting reveals nothing about which users
// exist), and "addr:" followed by the client address. IPv4 addresses
// (including IPv4-mapped IPv6 ones) are used whole; IPv6 addresses are
// grouped by their /64 prefix ("addr:2001:db8:1:2::/64"), because one
// subscriber usually holds a whole /64 and could otherwise rotate through
// it. The zero address (unknown client) is the single key "addr:unknown".
//
// An error from the Regulator fails open: it is logged at Error level and
// the attempt goes ahead as if that key were not regulated. The password
// is still checked in full (and at most a bounded number of hashes run at
// once), so an outage of a shared store costs only the extra slowing-down,
// while failing closed would let anyone who can overload that store lock
// every user out. An error caused by the request's own context ending
// fails closed instead: the client is gone, so there is nothing to let
// through.
type regulation struct {
	r   Regulator
	log *slog.Logger
}

// regTicket records which keys an attempt was counted against, so that
// exactly those are refunded, and which of them it took the last allowed
// attempt of.
type regTicket struct {
	addr, user         bool // counted
	addrLast, userLast bool // counted, and the key is banned unless refunded
}

// attempt counts an attempt for user from addr against both keys before
// the password is checked, and reports whether the check may run. The
// address key is asked first, so that an attempt from a banned address
// never touches the user's count; if the user key then refuses, the
// address's attempt is given back. Refused, nothing stays counted.
func (g regulation) attempt(ctx context.Context, user string, addr netip.Addr) (regTicket, bool) {
	var t regTicket
	if g.r == nil {
		return t, true
	}
	addrKey := regAddrKey(addr)
	ok, counted, last := g.attemptKey(ctx, addrKey)
	if !ok {
		return t, false
	}
	t.addr, t.addrLast = counted, last
	ok, counted, last = g.attemptKey(ctx, regUserKey(user))
	if !ok {
		if t.addr {
			g.refundKey(ctx, addrKey)
		}
		return regTicket{}, false
	}
	t.user, t.userLast = counted, last
	return t, true
}

// attemptKey asks the Regulator about one key. It reports whether the
// attempt may go ahead, whether it was counted (not when the Regulator
// failed open), and whether it took the key's last allowed attempt.
func (g regulation) attemptKey(ctx context.Context, key string) (ok, counted, last bool) {
	allowed, banned, err := g.r.Attempt(ctx, key)
	switch {
	case err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return false, false, false
	case err != nil:
		g.logger().Error("auth: brute-force regulator failed; allowing the attempt unregulated",
			"key", key, "error", err)
		return true, false, false
	case !allowed:
		return false, false, false
	}
	return true, true, banned
}

// failed logs the bans that a failed attempt began.
func (g regulation) failed(user string, addr netip.Addr, t regTicket) {
	if t.addrLast {
		g.logger().Warn("auth: key banned after repeated failed logins", "key", regAddrKey(addr))
	}
	if t.userLast {
		g.logger().Warn("auth: key banned after repeated failed logins", "key", regUserKey(user))
	}
}

// refund gives back the attempts of t, after the password proved right.
// The address key gets back this attempt only, never more: an attacker who
// knows one valid password cannot wipe the count of the address it
// guesses other users' passwords from.
func (g regulation) refund(ctx context.Context, user string, addr netip.Addr, t regTicket) {
	if t.addr {
		g.refundKey(ctx, regAddrKey(addr))
	}
	if t.user {
		g.refundKey(ctx, regUserKey(user))
	}
}

// refundKey refunds one key. It runs without the request's cancellation,
// so a client that leaves at once does not keep an attempt it won back.
func (g regulation) refundKey(ctx context.Context, key string) {
	if err := g.r.Refund(context.WithoutCancel(ctx), key); err != nil {
		g.logger().Error("auth: brute-force regulator failed to refund an attempt", "key", key, "error", err)
	}
}

// banned reports whether the user key or the address key is banned, for a
// credential that needs no check. It fails open and closed as attempt
// does.
func (g regulation) banned(ctx context.Context, user string, addr netip.Addr) bool {
	if g.r == nil {
		return false
	}
	for _, key := range [2]string{regAddrKey(addr), regUserKey(user)} {
		banned, err := g.r.Banned(ctx, key)
		switch {
		case err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()):
			return true
		case err != nil:
			g.logger().Error("auth: brute-force regulator failed; allowing the attempt unregulated",
				"key", key, "error", err)
		case banned:
			return true
		}
	}
	return false
}

// quietOrOff reports whether regulation is off or tracks nothing.
func (g regulation) quietOrOff() bool { return g.r == nil || g.quiet() }

// quiet reports whether the regulator knows it tracks nothing, in which
// case no key is banned and no attempt is being checked.
func (g regulation) quiet() bool {
	e, ok := g.r.(interface{ empty() bool })
	return ok && e.empty()
}

func (g regulation) logger() *slog.Logger {
	if g.log == nil {
		return slog.Default()
	}
	return g.log
}

// regUserKey is the regulation key of a user name as given.
func regUserKey(user string) string { return "user:" + user }

// regAddrKey is the regulation key of a client address, described on
// regulation.
func regAddrKey(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	switch {
	case !a.IsValid():
		return "addr:unknown"
	case a.Is4():
		return "addr:" + a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return "addr:unknown"
	}
	return "addr:" + p.String()
}
