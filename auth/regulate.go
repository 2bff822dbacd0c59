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

// Regulator counts failed password checks per key and bans keys that fail
// too often, to slow down password guessing.
//
// Keys are opaque strings such as "user:alice" or "addr:203.0.113.7". A key
// may be as long as the largest credentials header allows, so an
// implementation that stores keys should bound or digest long ones.
//
// Implementations must be safe for concurrent use. [MemoryRegulator] keeps
// its counters in the process; an implementation backed by a shared store
// lets several processes regulate together.
type Regulator interface {
	// Banned reports whether key is banned now.
	Banned(ctx context.Context, key string) (bool, error)
	// Fail records one failure for key and reports whether key is banned
	// as a result.
	Fail(ctx context.Context, key string) (banned bool, err error)
	// Succeed clears key's failure count. A ban in force stays in force.
	Succeed(ctx context.Context, key string) error
}

// RegulationPolicy says when a key is banned: after MaxFailures failures
// within Window, the key is banned for BanTime.
//
// The window is fixed, not sliding: it starts at a key's first failure
// (or its first failure after the previous window or ban ended) and lasts
// Window. Failures that fall in a later window start a new count. When the
// count reaches MaxFailures the key is banned until the time of that
// failure plus BanTime; failures during a ban do not extend it. Once the
// ban ends, the count starts over from zero.
type RegulationPolicy struct {
	// MaxFailures is how many failures within Window ban a key. At least 1.
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

// MemoryRegulator is a [Regulator] that keeps its counters in the process.
// Use [NewMemoryRegulator] to make one; it is safe for concurrent use.
//
// It tracks at most 100,000 keys, each stored in at most 65 bytes (longer
// keys are replaced by their SHA-256), so it stays around 25 MB however
// many keys an attacker invents. Keys with no failures left to remember
// take no room: a success or an expired window or ban frees the entry.
//
// When it is full and a new key fails, room is made in this order:
//
//  1. entries whose window or ban has ended are dropped;
//  2. the counting (not banned) key whose window started longest ago is
//     dropped, forgetting fewer than MaxFailures failures that would have
//     expired soonest anyway;
//  3. only if every tracked key is banned, the ban that ends soonest is
//     dropped.
//
// So a flood of new keys cannot lift a ban cheaply: bans are given up
// only once every tracked key is banned, which takes MaxFailures failures
// per key, 500,000 with the default policy, all within one BanTime. A
// flood can make a counting key forget its failures, which lets an
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
	failures    int
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

// Banned reports whether key is banned now. It never returns an error.
func (m *MemoryRegulator) Banned(_ context.Context, key string) (bool, error) {
	key = regStoredKey(key)
	now := m.now()
	m.mu.Lock()
	defer m.unlock()
	e := m.live(key, now)
	return e != nil && e.bannedUntil.After(now), nil
}

// Fail records one failure for key and reports whether key is banned as a
// result, which is also true when key was banned already (the ban is not
// extended). It never returns an error.
func (m *MemoryRegulator) Fail(_ context.Context, key string) (bool, error) {
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
	case e.bannedUntil.After(now):
		return true, nil
	}
	e.failures++
	if e.failures >= m.policy.MaxFailures {
		m.counting.remove(e)
		e.bannedUntil = now.Add(m.policy.BanTime)
		m.banned.pushBack(e)
		return true, nil
	}
	return false, nil
}

// Succeed clears key's failure count; a ban in force stays in force. It
// never returns an error.
func (m *MemoryRegulator) Succeed(_ context.Context, key string) error {
	key = regStoredKey(key)
	now := m.now()
	m.mu.Lock()
	defer m.unlock()
	if e := m.live(key, now); e != nil && e.bannedUntil.IsZero() {
		m.drop(e)
	}
	return nil
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

// regulation checks and records the outcomes of password attempts, keyed
// both by the user name as given and by the client address. A nil r turns
// regulation off.
//
// Keys are "user:" followed by the user name exactly as sent, whether or
// not such a user exists (so counting reveals nothing about which users
// exist), and "addr:" followed by the client address. IPv4 addresses
// (including IPv4-mapped IPv6 ones) are used whole; IPv6 addresses are
// grouped by their /64 prefix ("addr:2001:db8:1:2::/64"), because one
// subscriber usually holds a whole /64 and could otherwise rotate through
// it. The zero address (unknown client) is the single key "addr:unknown".
type regulation struct {
	r   Regulator
	log *slog.Logger
}

// allowed reports whether an attempt for user from addr may go ahead: it
// may unless the user key or the address key is banned.
//
// An error from the Regulator fails open: it is logged at Error level and
// the attempt goes ahead. The password is still checked in full (and at
// most a bounded number of hashes run at once), so an outage of a shared
// store costs only the extra slowing-down, while failing closed would let
// anyone who can overload that store lock every user out. An error caused
// by the request's own context ending fails closed instead: the client is
// gone, so there is nothing to let through.
func (g regulation) allowed(ctx context.Context, user string, addr netip.Addr) bool {
	if g.r == nil || g.quiet() {
		return true
	}
	for _, key := range [2]string{regUserKey(user), regAddrKey(addr)} {
		banned, err := g.r.Banned(ctx, key)
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return false
			}
			g.logger().Error("auth: brute-force regulator failed; allowing the attempt unregulated",
				"key", key, "error", err)
			continue
		}
		if banned {
			return false
		}
	}
	return true
}

// record records the outcome of an attempt. A failure counts against both
// the user key and the address key. A success clears the user key only:
// clearing the address key would let an attacker who knows one valid
// password reset the count of the address it guesses other users' from.
//
// It runs without the request's cancellation, so a client cannot escape
// the count by disconnecting early. Regulator errors are logged.
func (g regulation) record(ctx context.Context, user string, addr netip.Addr, ok bool) {
	if g.r == nil {
		return
	}
	if ok && g.quiet() {
		return
	}
	ctx = context.WithoutCancel(ctx)
	userKey := regUserKey(user)
	if ok {
		if err := g.r.Succeed(ctx, userKey); err != nil {
			g.logger().Error("auth: brute-force regulator failed to clear a key", "key", userKey, "error", err)
		}
		return
	}
	for _, key := range [2]string{userKey, regAddrKey(addr)} {
		banned, err := g.r.Fail(ctx, key)
		if err != nil {
			g.logger().Error("auth: brute-force regulator failed to count a failure", "key", key, "error", err)
			continue
		}
		if banned {
			g.logger().Warn("auth: key banned after repeated failed logins", "key", key)
		}
	}
}

// quietOrOff reports whether regulation is off or tracks nothing.
func (g regulation) quietOrOff() bool { return g.r == nil || g.quiet() }

// quiet reports whether the regulator knows it tracks nothing, in which
// case no key can be banned and a success has nothing to clear.
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
