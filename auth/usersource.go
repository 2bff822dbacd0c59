package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
)

// UserSource supplies users whose passwords may change while requests are
// served: a table kept in a secret store, say, that the source fetches and
// refreshes (package auth/lambdaauth has such a source, and its package
// awssource fetches from AWS). Install one with [WithUserSource].
//
// The table goes through the same checks as [WithUsers] and
// [WithHashedUsers]: constant-time comparison, hashes verified once and
// then remembered (until the table changes), a cap on concurrent hashes,
// brute-force regulation, and an unknown user checked against a dummy as
// dear as the table's dearest entry.
type UserSource interface {
	// Users returns the table in force. It is called with the request's
	// context on every request that presents a password, so it must be
	// cheap when nothing is due: a source that fetches keeps its table and
	// fetches again only now and then. Returning the same *Users as
	// before says nothing changed; a different one replaces the table and
	// forgets the credentials verified against the old one.
	//
	// An error is logged and the table the source returned last stays in
	// force; until it has returned one, every password is refused. So a
	// source that cannot fetch makes the guard refuse, never let in.
	Users(ctx context.Context) (*Users, error)
}

// Users is a table of users and their stored passwords, parsed once, as a
// [UserSource] hands it out. It never changes once made and is safe for
// concurrent use. A *Users is itself a UserSource that always returns
// itself, for a table fixed at start-up.
type Users struct {
	creds *staticCredentials
}

// NewUsers parses users, a map from user name to stored password. Each
// value is either a plaintext password or a password hash in one of the
// formats of [WithHashedUsers], told apart by how it starts: a value that
// starts as a hash does ("{SHA}", or "$", letters or digits, and "$", as
// in "$2y$" and "$argon2id$") must be a valid hash, so that a hash is never
// taken for a plaintext password; any other value is a plaintext password.
// User names must be non-empty and hold no colon or control character, and
// passwords must be non-empty. Errors wrap [ErrInvalidConfig] and name the
// user, never the password or any part of a hash.
//
// An empty map is a table with no users, which refuses everyone.
// NewUsers runs one hash of the dearest entry's cost, to make the dummy
// that unknown users are checked against.
func NewUsers(users map[string]string) (*Users, error) {
	entries := make([]userEntry, 0, len(users))
	for name, secret := range users {
		entries = append(entries, userEntry{name, secret})
	}
	s, err := buildStaticCredentials(entries, looksHashed)
	if err != nil {
		return nil, err
	}
	return &Users{creds: s}, nil
}

// Len returns how many users the table holds.
func (u *Users) Len() int { return len(u.creds.users) }

// Users returns u itself, so that a fixed table can be a [UserSource].
func (u *Users) Users(context.Context) (*Users, error) { return u, nil }

// looksHashed reports whether s starts as a stored hash does: "{SHA}", or
// a modular-crypt "$id$" with id made of ASCII letters and digits.
func looksHashed(s string) bool {
	if strings.HasPrefix(s, shaPrefix) {
		return true
	}
	rest, ok := strings.CutPrefix(s, "$")
	if !ok {
		return false
	}
	id, _, ok := strings.Cut(rest, "$")
	if !ok || id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// WithUserSource takes the users and their passwords from src, asked again
// on every password check (see [UserSource]). It is a credential source
// like [WithUsers]; give only one.
func WithUserSource(src UserSource) Option {
	return func(c *config) error {
		if src == nil {
			return fmt.Errorf("%w: WithUserSource(nil)", ErrInvalidConfig)
		}
		c.credential("WithUserSource")
		c.userSource = src
		return nil
	}
}

// errNoTable is what a UserSource that returns neither a table nor an
// error is logged with.
var errNoTable = errors.New("the user source returned no table")

// sourcedCredentials is the credentialSource of a UserSource: the table
// it returned last, numbered so that a new one invalidates the verified
// cache. Before the first table it holds an empty one, which refuses
// everyone.
type sourcedCredentials struct {
	src UserSource
	log *slog.Logger
	cur atomic.Pointer[sourcedTable]
	mu  sync.Mutex // serialises replacing cur
}

// sourcedTable is one table of a UserSource and its generation.
type sourcedTable struct {
	gen   uint64
	users *Users
}

func newSourcedCredentials(src UserSource, log *slog.Logger) (*sourcedCredentials, error) {
	empty, err := NewUsers(nil)
	if err != nil {
		return nil, err
	}
	s := &sourcedCredentials{src: src, log: log}
	s.cur.Store(&sourcedTable{gen: 1, users: empty})
	return s, nil
}

// refresh asks the source for its table and makes it current if it is a
// new one. A failure is logged and keeps the current table.
func (s *sourcedCredentials) refresh(ctx context.Context) {
	u, err := s.src.Users(ctx)
	if err == nil && u == nil {
		err = errNoTable
	}
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "authwire: the user source failed; keeping the users it gave last",
			slog.String("error", err.Error()))
		return
	}
	if s.cur.Load().users == u {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.cur.Load(); cur.users != u {
		s.cur.Store(&sourcedTable{gen: cur.gen + 1, users: u})
	}
}

func (s *sourcedCredentials) lookup(user string) (storedPassword, bool) {
	return s.cur.Load().users.creds.lookup(user)
}

func (s *sourcedCredentials) dummy() storedPassword { return s.cur.Load().users.creds.dummy() }

func (s *sourcedCredentials) generation() uint64 { return s.cur.Load().gen }

// refresh brings a credential source that changes at run time (a
// UserSource) up to date before v is consulted for a request.
func (v *verifier) refresh(ctx context.Context) {
	if s, ok := v.src.(*sourcedCredentials); ok {
		s.refresh(ctx)
	}
}
